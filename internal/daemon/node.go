package daemon

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/nodeio"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// deleteBatch is how many copies one delete task handles.
const deleteBatch = 10

// node is a storage node hosted here, with its I/O instance and what the
// main loop remembers about it between passes.
type node struct {
	d   *Daemon
	row atomic.Pointer[db.StorageNode]
	// io is read by watcher goroutines and workers queueing imports; nil
	// while the node's I/O class cannot be set up.
	io atomic.Pointer[ioRef]

	// available is true when the node passed its init check last pass.
	available bool
	// updated is true when this pass's update was not skipped.
	updated bool
	// ioHappened is set whenever node I/O is dispatched and cleared by the
	// idle update, which passes it on as newly_idle.
	ioHappened bool
	// avNext is where auto-verify carries on (a copy id); 0 when it has
	// to pick a new random start.
	avNext int64
	// lock keeps other daemons off the node.
	lock nodeLock
}

type ioRef struct{ nodeio.NodeIO }

func (n *node) Name() string         { return n.Row().Name }
func (n *node) Row() *db.StorageNode { return n.row.Load() }

func (n *node) IO() nodeio.NodeIO {
	if r := n.io.Load(); r != nil {
		return r.NodeIO
	}
	return nil
}

func (n *node) setIO(nio nodeio.NodeIO) {
	if nio == nil {
		n.io.Store(nil)
		return
	}
	n.io.Store(&ioRef{nio})
}

func (n *node) Idle() bool {
	nio := n.IO()
	return nio == nil || n.d.queue.FIFOSize(nio.FIFO()) == 0
}

func (n *node) setRow(r *db.StorageNode) {
	n.row.Store(r)
	n.IO().SetStorage(r)
}

// reinit takes this pass's row, setting the I/O instance up again when it
// is new or its class or config changed. It reports whether the node has a
// working I/O instance.
func (n *node) reinit(ctx context.Context, row *db.StorageNode) bool {
	old := n.Row()
	if n.IO() != nil && old.ID == row.ID && eqPtr(old.IOClass, row.IOClass) && eqPtr(old.IOConfig, row.IOConfig) {
		n.setRow(row)
		return true
	}
	if n.IO() != nil {
		n.d.log(ctx).Infof("I/O config change detected for StorageNode \"%s\": attempting re-init.", row.Name)
		n.stop(ctx)
	}
	n.row.Store(row)
	fifo := n.d.queue.NewFIFO("Node " + row.Name)
	nio, err := nodeio.NewNodeIO(n.d.env, row, fifo)
	if err != nil {
		n.d.queue.CloseFIFO(fifo)
		n.d.log(ctx).Error(err.Error())
		n.setIO(nil)
		return false
	}
	n.setIO(nio)
	n.ioHappened = true
	n.avNext = 0
	return true
}

// stop ends the node's work: its watcher goes, queued and deferred tasks
// are discarded (running ones finish) and its FIFO is closed.
func (n *node) stop(ctx context.Context) {
	n.d.watch.stop(n.Name())
	nio := n.IO()
	if nio == nil {
		return
	}
	n.setIO(nil)
	pending, deferred := n.d.queue.CloseFIFO(nio.FIFO())
	if total := pending + deferred; total > 0 {
		n.d.log(ctx).Infof("Discarded %d %s (%d pending; %d deferred) while stopping StorageNode \"%s\".",
			total, plural(total, "task", "tasks"), pending, deferred, n.Name())
	}
	if s, ok := nio.(interface{ Stop() }); ok {
		s.Stop()
	}
}

// checkInit tells whether the node is initialised. If not, a pending init
// request gets an Init Node task queued.
func (n *node) checkInit(ctx context.Context) (bool, error) {
	log := n.d.log(ctx)
	row := n.Row()
	if !row.Active {
		log.Warnf("Ignoring node \"%s\": deactivated during update.", row.Name)
		return false, nil
	}
	if v, ok := n.IO().(interface{ Vanished() bool }); ok && v.Vanished() {
		// Its tasks found the storage gone and dropped what was queued:
		// the node starts afresh, from its node file.
		n.stop(ctx)
		if !n.reinit(ctx, row) {
			return false, nil
		}
	}
	if n.IO().CheckInit(ctx) {
		return true, nil
	}
	if n.available {
		// Its node file went away: what was queued for it is void.
		n.stop(ctx)
		if !n.reinit(ctx, row) {
			return false, nil
		}
	}
	if !n.Idle() {
		// An Init Node task queued earlier has yet to run.
		return false, nil
	}

	req, err := index.PendingInit(ctx, n.d.db, row.ID)
	if err != nil {
		return false, err
	}
	if req == nil {
		log.Warnf("Ignoring node \"%s\": not initialised.", row.Name)
		return false, nil
	}
	nio := n.IO()
	n.d.queue.Submit(ctx, nio.FIFO(), fmt.Sprintf("Init Node \"%s\"", row.Name), func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		log := logging.FromContext(ctx, logging.LoggerDaemonUpdate)
		switch {
		case nio.CheckInit(ctx):
			log.Infof("Node \"%s\" already initialised.", row.Name)
			return scheduler.Done(), nodeio.CompleteImport(ctx, n.d.env, req, n.Row(), "duplicate")
		case nio.Init(ctx) && nio.CheckInit(ctx):
			log.Infof("Node \"%s\" initialised.", row.Name)
			return scheduler.Done(), nodeio.CompleteImport(ctx, n.d.env, req, n.Row(), "success")
		}
		log.Warnf("Initialisation failed for node \"%s\".", row.Name)
		return scheduler.Done(), nil
	}, 0)
	log.Infof("Requesting init of node \"%s\".", row.Name)
	return false, nil
}

// updateFreeSpace measures and records the node's free space.
func (n *node) updateFreeSpace(ctx context.Context) error {
	avail, ok := n.IO().BytesAvail(ctx, false)
	row, err := index.UpdateAvailGB(ctx, n.d.db, n.Row(), avail, ok)
	if err != nil {
		return err
	}
	n.setRow(row)
	if row.AvailGB != nil {
		n.d.log(ctx).Infof("Node %s: %s available.", row.Name, format.BytesFloat(*row.AvailGB*math.Exp2(30)))
	}
	return nil
}

// update is the node's part of a pass: free space always; checks,
// deletions, import requests and readiness of outbound pulls only when the
// node has nothing queued or running, so that nothing is dispatched twice.
func (n *node) update(ctx context.Context) error {
	log := n.d.log(ctx)
	nio := n.IO()
	idle := n.Idle()
	doUpdate := nio.BeforeUpdate(ctx, idle)
	n.d.watch.update(ctx, n)
	if err := n.updateFreeSpace(ctx); err != nil {
		return err
	}
	row := n.Row()
	if !idle || !doUpdate {
		why := "cancelled"
		if !idle {
			why = "busy"
		}
		log.Infof("Skipping update for node %s: %s", row.Name, why)
		n.updated = false
		return nil
	}

	log.Infof("Updating node \"%s\".", row.Name)
	n.d.metrics.NodeUpdate.WithLabelValues(row.Name).Inc()

	checks, err := index.CopiesToCheck(ctx, n.d.db, row.ID)
	if err != nil {
		return err
	}
	for _, c := range checks {
		log.Infof("Checking copy \"%s\" on node %s.", c.File.Path(), row.Name)
		n.ioHappened = true
		nio.Check(ctx, c)
	}
	if err := n.updateDelete(ctx); err != nil {
		return err
	}
	if err := n.updateImport(ctx); err != nil {
		return err
	}
	if err := n.updateOutbound(ctx); err != nil {
		return err
	}
	n.updated = true
	return nil
}

// updateDelete dispatches deletions: released copies, and, on a
// non-archive node short of its minimum free space, removable ones until
// enough would be freed.
func (n *node) updateDelete(ctx context.Context) error {
	log := n.d.log(ctx)
	row := n.Row()
	var needed int64
	removable := false
	if row.UnderMin() && !row.Archive() {
		needed = int64((row.MinAvailGB - *row.AvailGB) * math.Exp2(30))
		log.Infof("Hit minimum available space on %s -- will attempt to free %s.", row.Name, format.BytesFloat(float64(needed)))
		removable = true
	}
	// Copies that are the source of a pending pull stay until it is done.
	copies, pending, err := index.CopiesToDelete(ctx, n.d.db, row.ID, removable)
	if err != nil || len(copies) == 0 {
		return err
	}

	var batch []*db.ArchiveFileCopy
	for _, c := range copies {
		if c.WantsFile == db.WantMaybe && needed <= 0 {
			continue
		}
		if pending[c.FileID] {
			log.Infof("Skipping delete of %s on node %s: transfer pending", c.File.Path(), row.Name)
			continue
		}
		if needed > 0 {
			switch {
			case c.SizeB != nil && *c.SizeB > 0:
				needed -= *c.SizeB
			case c.File.SizeB != nil && *c.File.SizeB > 0:
				needed -= *c.File.SizeB
			}
		}
		if len(batch) >= deleteBatch {
			n.ioHappened = true
			n.IO().Delete(ctx, batch)
			batch = nil
		}
		batch = append(batch, c)
	}
	if len(batch) > 0 {
		n.ioHappened = true
		n.IO().Delete(ctx, batch)
	}
	return nil
}

// updateImport handles the node's pending import requests.
func (n *node) updateImport(ctx context.Context) error {
	log := n.d.log(ctx)
	row := n.Row()
	reqs, err := index.PendingImports(ctx, n.d.db, row.ID)
	if err != nil {
		return err
	}
	root := filepath.Clean(*row.Root)
	for i := range reqs {
		req := &reqs[i]
		done := func(result string) error { return nodeio.CompleteImport(ctx, n.d.env, req, row, result) }
		switch {
		case filepath.IsAbs(req.Path):
			log.Infof("Not importing to \"%s\" absolute path: %s", row.Name, req.Path)
			err = done("invalid")
		case req.Path == db.NodeInitPath:
			log.Infof("Ignoring node init request for \"%s\": already initialised.", row.Name)
			err = done("duplicate")
		case req.Recurse:
			err = n.scanRequest(ctx, root, req)
		default:
			if reason := db.InvalidImportPath(req.Path); reason != "" {
				log.Warnf("Ignoring request for import of invalid path \"%s\": %s", req.Path, reason)
				err = done("invalid")
			} else {
				err = nodeio.ImportFile(ctx, n.d.env, n, req.Path, req.Register, req)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanRequest queues the scan a recursive import request asks for, if its
// path, resolved, lies within the node.
func (n *node) scanRequest(ctx context.Context, root string, req *db.ArchiveFileImportRequest) error {
	log := n.d.log(ctx)
	row := n.Row()
	full := filepath.Join(root, req.Path)
	resolved, err := filepath.EvalSymlinks(full)
	if err == nil {
		_, err = os.Stat(resolved)
	}
	if err != nil {
		log.Warnf("Ignoring import request of unresolvable scan path: %s: %v", full, err)
		return nodeio.CompleteImport(ctx, n.d.env, req, row, "invalid")
	}
	// The root is resolved too, so that a root reached through a symlink
	// does not put every scan out of tree.
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	rel, err := fsutil.Rel(realRoot, resolved)
	if err != nil {
		log.Warnf("Ignoring import request of out-of-tree scan path: %s", resolved)
		return nodeio.CompleteImport(ctx, n.d.env, req, row, "invalid")
	}
	nodeio.QueueScan(ctx, n.d.env, n, fmt.Sprintf("Scan \"%s\" on %s", rel, row.Name), rel, req.Register, req, 0)
	return nil
}

// updateOutbound readies this node's files that other nodes are to pull,
// reading the requests a page at a time.
func (n *node) updateOutbound(ctx context.Context) error {
	log := n.d.log(ctx)
	row := n.Row()
	reasons := map[db.HasFile]string{db.HasNo: "not present", db.HasMaybe: "needs check", db.HasCorrupt: "corrupt"}
	var remote nodeio.NodeRemote
	var after int64
	for {
		reqs, err := index.PendingRequestsFrom(ctx, n.d.db, row.ID, after, requestPage)
		if err != nil || len(reqs) == 0 {
			return err
		}
		after = reqs[len(reqs)-1].Req.ID
		if remote == nil {
			if remote, err = nodeio.NewRemote(n.d.env, row); err != nil {
				log.Error(err.Error())
				return nil
			}
		}
		for _, p := range reqs {
			state := p.SrcState()
			if state != db.HasYes {
				log.Infof("Ignoring ready request for %s on node %s: %s.", p.Req.File.Path(), row.Name, reasons[state])
				continue
			}
			if !remote.PullReady(p.Src) {
				n.ioHappened = true
				n.IO().ReadyPull(ctx, p.Req)
			}
		}
		if len(reqs) < requestPage {
			return nil
		}
	}
}

// updateIdle runs the I/O class's idle hook and auto-verify when the
// node's update ran and it is still idle.
func (n *node) updateIdle(ctx context.Context) error {
	row := n.Row()
	idle := n.Idle()
	n.d.metrics.NodeIdle.WithLabelValues(row.Name).Set(boolValue(idle))
	if !n.updated || !idle {
		return nil
	}
	n.IO().IdleUpdate(ctx, n.ioHappened)
	n.ioHappened = false
	if row.AutoVerify > 0 {
		return n.autoVerify(ctx, int(row.AutoVerify))
	}
	return nil
}

// autoVerify marks up to count copies for checking, walking the node's
// copies from a random start in id order, wrapping around. Copies updated
// within daemon.auto_verify_min_days are passed over.
func (n *node) autoVerify(ctx context.Context, count int) error {
	log := n.d.log(ctx)
	row := n.Row()
	if n.avNext == 0 {
		id, err := index.RandomCopy(ctx, n.d.db, index.WalkKnown, row.ID)
		if err != nil || id == 0 {
			return err
		}
		n.avNext = id
	}
	copies, err := index.CopiesFrom(ctx, n.d.db, index.WalkKnown, row.ID, n.avNext, count)
	if err != nil {
		return err
	}
	if len(copies) < count {
		more, err := index.CopiesFrom(ctx, n.d.db, index.WalkKnown, row.ID, 0, count-len(copies))
		if err != nil {
			return err
		}
		if len(copies)+len(more) == 0 {
			n.avNext = 0
			return nil
		}
		copies = append(copies, more...)
	}
	n.avNext = copies[len(copies)-1].ID + 1

	minAge := time.Duration(n.d.cfg.AutoVerifyMinDays) * 24 * time.Hour
	now := time.Now().UTC()
	for _, c := range copies {
		if now.Sub(c.LastUpdate.Time) <= minAge {
			continue
		}
		log.Infof("Auto-verifing copy \"%s\" on node %s.", c.File.Path(), row.Name)
		if err := index.MarkCopySuspect(ctx, n.d.db, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
