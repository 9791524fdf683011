package nodeio

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// LustreHSMModule is the LustreHSM I/O class: a node on a Lustre filesystem
// whose files Lustre's Hierarchical Storage Management archives to
// external (tape) storage, and a group pairing such a node with one for
// the files too small for tape.
//
// A file of such a node is "released" when only a stub of it is left on
// disk, "restored" when it is on disk as well. The ready flag of its copy
// row tells every host which: only a ready copy is pulled from.
var LustreHSMModule = &Module{
	Class: "LustreHSM",
	NewNode: func(env *Env, node *db.StorageNode, config map[string]any, fifo *scheduler.FIFO) (NodeIO, error) {
		h, err := NewLustreHSMNode(env, node, config, fifo)
		if err != nil {
			return nil, err
		}
		return h, nil
	},
	NewGroup: func(env *Env, group *db.StorageGroup, config map[string]any, fifo *scheduler.FIFO) (GroupIO, error) {
		g, err := NewLustreHSMGroup(env, group, config, fifo)
		if err != nil {
			return nil, err
		}
		return g, nil
	},
	NewRemote: func(_ *Env, node *db.StorageNode, _ map[string]any) (NodeRemote, error) {
		return LustreHSMRemote{DefaultRemote{Node: node}}, nil
	},
}

// releasePage is how many copies the release task reads at a time. A
// variable so that tests can make pages small.
var releasePage = 500

// LustreHSMNode is the LustreHSM node I/O class: a LustreQuota node (whose
// io_config keys it takes) that keeps headroom kiB of its quota free by
// releasing the least recently used files, restores files before reading
// them, and keeps the ready flags of its copies in step with HSM.
//
// Further io_config: headroom (required, kiB), release_check_count
// (copies whose state an idle update checks, default 100) and
// restore_wait (seconds between looks at a restore in progress, default
// 600).
type LustreHSMNode struct {
	*LustreQuotaNode
	headroom    float64 // bytes
	restorePoll time.Duration
	checkCount  int

	mu sync.Mutex
	// restoring holds the files (by id) whose restore a task is waiting
	// for, with when it started, so that no second task waits for the
	// same file.
	restoring map[int64]time.Time

	// stateWalker is used by the main loop only.
	stateWalker copyWalker
}

// NewLustreHSMNode returns the LustreHSM I/O instance of node, or an error
// saying what is wrong with its io_config.
func NewLustreHSMNode(env *Env, node *db.StorageNode, config map[string]any, fifo *scheduler.FIFO) (*LustreHSMNode, error) {
	q, err := NewLustreQuotaNode(env, node, config, fifo)
	if err != nil {
		return nil, err
	}
	headroom, set, err := configNumber(config, "headroom")
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, fmt.Errorf("\"headroom\" missing from StorageNode %s io_config", node.Name)
	}
	wait, err := configInt(config, "restore_wait", 600)
	if err != nil {
		return nil, err
	}
	if wait < 1 {
		return nil, fmt.Errorf("io_config key 'restore_wait' non-positive (=%d)", wait)
	}
	count, err := configInt(config, "release_check_count", 100)
	if err != nil {
		return nil, err
	}
	if count < 1 {
		return nil, fmt.Errorf("io_config key 'release_check_count' non-positive (=%d)", count)
	}
	h := &LustreHSMNode{
		LustreQuotaNode: q,
		headroom:        headroom * 1024,
		restorePoll:     time.Duration(wait) * time.Second,
		checkCount:      int(count),
		restoring:       map[int64]time.Time{},
	}
	h.outer = h
	return h, nil
}

// CheckInit is always true: an HSM filesystem has no node file.
func (h *LustreHSMNode) CheckInit(context.Context) bool { return true }

func (h *LustreHSMNode) Init(context.Context) bool { return true }

func (h *LustreHSMNode) hasNodeFile() bool { return false }

// Fits is always true: the tape behind the disk takes anything. Pulls
// reserve nothing, for the same reason.
func (h *LustreHSMNode) Fits(context.Context, int64) bool { return true }

func (h *LustreHSMNode) reserve(context.Context, int64) bool { return true }
func (h *LustreHSMNode) release(int64)                       {}

// Exists asks HSM: a released file is there too. A file whose state cannot
// be had counts as present.
func (h *LustreHSMNode) Exists(ctx context.Context, path string) bool {
	p, err := h.filePath(path)
	if err != nil {
		return false
	}
	state, ok := h.lfs.HSMState(ctx, p)
	return !ok || state != HSMMissing
}

// FileSize is always the apparent size: the space a file takes on tape is
// unknown, and on disk it may be just a stub.
func (h *LustreHSMNode) FileSize(path string, _ bool) (int64, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(h.root(), path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// ReadyPath reports whether a file to import is on disk, asking for the
// restore of a released one; the import asks again later.
func (h *LustreHSMNode) ReadyPath(ctx context.Context, path string) bool {
	if !filepath.IsAbs(path) {
		path = filepath.Join(h.root(), path)
	}
	state, ok := h.lfs.HSMState(ctx, path)
	if !ok {
		return false
	}
	if state == HSMReleased {
		h.lfs.HSMRestore(ctx, path)
	}
	return state == HSMRestored || state == HSMUnarchived
}

// BeforeUpdate does the Default reporting, then releases files to clear
// the headroom when the node is idle, i.e. its update will run.
func (h *LustreHSMNode) BeforeUpdate(ctx context.Context, idle bool) bool {
	h.DefaultNode.BeforeUpdate(ctx, idle)
	if idle {
		h.releaseFiles(ctx)
	}
	return true
}

// IdleUpdate does the Default tidy-up scheduling, then, on every idle
// update, queues a check of the HSM state of a batch of copies. Any read
// of a released file restores it, whoever reads it: the data index must
// follow such changes for the headroom to be kept.
func (h *LustreHSMNode) IdleUpdate(ctx context.Context, newlyIdle bool) {
	h.DefaultNode.IdleUpdate(ctx, newlyIdle)
	node := h.Row()
	copies, err := h.stateWalker.batch(ctx, h.env.DB, h.checkCount, index.WalkPresent, node.ID)
	if err != nil {
		logging.FromContext(ctx, logging.LoggerIOLustreHSM).Warnf("Skipping HSM state check on node %s: %v", node.Name, err)
		return
	}
	if len(copies) == 0 {
		return
	}
	name := fmt.Sprintf("Node %s: HSM state check of %d files", node.Name, len(copies))
	h.env.Queue.Submit(ctx, h.fifo, name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), h.stateCheck(ctx, copies)
	}, 0)
}

// Check verifies a copy: a released file is restored first, the Default
// check follows, and the file is released again if its copy is not meant
// to be on disk, so that verification does not crowd out the files that
// are.
func (h *LustreHSMNode) Check(ctx context.Context, copy *db.ArchiveFileCopy) {
	if h.isRestoring(copy.FileID) {
		logging.FromContext(ctx, logging.LoggerIOLustreHSM).Debugf("Skipping check of %s: restore in progress.", h.copyPath(copy))
		return
	}
	name := fmt.Sprintf("Check file %s on node %s", copy.File.Path(), h.Row().Name)
	h.env.Queue.Submit(ctx, h.fifo, name, func(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
		return h.checkStart(ctx, t, copy)
	}, 0)
}

func (h *LustreHSMNode) checkStart(ctx context.Context, t *scheduler.Task, copy *db.ArchiveFileCopy) (scheduler.Next, error) {
	path := h.copyPath(copy)
	if !h.Exists(ctx, copy.File.Path()) {
		if copy.HasFile == db.HasNo {
			return scheduler.Done(), nil
		}
		logging.FromContext(ctx, logging.LoggerIOLustreHSM).Warnf("File copy missing during check: %s.  Updating database.", path)
		return scheduler.Done(), index.RecordMissing(ctx, h.env.DB, copy.ID)
	}
	step := h.whenRestored(copy, func(ctx context.Context, restored bool) error {
		if !restored {
			// The copy stays suspect and is checked again next pass.
			logging.FromContext(ctx, logging.LoggerIOLustreHSM).Debugf("Aborting check of %s after failed restore.", path)
			return nil
		}
		if err := h.DefaultNode.check(ctx, copy); err != nil {
			return err
		}
		ready, ok, err := index.CopyReady(ctx, h.env.DB, copy.ID)
		if err != nil {
			return err
		}
		if ok && !ready {
			h.lfs.HSMRelease(ctx, path)
		}
		return nil
	})
	return step(ctx, t)
}

// ReadyPull restores a file another node is to pull from here, and marks
// its copy ready once it is on disk (or not ready if that failed).
func (h *LustreHSMNode) ReadyPull(ctx context.Context, req *db.ArchiveFileCopyRequest) {
	path := req.File.Path()
	node := h.Row()
	if h.isRestoring(req.FileID) {
		logging.FromContext(ctx, logging.LoggerIOLustreHSM).Debugf("Skipping ready of %s on node %s: restore in progress.", path, node.Name)
		return
	}
	name := fmt.Sprintf("Ready file %s on node %s", path, node.Name)
	h.env.Queue.Submit(ctx, h.fifo, name, func(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
		copy, err := index.NodeFileCopy(ctx, h.env.DB, node.ID, req.FileID)
		if err != nil || copy == nil {
			return scheduler.Done(), err
		}
		step := h.whenRestored(copy, func(ctx context.Context, restored bool) error {
			if copy.Ready == restored {
				return nil
			}
			if err := index.SetReady(ctx, h.env.DB, copy.ID, restored); err != nil {
				return err
			}
			now := "released"
			if restored {
				now = "restored"
			}
			logging.FromContext(ctx, logging.LoggerIOLustreHSM).Infof("File copy %s on node %s now %s", path, h.Row().Name, now)
			return nil
		})
		return step(ctx, t)
	}, 0)
}

// copyPath is the absolute path of a copy's file on the node.
func (h *LustreHSMNode) copyPath(copy *db.ArchiveFileCopy) string {
	return filepath.Join(h.root(), copy.File.Path())
}

func (h *LustreHSMNode) isRestoring(fileID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.restoring[fileID]
	return ok
}

// startRestore records that a restore of the file is being waited for, if
// it was not already.
func (h *LustreHSMNode) startRestore(fileID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.restoring[fileID]; !ok {
		h.restoring[fileID] = time.Now()
	}
}

// forgetRestore ends the wait for a restore, returning when it started;
// tracked is false if none was being waited for.
func (h *LustreHSMNode) forgetRestore(fileID int64) (start time.Time, tracked bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start, tracked = h.restoring[fileID]
	delete(h.restoring, fileID)
	return start, tracked
}

// restoreStatus is how far the restore of a file has come.
type restoreStatus int

const (
	restoreWaiting restoreStatus = iota
	restoreDone
	restoreFailed
)

// restoreStep looks at the file of copy once: a released file is asked to
// be restored. The caller waits and asks again while it says so.
func (h *LustreHSMNode) restoreStep(ctx context.Context, copy *db.ArchiveFileCopy) restoreStatus {
	log := logging.FromContext(ctx, logging.LoggerIOLustreHSM)
	path := h.copyPath(copy)
	id := copy.FileID
	state, ok := h.lfs.HSMState(ctx, path)
	switch {
	case !ok:
		log.Warnf("Unable to restore %s: state check failed.", path)
		h.forgetRestore(id)
		return restoreFailed
	case state == HSMMissing:
		log.Warnf("Unable to restore %s: missing.", path)
		h.forgetRestore(id)
		return restoreFailed
	case state == HSMRestoring:
		h.startRestore(id)
		log.Debugf("Restore in progress: %s", path)
		return restoreWaiting
	case state != HSMReleased:
		if start, tracked := h.forgetRestore(id); tracked {
			log.Infof("%s restored on node %s after %s", copy.File.Path(), h.Row().Name, format.DeltaT((time.Since(start)).Seconds()))
		} else {
			log.Debugf("Already restored: %s", path)
		}
		return restoreDone
	}

	h.startRestore(id)
	switch h.lfs.HSMRestore(ctx, path) {
	case RestoreRefused:
		// Perhaps deleted meanwhile: give up on it entirely.
		log.Warnf("Restore request failed: %s", path)
		h.forgetRestore(id)
		return restoreFailed
	case RestoreUnsure:
		log.Warnf("Restore request timeout: %s", path)
	}
	return restoreWaiting
}

// whenRestored returns a task step that gets the file of copy restored,
// looking again every restore_wait without holding a worker while HSM
// works on it, then calls then with whether the file is on disk.
func (h *LustreHSMNode) whenRestored(copy *db.ArchiveFileCopy, then func(ctx context.Context, restored bool) error) scheduler.Step {
	var step scheduler.Step
	step = func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		switch h.restoreStep(ctx, copy) {
		case restoreWaiting:
			return scheduler.After(h.restorePoll, step), nil
		case restoreDone:
			return scheduler.Done(), then(ctx, true)
		}
		return scheduler.Done(), then(ctx, false)
	}
	return step
}

// releaseFiles queues the release of files when the free quota, as last
// measured, is short of the headroom.
func (h *LustreHSMNode) releaseFiles(ctx context.Context) {
	node := h.Row()
	if node.AvailGB == nil {
		logging.FromContext(ctx, logging.LoggerIOLustreHSM).Debug("Skipping release_files: free space unknown.")
		return
	}
	needed := h.headroom - float64(int64(*node.AvailGB*math.Exp2(30)))
	if needed <= 0 {
		return
	}
	name := fmt.Sprintf("Node %s: HSM release %s", node.Name, format.BytesFloat(needed))
	h.env.Queue.Submit(ctx, h.fifo, name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), h.releaseLRU(ctx, needed)
	}, 0)
}

// releaseLRU releases restored files, least recently touched first, until
// needed bytes are freed or none are left. Files not yet archived cannot be
// released; those being restored are wanted.
func (h *LustreHSMNode) releaseLRU(ctx context.Context, needed float64) error {
	log := logging.FromContext(ctx, logging.LoggerIOLustreHSM)
	node := h.Row()
	files, total := 0, int64(0)
	// Released copies leave the selection (ready turns false); the next
	// page starts after the last copy seen.
	var last *db.ArchiveFileCopy
scan:
	for {
		page, err := index.RestoredCopies(ctx, h.env.DB, node.ID, last, releasePage)
		if err != nil {
			return err
		}
		for _, c := range page {
			if ctx.Err() != nil {
				return nil
			}
			path := h.copyPath(c)
			if state, ok := h.lfs.HSMState(ctx, path); !ok || state != HSMRestored {
				continue
			}
			size := fileSize(c.File)
			log.Debugf("releasing file copy %s [=%s] on node %s", path, format.BytesFloat(float64(size)), node.Name)
			if !h.lfs.HSMRelease(ctx, path) {
				continue
			}
			if err := index.SetReady(ctx, h.env.DB, c.ID, false); err != nil {
				return err
			}
			files++
			total += size
			if float64(total) >= needed {
				break scan
			}
		}
		if len(page) < releasePage {
			break
		}
		last = page[len(page)-1]
	}
	noun := "files"
	if files == 1 {
		noun = "file"
	}
	log.Infof("Released %s in %d %s on node %s", format.BytesFloat(float64(total)), files, noun, node.Name)
	return nil
}

// stateCheck brings the copies' rows into line with HSM: a file gone is
// recorded missing, and ready follows whether the file is on disk.
func (h *LustreHSMNode) stateCheck(ctx context.Context, copies []*db.ArchiveFileCopy) error {
	log := logging.FromContext(ctx, logging.LoggerIOLustreHSM)
	node := h.Row()
	for _, c := range copies {
		if ctx.Err() != nil {
			return nil
		}
		path := c.File.Path()
		state, ok := h.lfs.HSMState(ctx, h.copyPath(c))
		var update func() error
		switch {
		case !ok:
			log.Warnf("Unable to determine state for %s on node %s.", path, node.Name)
		case state == HSMMissing:
			log.Warnf("File copy %s on node %s is missing!", path, node.Name)
			update = func() error { return index.RecordReleasedMissing(ctx, h.env.DB, c.ID) }
		case state == HSMReleased || state == HSMRestoring:
			if c.Ready {
				log.Infof("Updating file copy %s: ready -> False", path)
				update = func() error { return index.SetReady(ctx, h.env.DB, c.ID, false) }
			}
		default:
			if !c.Ready {
				log.Infof("Updating file copy %s: ready -> True", path)
				update = func() error { return index.SetReady(ctx, h.env.DB, c.ID, true) }
			}
		}
		if update == nil {
			continue
		}
		if err := update(); err != nil {
			return err
		}
	}
	return nil
}

// LustreHSMRemote is the remote view of a LustreHSM node: a file can be
// pulled only while its copy is marked ready (on disk).
type LustreHSMRemote struct{ DefaultRemote }

func (LustreHSMRemote) PullReady(src *db.ArchiveFileCopy) bool { return src != nil && src.Ready }

// LustreHSMGroup is the LustreHSM group I/O class: exactly two nodes, one
// of class LustreHSM for files larger than threshold bytes (io_config,
// default 10⁹), the other, of any other class, for the rest.
type LustreHSMGroup struct {
	groupBase
	threshold float64
	// pair is set by the main loop and read by pre-pull searches.
	pair atomic.Pointer[hsmPair]
}

type hsmPair struct{ hsm, small Node }

// NewLustreHSMGroup returns the LustreHSM I/O instance of group, or an
// error saying what is wrong with its io_config.
func NewLustreHSMGroup(env *Env, group *db.StorageGroup, config map[string]any, fifo *scheduler.FIFO) (*LustreHSMGroup, error) {
	g := &LustreHSMGroup{threshold: 1e9}
	g.init(env, group, fifo)
	if v, set, err := configNumber(config, "threshold"); err != nil {
		return nil, err
	} else if set {
		g.threshold = v
	}
	return g, nil
}

// SetNodes tells the HSM node from the small-file node by their io_class,
// spelled exactly.
func (g *LustreHSMGroup) SetNodes(nodes []Node) ([]Node, error) {
	name := g.Row().Name
	if len(nodes) != 2 {
		return nil, fmt.Errorf("need exactly two nodes in StorageGroup group %s (have %d)", name, len(nodes))
	}
	isHSM := func(n Node) bool {
		c := n.Row().IOClass
		return c != nil && *c == "LustreHSM"
	}
	var p hsmPair
	switch {
	case isHSM(nodes[0]) && isHSM(nodes[1]):
		return nil, fmt.Errorf("Can't use two LustreHSM nodes in StorageGroup %s", name)
	case isHSM(nodes[0]):
		p = hsmPair{hsm: nodes[0], small: nodes[1]}
	case isHSM(nodes[1]):
		p = hsmPair{hsm: nodes[1], small: nodes[0]}
	default:
		return nil, fmt.Errorf("no LustreHSM node in StorageGroup %s", name)
	}
	g.pair.Store(&p)
	return nodes, nil
}

// Exists looks on the small-file node first.
func (g *LustreHSMGroup) Exists(ctx context.Context, path string) Node {
	p := g.pair.Load()
	for _, n := range []Node{p.small, p.hsm} {
		if n.IO().Exists(ctx, path) {
			return n
		}
	}
	return nil
}

// Pull first looks for the file on disk (the pre-pull search), then pulls.
func (g *LustreHSMGroup) Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	QueueSearch(ctx, g.env, g, g.Row(), req)
	return nil
}

// PullForce sends files up to the threshold to the small-file node, larger
// ones to the HSM node. A file of unknown size goes to the HSM node, which
// takes anything.
func (g *LustreHSMGroup) PullForce(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	p := g.pair.Load()
	if size := req.File.SizeB; size != nil && float64(*size) <= g.threshold {
		return p.small.IO().Pull(ctx, req)
	}
	return p.hsm.IO().Pull(ctx, req)
}

// copyWalker hands out the copies of a walk (index.Walk) a batch at a time,
// starting from a random copy and carrying on in id order, wrapping round
// at the end; a batch larger than the selection repeats copies. It belongs
// to the main loop.
type copyWalker struct {
	next int64 // the id to carry on from; 0 before the first batch
}

// batch returns the next n copies of walk on node, or none when there are
// none.
func (w *copyWalker) batch(ctx context.Context, d *db.DB, n int, walk index.Walk, nodeID int64) ([]*db.ArchiveFileCopy, error) {
	if w.next == 0 {
		id, err := index.RandomCopy(ctx, d, walk, nodeID)
		if err != nil || id == 0 {
			return nil, err
		}
		w.next = id
	}
	copies, err := index.CopiesFrom(ctx, d, walk, nodeID, w.next, n)
	if err != nil {
		return nil, err
	}
	for len(copies) < n {
		more, err := index.CopiesFrom(ctx, d, walk, nodeID, 0, n-len(copies))
		if err != nil {
			return nil, err
		}
		if len(more) == 0 {
			// The selection has emptied: start afresh next time.
			w.next = 0
			return nil, nil
		}
		copies = append(copies, more...)
	}
	w.next = copies[len(copies)-1].ID + 1
	return copies, nil
}
