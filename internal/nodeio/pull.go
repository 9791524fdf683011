package nodeio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/metrics"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// pullBatch is how many requests one task serves when their pulls are hard
// links, and how many pre-pull searches one task makes. A link costs a
// millisecond or less, far less than the statements that recorded it one
// by one; a batch records its links with a fixed ten or so statements, which
// 256 links make negligible (a few hundredths of a statement per pull).
// Larger batches gain nothing more and cost more: a daemon killed between
// the links and their record leaves that many files on disk unrecorded,
// each to be found by the pre-pull search and verified in full (a linked
// file may be large) after the restart, and a stop waits for the batch in
// progress. Each batch fits in one IN list and one multi-row INSERT
// (index.IDChunk).
const pullBatch = 256

// A remote batch is pulled by one rsync over one ssh connection: a new
// connection, login and process per file cost far more than a small
// file's transfer (on a test host whose login shell took 0.6 s to start,
// one rsync of 1,000 small files took as long as two of 128 each). It
// holds at most remoteBatchFiles files and remoteBatchBytes bytes (a
// single larger file goes alone): what a batch killed half way leaves to
// pull again, and what one time limit covers. A source's requests of more
// than remoteSpreadBytes in all are spread over at least as many batches
// as there are workers, so that large files still move side by side;
// small files are not, since each further batch costs a login.
const (
	remoteBatchFiles  = 1000
	remoteBatchBytes  = 4 << 30
	remoteSpreadBytes = 256 << 20
)

// pendingPulls holds the reservations of pull tasks that are queued but
// have not started: those are released by Stop if the node goes away and
// its queued tasks are discarded. A started pull releases its own.
type pendingPulls struct {
	mu   sync.Mutex
	size map[int64]int64 // by request id
}

func fileSize(f *db.ArchiveFile) int64 {
	if f.SizeB == nil {
		return 0
	}
	return *f.SizeB
}

// BatchPuller is an I/O instance, of a group or a node, that takes many
// requests at once, to serve them with fewer tasks and statements than
// one Pull each would.
type BatchPuller interface {
	PullBatch(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error
}

// PullAll hands reqs to p's Pull: together if p is a BatchPuller, else one
// by one.
func PullAll(ctx context.Context, p interface {
	Pull(context.Context, *db.ArchiveFileCopyRequest) error
}, reqs []*db.ArchiveFileCopyRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	if b, ok := p.(BatchPuller); ok {
		return b.PullBatch(ctx, reqs)
	}
	for _, req := range reqs {
		if err := p.Pull(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// Pull queues the pull of req's file onto the node, as PullBatch does.
func (n *DefaultNode) Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	return n.PullBatch(ctx, []*db.ArchiveFileCopyRequest{req})
}

// PullBatch queues the pulls of reqs onto the node, unless the node is
// below its minimum free space or at its maximum total; a file that would
// not fit beside the pulls already promised space is skipped. Pulls that
// will be hard links are served pullBatch to a task (pullLinks); the others
// get a task each, their transfer taking far longer than their statements.
func (n *DefaultNode) PullBatch(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	node := n.Row()
	if node.UnderMin() {
		for range reqs {
			log.Infof("Skipping pull for StorageNode %s: hit minimum free space: (%.2f GiB < %.2f GiB)",
				node.Name, *node.AvailGB, node.MinAvailGB)
		}
		return nil
	}
	// Nothing is pulled between the decisions on one batch: the total is
	// the same for all of them.
	over, total, err := index.OverMax(ctx, n.env.DB, node)
	if err != nil {
		return err
	}
	if over {
		for range reqs {
			log.Infof("Skipping pull for StorageNode %s: node full. (%.2f GiB >= %.2f GiB)", node.Name, total, *node.MaxTotalGB)
		}
		return nil
	}

	// Links and remote pulls are batched by source node, so that a
	// task's name (the requests' ids, the source and this node) says what
	// it does; other pulls get a task each.
	var links, remotes bySource
	batches := rsyncBatches()
	views := Remotes{}
	for _, req := range reqs {
		size := fileSize(req.File)
		if !n.outer.reserve(ctx, size) {
			log.Warnf("Skipping request for %s: insufficient space on node %s.", req.File.Path(), node.Name)
			continue
		}
		if !n.addPending(req.ID, size) {
			// Already queued (a request dispatched again before its
			// task ran).
			n.outer.release(size)
			continue
		}
		switch {
		case linkable(n.env, req.NodeFrom, node):
			links.add(req)
		case batches && n.batchable(req, views):
			remotes.add(req)
		default:
			n.queuePull(ctx, req)
		}
	}
	for _, src := range links.order {
		for batch := range slices.Chunk(links.reqs[src], pullBatch) {
			n.queue(ctx, batch, n.pullLinks)
		}
	}
	for _, src := range remotes.order {
		for _, batch := range remoteBatches(remotes.reqs[src], n.env.Settings.NumWorkers) {
			n.queue(ctx, batch, n.pullRemote)
		}
	}
	return nil
}

// bySource gathers requests by source node, in the order the sources come.
type bySource struct {
	order []int64
	reqs  map[int64][]*db.ArchiveFileCopyRequest
}

func (b *bySource) add(req *db.ArchiveFileCopyRequest) {
	if b.reqs == nil {
		b.reqs = map[int64][]*db.ArchiveFileCopyRequest{}
	}
	if b.reqs[req.NodeFromID] == nil {
		b.order = append(b.order, req.NodeFromID)
	}
	b.reqs[req.NodeFromID] = append(b.reqs[req.NodeFromID], req)
}

// remoteBatcher is a node I/O instance that pulls remote files in
// batches (DefaultNode, and the classes built on it): the group asks it
// which requests to search for together.
type remoteBatcher interface {
	batchable(*db.ArchiveFileCopyRequest, Remotes) bool
}

// A change of batchable's signature must not silently end batching.
var _ remoteBatcher = (*DefaultNode)(nil)

// batchable reports whether req's pull goes into a remote batch, when
// remote pulls are batched at all (rsyncBatches): a remote source whose
// file lies at the same relative path under both nodes' roots.
func (n *DefaultNode) batchable(req *db.ArchiveFileCopyRequest, remotes Remotes) bool {
	if n.env.Local(req.NodeFrom) {
		return false
	}
	remote, err := remotes.Get(n.env, req.NodeFrom)
	if err != nil {
		return false
	}
	_, ok := batchRoot(remote.FilePath(req.File), req.File.Path())
	return ok
}

// rsyncBatches reports whether remote pulls go in batches: rsync is
// installed and bbcp, which pulls file by file, is not. Looked up once
// for all the requests handed over together, not once for each.
func rsyncBatches() bool { return !have("bbcp") && have("rsync") }

// batchRoot returns the source node's root, given the source path src of
// a file whose path under the nodes' roots is rel, when both nodes hold
// the file at that same path under their roots.
func batchRoot(src, rel string) (srcRoot string, ok bool) {
	srcRoot, ok = strings.CutSuffix(src, "/"+rel)
	// The destination is checked, symlinks and all, when the pull is
	// prepared; here only its shape.
	return srcRoot, ok && filepath.Clean(src) == src && fsutil.CheckRel(rel) == nil
}

// remoteBatches cuts one source's requests into batches (see
// remoteBatchFiles).
func remoteBatches(reqs []*db.ArchiveFileCopyRequest, workers int) [][]*db.ArchiveFileCopyRequest {
	most := remoteBatchFiles
	var total int64
	for _, req := range reqs {
		total += fileSize(req.File)
	}
	if workers := max(1, workers); total > remoteSpreadBytes {
		most = min(most, (len(reqs)+workers-1)/workers)
	}
	var out [][]*db.ArchiveFileCopyRequest
	var bytes int64
	for _, req := range reqs {
		size := fileSize(req.File)
		if last := len(out) - 1; last >= 0 && len(out[last]) < most && bytes+size <= remoteBatchBytes {
			out[last] = append(out[last], req)
			bytes += size
			continue
		}
		out = append(out, []*db.ArchiveFileCopyRequest{req})
		bytes = size
	}
	return out
}

func have(cmd string) bool { _, err := exec.LookPath(cmd); return err == nil }

// queuePull queues a task pulling one request whose reservation is
// pending.
func (n *DefaultNode) queuePull(ctx context.Context, req *db.ArchiveFileCopyRequest) {
	n.queue(ctx, []*db.ArchiveFileCopyRequest{req}, func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest, _ map[int64]int64) error {
		return n.pull(ctx, reqs[0])
	})
}

// queue queues a task running work on reqs (of one source node), whose
// reservations are pending. The task takes them over when it starts and
// releases those still in held (work may hand some on) when it ends; if it
// cannot be queued they are released at once. It is named
// "AFCR#1: src -> dst", or "AFCR#1, #2, #3: src -> dst" for several.
func (n *DefaultNode) queue(ctx context.Context, reqs []*db.ArchiveFileCopyRequest,
	work func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest, held map[int64]int64) error) {
	ids := make([]string, len(reqs))
	for i, req := range reqs {
		ids[i] = strconv.FormatInt(req.ID, 10)
	}
	name := fmt.Sprintf("AFCR#%s: %s -> %s", strings.Join(ids, ", #"), reqs[0].NodeFrom.Name, n.Row().Name)
	step := func(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
		held := map[int64]int64{}
		for _, req := range reqs {
			if size, ok := n.takePending(req.ID); ok {
				held[req.ID] = size
			}
		}
		t.OnCleanup(func() {
			for _, size := range held {
				n.outer.release(size)
			}
		})
		return scheduler.Done(), work(ctx, reqs, held)
	}
	if !n.env.Queue.Submit(ctx, n.fifo, name, step, 0) {
		for _, req := range reqs {
			if size, ok := n.takePending(req.ID); ok {
				n.outer.release(size)
			}
		}
	}
}

// addPending records the reservation of a pull about to be queued; false
// if the request is queued already.
func (n *DefaultNode) addPending(id, size int64) bool {
	n.pending.mu.Lock()
	defer n.pending.mu.Unlock()
	if n.pending.size == nil {
		n.pending.size = map[int64]int64{}
	}
	if _, dup := n.pending.size[id]; dup {
		return false
	}
	n.pending.size[id] = size
	return true
}

// takePending hands the reservation of a queued pull over to its running
// task; false if it was already released.
func (n *DefaultNode) takePending(id int64) (int64, bool) {
	n.pending.mu.Lock()
	defer n.pending.mu.Unlock()
	size, ok := n.pending.size[id]
	delete(n.pending.size, id)
	return size, ok
}

// Stop releases the space reserved for pulls that never started; the daemon
// calls it after discarding the node's queued tasks.
func (n *DefaultNode) Stop() {
	n.pending.mu.Lock()
	held := n.pending.size
	n.pending.size = nil
	n.pending.mu.Unlock()
	for _, size := range held {
		n.outer.release(size)
	}
}

// linkable reports whether a pull from src onto dst tries a hard link: a
// local source, and both nodes archive nodes or neither.
func linkable(env *Env, src, dst *db.StorageNode) bool {
	return env.Local(src) && src.Archive() == dst.Archive()
}

// pull carries out a copy request: the destination is this node.
func (n *DefaultNode) pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	if live, err := n.live(ctx, []*db.ArchiveFileCopyRequest{req}); err != nil || len(live) == 0 {
		return err
	}
	state, err := index.FileCopyState(ctx, n.env.DB, req.FileID, n.Row().ID)
	if err != nil {
		return err
	}
	if state == db.HasYes {
		return n.cancelPresent(ctx, req)
	}
	job, placeholder, err := n.prepare(ctx, req, nil, nil)
	if job == nil {
		return err
	}

	start := time.Now()
	res, err := n.transferFile(ctx, req, *job)
	os.Remove(placeholder)
	if ctx.Err() != nil {
		// The daemon is stopping: the transfer was cut short and leaves
		// nothing behind; the request stays pending.
		log.Warnf("Pull of %s abandoned: %v", req.File.Path(), context.Cause(ctx))
		return nil
	}
	switch {
	case !n.onNode(ctx):
		// Where the file went is gone with the node (which may be what
		// failed the transfer): the request stays pending, for the
		// pre-pull search to find the file there once the node is back,
		// and is not held back as a failed pull.
		return nil
	case err != nil:
		err = n.pullFailed(ctx, req, err)
	default:
		p := index.Pull{Req: req, Start: start, End: time.Now()}
		var ok bool
		if p.MD5, ok = n.pulledMD5(ctx, req, res, job.Dst); ok {
			err = n.record(ctx, []index.Pull{p})
		}
	}
	if err != nil {
		return err
	}
	return n.updateAvail(ctx)
}

// pullLinks carries out copy requests whose pulls try a hard link: one
// query for the copies already on the node, the links, then one
// transaction recording them all. A request whose link proves impossible
// (another filesystem) is handed on, with its reservation, to a pull task
// of its own, so that its copy runs beside the others.
//
// A daemon killed between a link and its record leaves the file on disk
// unrecorded and its request pending: the pre-pull search of the next
// pass finds it there and has it checked, as it does after any pull cut
// short.
func (n *DefaultNode) pullLinks(ctx context.Context, reqs []*db.ArchiveFileCopyRequest, held map[int64]int64) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	pulls, guards, err := n.preparePulls(ctx, reqs)
	defer guards.remove()
	if err != nil {
		return err
	}
	var done []index.Pull
	tried := false
	for _, pp := range pulls {
		req := pp.req
		start := time.Now()
		res, err := n.link(ctx, req, pp.job)
		if ctx.Err() != nil {
			// The daemon is stopping: nothing is recorded, and the
			// links made stay on disk for the next start to find.
			for _, p := range done {
				log.Warnf("Pull of %s abandoned: %v", p.Req.File.Path(), context.Cause(ctx))
			}
			log.Warnf("Pull of %s abandoned: %v", req.File.Path(), context.Cause(ctx))
			return nil
		}
		if errors.Is(err, transfer.ErrNoLink) {
			size := held[req.ID]
			delete(held, req.ID)
			if n.addPending(req.ID, size) {
				n.queuePull(ctx, req)
			} else {
				n.outer.release(size)
			}
			continue
		}
		tried = true
		if err != nil {
			if !n.onNode(ctx) {
				// As in pull: nothing is recorded of a node gone.
				return nil
			}
			if err := n.pullFailed(ctx, req, err); err != nil {
				return err
			}
			continue
		}
		p := index.Pull{Req: req, Start: start, End: time.Now()}
		var ok bool
		if p.MD5, ok = n.pulledMD5(ctx, req, res, pp.job.Dst); ok {
			done = append(done, p)
		}
	}
	// The links are made: nothing to guard while they are recorded.
	guards.remove()
	if len(done) > 0 && !n.onNode(ctx) {
		// As in pull: nothing is recorded of a node gone.
		return nil
	}
	if err := n.record(ctx, done); err != nil {
		return err
	}
	if !tried {
		return nil
	}
	return n.updateAvail(ctx)
}

// pullRemote carries out copy requests from one remote node with one
// rsync (transfer.RsyncPullBatch): the copies already on the node are
// looked up in one query, each file gets its directory and placeholder as
// a single pull does, and the files that arrived checked are recorded a
// chunk at a time, in one transaction each, while the rest of the batch
// is still coming. A file that failed fails alone; one the batch did not
// reach (a connection lost half way) stays pending, to be tried again
// after its wait.
func (n *DefaultNode) pullRemote(ctx context.Context, reqs []*db.ArchiveFileCopyRequest, _ map[int64]int64) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	pulls, guards, err := n.preparePulls(ctx, reqs)
	defer guards.remove()
	if err != nil || len(pulls) == 0 {
		return err
	}
	job := transfer.BatchJob{DstRoot: n.root(), SSH: n.env.SSH, Host: pulls[0].job.Host}
	job.SrcRoot, _ = batchRoot(pulls[0].job.Src, pulls[0].req.File.Path())
	var bytes int64
	for _, pp := range pulls {
		job.Files = append(job.Files, transfer.BatchFile{Rel: pp.req.File.Path(), Expect: pp.job.Expect})
		bytes += fileSize(pp.req.File)
		log.Infof("Pulling remote file %s using rsync", pp.req.File.Path())
	}
	s := n.env.Settings
	job.Timeout = transfer.PullTimeout(bytes, s.PullTimeoutBase, s.PullBytesPerSecond)
	// The files still to come, by directory: a directory's placeholder
	// goes once its last file is in place, before that is recorded.
	coming := map[string]int{}
	for _, pp := range pulls {
		coming[filepath.Dir(pp.job.Dst)]++
	}
	start := time.Now()
	recorded := make([]bool, len(pulls))
	done := n.running(transfer.MethodRsync, "1")
	results, err := transfer.RsyncPullBatch(ctx, job, func(placed []transfer.PlacedFile) error {
		if !n.onNode(ctx) {
			return errNodeGone
		}
		end := time.Now()
		var got []index.Pull
		var idx []int
		for _, f := range placed {
			pp := pulls[f.Index]
			dir := filepath.Dir(pp.job.Dst)
			if coming[dir]--; coming[dir] == 0 {
				guards.drop(dir)
			}
			p := index.Pull{Req: pp.req, Start: start, End: end}
			var ok bool
			if p.MD5, ok = n.pulledMD5(ctx, pp.req, f.Result, pp.job.Dst); ok {
				got, idx = append(got, p), append(idx, f.Index)
			}
		}
		if err := n.record(ctx, got); err != nil {
			return err
		}
		for _, i := range idx {
			recorded[i] = true
		}
		return nil
	})
	done()
	// The files are in place, recorded or failed: nothing to guard any
	// more.
	guards.remove()
	switch {
	case ctx.Err() != nil:
		// The daemon is stopping: files already in place and not yet
		// recorded stay there, for the pre-pull search to find after the
		// restart.
		for i, pp := range pulls {
			if !recorded[i] {
				log.Warnf("Pull of %s abandoned: %v", pp.req.File.Path(), context.Cause(ctx))
			}
		}
		return nil
	case errors.Is(err, errNodeGone):
		// As in pull: nothing more is recorded of a node gone.
		return nil
	case err != nil:
		return err
	case !n.onNode(ctx):
		// As in pull: what failed may be the node's going.
		return nil
	}
	for i, pp := range pulls {
		if results[i].Err != nil {
			if err := n.pullFailed(ctx, pp.req, results[i].Err); err != nil {
				return err
			}
		}
	}
	return n.updateAvail(ctx)
}

// preparedPull is a request of a batch ready for its transfer.
type preparedPull struct {
	req *db.ArchiveFileCopyRequest
	job transfer.Job
}

// placeholders are a batch's placeholders, by directory: one guards its
// directory for all the batch's files there.
type placeholders map[string]string

func (p placeholders) has(dir string) bool { _, ok := p[dir]; return ok }

// remove removes them, once the batch's files are in place or have
// failed.
func (p placeholders) remove() {
	for dir := range p {
		p.drop(dir)
	}
}

// drop removes dir's placeholder, once the batch's files there are in
// place.
func (p placeholders) drop(dir string) {
	if path := p[dir]; path != "" {
		os.Remove(path)
	}
	delete(p, dir)
}

// preparePulls readies the pulls of a batch: the requests are read again
// (live), those whose files the node has already are cancelled, in one
// query, and the others prepared (prepare). The placeholders it returns,
// even with an error, are the caller's to remove.
func (n *DefaultNode) preparePulls(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) ([]preparedPull, placeholders, error) {
	guards := placeholders{}
	reqs, err := n.live(ctx, reqs)
	if err != nil {
		return nil, guards, err
	}
	present, err := n.copiesPresent(ctx, reqs)
	if err != nil {
		return nil, guards, err
	}
	var out []preparedPull
	remotes := Remotes{}
	for _, req := range reqs {
		if present[req.FileID] {
			if err := n.cancelPresent(ctx, req); err != nil {
				return out, guards, err
			}
			continue
		}
		job, placeholder, err := n.prepare(ctx, req, guards, remotes)
		if job == nil {
			if err != nil {
				return out, guards, err
			}
			continue
		}
		if dir := filepath.Dir(job.Dst); !guards.has(dir) {
			guards[dir] = placeholder
		}
		out = append(out, preparedPull{req: req, job: *job})
	}
	return out, guards, nil
}

// live returns those of reqs still pending, read again just before their
// pulls: a request cancelled since it was queued is not pulled.
func (n *DefaultNode) live(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) ([]*db.ArchiveFileCopyRequest, error) {
	ids := make([]int64, len(reqs))
	for i, req := range reqs {
		ids[i] = req.ID
	}
	pending, err := index.LiveRequests(ctx, n.env.DB, ids)
	if err != nil {
		return nil, err
	}
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	out := reqs[:0:0]
	for _, req := range reqs {
		if pending[req.ID] {
			out = append(out, req)
			continue
		}
		log.Infof("Skipping pull of %s to %s: request no longer pending.", req.File.Path(), n.Row().Name)
	}
	return out, nil
}

// copiesPresent returns which of the requests' files the data index has
// present ('Y') on the node, in one query.
func (n *DefaultNode) copiesPresent(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) (map[int64]bool, error) {
	ids := make([]int64, len(reqs))
	for i, req := range reqs {
		ids[i] = req.FileID
	}
	return index.NodeCopiesPresent(ctx, n.env.DB, n.Row().ID, ids)
}

// cancelPresent cancels a request whose file turned out to be on the node
// already.
func (n *DefaultNode) cancelPresent(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	node := n.Row()
	logging.FromContext(ctx, logging.LoggerIODefaultTasks).Infof("Cancelling pull request for %s to %s: already present.", req.File.Path(), node.Name)
	if err := index.CancelRequest(ctx, n.env.DB, req.ID); err != nil {
		return err
	}
	n.env.Metrics.RequestsCompleted.WithLabelValues("copy", "duplicate", req.NodeFrom.Name, req.GroupTo.Name).Inc()
	return nil
}

// prepare describes req's transfer, creates the destination's directory
// and places the placeholder that keeps it from being pruned while the
// transfer runs. A nil job means the request is skipped: err is then what
// the task returns.
//
// guarded holds the directories of a batch that have their placeholder
// already: one per directory is enough, the batch's placeholders all going
// when it ends; remotes, the remote views of its sources. Both nil for a
// single pull.
func (n *DefaultNode) prepare(ctx context.Context, req *db.ArchiveFileCopyRequest, guarded placeholders, remotes Remotes) (job *transfer.Job, placeholder string, err error) {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	env := n.env
	file := req.File
	path := file.Path()

	remote, err := remotes.Get(env, req.NodeFrom)
	if err != nil {
		log.Errorf("Skipping request for %s: %v", path, err)
		return nil, "", nil
	}
	j := transfer.Job{
		Src:     remote.FilePath(file),
		Expect:  transfer.Expect{Size: fileSize(file)},
		Timeout: transfer.PullTimeout(fileSize(file), env.Settings.PullTimeoutBase, env.Settings.PullBytesPerSecond),
		SSH:     env.SSH,
	}
	if req.NodeFrom.Root != nil {
		j.SrcRoot = *req.NodeFrom.Root
	}
	if file.MD5Sum != nil {
		j.Expect.MD5 = *file.MD5Sum
	}
	if !env.Local(req.NodeFrom) {
		if _, err := remote.FileAddr(file); err != nil {
			log.Warnf("Skipping request for %s due to unconfigured route to host for node %s.", path, req.NodeFrom.Name)
			return nil, "", nil
		}
		j.Host = *req.NodeFrom.Username + "@" + *req.NodeFrom.Address
	}
	if j.Dst, err = n.filePath(path); err != nil {
		log.Errorf("Skipping request for %s: %v", path, err)
		return nil, "", nil
	}
	dir := filepath.Dir(j.Dst)
	if guarded.has(dir) {
		return &j, "", nil
	}
	if !n.onNode(ctx) {
		return nil, "", nil
	}

	placeholder = fsutil.PlaceholderPath(j.Dst)
	var mkErr error
	n.tree.creating(func() {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			log.Infof("Creating directory \"%s\".", dir)
			if mkErr = fsutil.MkdirNode(n.root(), dir, n.nodeFileName(), 0o755); mkErr != nil {
				return
			}
		}
		// The placeholder keeps the directory from being pruned while
		// the transfer runs without the lock.
		if _, err := os.Lstat(j.Dst); errors.Is(err, os.ErrNotExist) {
			mkErr = fsutil.CreatePlaceholder(j.Dst)
		}
	})
	if mkErr != nil {
		os.Remove(placeholder)
		if errors.Is(mkErr, fsutil.ErrNoNodeFile) {
			// Gone since the check above: onNode now says so.
			n.onNode(ctx)
			return nil, "", nil
		}
		return nil, "", n.pullFailed(ctx, req, &transfer.Error{Op: "mkdir", Err: mkErr, Output: mkErr.Error()})
	}
	return &j, placeholder, nil
}

// updateAvail records the node's free space after pulls.
func (n *DefaultNode) updateAvail(ctx context.Context) error {
	avail, ok := n.outer.BytesAvail(ctx, true)
	if !ok {
		return nil
	}
	row, err := index.UpdateAvailGB(ctx, n.env.DB, n.Row(), avail, true)
	if err != nil {
		return err
	}
	n.SetStorage(row)
	return nil
}

// transferFile picks the method: for a remote source bbcp if installed (and
// the paths suit it), else rsync over ssh; for a local one a hard link when
// both nodes are archive nodes or neither is, else an in-process copy.
func (n *DefaultNode) transferFile(ctx context.Context, req *db.ArchiveFileCopyRequest, job transfer.Job) (transfer.Result, error) {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	path := req.File.Path()

	if !n.env.Local(req.NodeFrom) {
		switch {
		case have("bbcp") && transfer.BbcpSafe(job.Src) && transfer.BbcpSafe(job.Dst):
			log.Infof("Pulling remote file %s using bbcp", path)
			defer n.running(transfer.MethodBbcp, "1")()
			return transfer.BbcpPull(ctx, job, scheduler.WorkerID(ctx))
		case have("rsync"):
			log.Infof("Pulling remote file %s using rsync", path)
			defer n.running(transfer.MethodRsync, "1")()
			return transfer.RsyncPull(ctx, job)
		}
		log.Error("No commands available to complete remote pull.")
		return transfer.Result{}, &transfer.Error{Op: "pull", Err: errors.New("no transfer command")}
	}

	if linkable(n.env, req.NodeFrom, n.Row()) {
		if res, err := n.link(ctx, req, job); !errors.Is(err, transfer.ErrNoLink) {
			return res, err
		}
	}
	// Copied in process rather than by rsync (upstream's choice): the
	// copy must be checked against the recorded MD5, and hashing while
	// copying reads the source once, where rsync writes the copy and it
	// must then be read again.
	log.Infof("Pulling local file %s using internal copy", path)
	defer n.running(transfer.MethodInternal, "0")()
	return transfer.Copy(ctx, job)
}

// link pulls a local file by hard link; transfer.ErrNoLink if the two
// nodes cannot share it.
func (n *DefaultNode) link(ctx context.Context, req *db.ArchiveFileCopyRequest, job transfer.Job) (transfer.Result, error) {
	done := n.running(transfer.MethodLink, "0")
	res, err := transfer.HardLink(ctx, job)
	done()
	if err == nil {
		logging.FromContext(ctx, logging.LoggerIODefaultTasks).Infof("Hardlinked local file %s", req.File.Path())
	}
	return res, err
}

// pulledMD5 returns the MD5 to record for a pulled file the data index has
// no MD5 for: the one the transfer computed, else that of the file now at
// dst (a hard link, an rsync that reported none). Without one the copy
// could never be checked: ok is false when the file cannot be hashed, and
// the pull is then not recorded (its request stays pending). sum is ""
// for a file with an MD5, which the transfer compared.
func (n *DefaultNode) pulledMD5(ctx context.Context, req *db.ArchiveFileCopyRequest, res transfer.Result, dst string) (sum string, ok bool) {
	if req.File.MD5Sum != nil {
		return "", true
	}
	if res.MD5 != "" {
		return strings.ToLower(res.MD5), true
	}
	return n.MD5(ctx, dst)
}

// running counts a transfer in progress in the metrics; the returned
// function ends it.
func (n *DefaultNode) running(method transfer.Method, remote string) func() {
	g := n.env.Metrics.PullRunning.WithLabelValues(string(method), remote, n.Row().Name)
	g.Inc()
	return g.Dec
}

// pullFailed records a failed pull. The request stays pending, and waits
// before its next try (Backoff); when the source copy may be to blame it
// is marked suspect ('M'), which holds the request back until the source
// has been checked. The failure is logged on one ERROR line naming the
// file, both nodes and the cause (the transfer command's own message, such
// as ssh's "Permission denied (publickey)."), so that it can be found, and
// alerted on, from that line alone.
func (n *DefaultNode) pullFailed(ctx context.Context, req *db.ArchiveFileCopyRequest, terr error) error {
	env := n.env
	var te *transfer.Error
	cause := terr.Error()
	if errors.As(terr, &te) && te.Output != "" {
		cause = te.Output
	}
	reason, result, suspect := metrics.FailError, "failure", transfer.SourceSuspect(terr)
	switch {
	case te != nil && te.Integrity:
		reason, result = metrics.FailIntegrity, "integrity"
		cause = "file arrived damaged: " + cause
	case suspect:
		reason, result = metrics.FailSourceSuspect, "check_src"
	case te != nil && te.TimedOut:
		reason = metrics.FailTimeout
	}
	env.Metrics.Transfers.WithLabelValues(result, req.NodeFrom.Name, req.GroupTo.Name).Inc()
	env.Metrics.TransferFailures.WithLabelValues(n.Row().Name, reason).Inc()
	wait := env.Backoff.Failed(req.ID, time.Now())
	marked := ""
	if suspect {
		marked = "; source copy marked suspect"
	}
	logging.FromContext(ctx, logging.LoggerIOUtil).Errorf("Pull of %s from node %s to node %s failed: %s%s [next try in %s]",
		req.File.Path(), req.NodeFrom.Name, n.Row().Name, oneLine(cause), marked, wait)
	if suspect {
		return index.MarkSourceSuspect(ctx, env.DB, req.FileID, req.NodeFromID)
	}
	return nil
}

// oneLine joins a command's messages into one line.
func oneLine(output string) string {
	var parts []string
	for line := range strings.Lines(output) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	if len(parts) == 0 {
		return "unspecified error"
	}
	return strings.Join(parts, " | ")
}

// record registers successful pulls in one transaction
// (index.RecordPulls). Each pull is logged complete once the transaction
// has committed, so that the line never announces a copy the data index
// does not have.
func (n *DefaultNode) record(ctx context.Context, pulls []index.Pull) error {
	if len(pulls) == 0 {
		return nil
	}
	env := n.env
	node := n.Row()
	for i, p := range pulls {
		if s, err := n.outer.FileSize(p.Req.File.Path(), true); err == nil {
			pulls[i].SizeB = &s
		}
	}
	if err := index.RecordPulls(ctx, env.DB, node, pulls); err != nil {
		return err
	}

	log := logging.FromContext(ctx, logging.LoggerIOUtil)
	for _, p := range pulls {
		req := p.Req
		size := fileSize(req.File)
		elapsed := p.End.Sub(p.Start)
		rate := float64(size)
		if s := elapsed.Seconds(); s > 0 {
			rate /= s
		}
		log.Infof("Pull of %s complete. Transferred %s in %s [%s/s]", req.File.Path(), format.BytesFloat(float64(size)), format.DeltaT(elapsed.Seconds()), format.BytesFloat(rate))
		env.Metrics.RequestsCompleted.WithLabelValues("copy", "success", req.NodeFrom.Name, req.GroupTo.Name).Inc()
		env.Metrics.Transfers.WithLabelValues("success", req.NodeFrom.Name, req.GroupTo.Name).Inc()
		env.Metrics.PulledBytes.WithLabelValues(req.NodeFrom.Name, req.GroupTo.Name).Add(float64(size))
		env.Backoff.Succeeded(req.ID)
	}
	return nil
}
