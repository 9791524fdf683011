package daemon

import (
	"context"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/nodeio"
)

// group is a storage group with at least one node available here.
type group struct {
	d   *Daemon
	row *db.StorageGroup
	io  nodeio.GroupIO // nil while its I/O class cannot be set up

	// nodes are those the I/O class accepted this pass; nil when it
	// refused them.
	nodes []nodeio.Node
	// initIdle: the nodes, and the group's own FIFO, were idle at the
	// start of the pass.
	initIdle bool
	// doIdle: the update ran and left the group idle.
	doIdle bool
}

// reinit takes this pass's row and nodes. It reports whether the group has
// a working I/O instance.
func (g *group) reinit(ctx context.Context, row *db.StorageGroup, nodes []nodeio.Node, idle bool) bool {
	log := g.d.log(ctx)
	old := g.row
	if g.io == nil || old.ID != row.ID || !eqPtr(old.IOClass, row.IOClass) || !eqPtr(old.IOConfig, row.IOConfig) {
		if g.io != nil {
			log.Infof("I/O config change detected for StorageGroup \"%s\": attempting re-init.", row.Name)
			g.stop(ctx)
		}
		g.row = row
		fifo := g.d.queue.NewFIFO("Group " + row.Name)
		gio, err := nodeio.NewGroupIO(g.d.env, row, fifo)
		if err != nil {
			g.d.queue.CloseFIFO(fifo)
			log.Error(err.Error())
			g.io, g.nodes = nil, nil
			return false
		}
		g.io = gio
	} else {
		g.row = row
		g.io.SetStorage(row)
	}
	// A search still queued for a request would otherwise be dispatched
	// again. The group's own FIFO is read before the nodes' are read again:
	// a search finishing in between has queued its pull on a node by then,
	// and the node is seen busy. Read only before (idle), the nodes could
	// look idle while the search still ran, the group's FIFO empty just
	// after, and the request be dispatched again: one file pulled twice
	// at once into the same place.
	groupIdle := g.d.queue.FIFOSize(g.io.FIFO()) == 0
	for _, n := range nodes {
		idle = idle && n.Idle()
	}
	g.initIdle = idle && groupIdle
	accepted, err := g.io.SetNodes(nodes)
	if err != nil {
		log.Warn(err.Error())
		accepted = nil
	}
	g.nodes = accepted
	return true
}

// stop discards the group's queued and deferred tasks and closes its FIFO.
func (g *group) stop(ctx context.Context) {
	if g.io == nil {
		return
	}
	pending, deferred := g.d.queue.CloseFIFO(g.io.FIFO())
	if total := pending + deferred; total > 0 {
		g.d.log(ctx).Infof("Discarded %d %s (%d pending; %d deferred) while stopping StorageGroup \"%s\".",
			total, plural(total, "task", "tasks"), pending, deferred, g.row.Name)
	}
	g.io = nil
}

// idle reports whether the group and its nodes have nothing queued or
// running.
func (g *group) idle() bool {
	if g.nodes == nil || g.d.queue.FIFOSize(g.io.FIFO()) > 0 {
		return false
	}
	for _, n := range g.nodes {
		if !n.Idle() {
			return false
		}
	}
	return true
}

// update handles the copy requests into the group, when everything was
// idle at the start of the pass.
func (g *group) update(ctx context.Context) error {
	log := g.d.log(ctx)
	g.doIdle = false
	if g.nodes == nil {
		return nil
	}
	doUpdate := g.io.BeforeUpdate(ctx, g.initIdle)
	if !g.initIdle || !doUpdate {
		why := "cancelled"
		if !g.initIdle {
			why = "busy"
		}
		log.Infof("Skipping update for group %s: %s", g.row.Name, why)
		return nil
	}
	log.Infof("Updating group \"%s\".", g.row.Name)
	g.d.metrics.GroupUpdate.WithLabelValues(g.row.Name).Inc()
	if err := g.updatePulls(ctx); err != nil {
		return err
	}
	g.doIdle = g.idle()
	return nil
}

// requestPage is how many pending requests a pass reads at a time: what
// the update holds at once, with their copies.
const requestPage = 1000

// maxQueuedPulls bounds the pulls one group update hands to the I/O class.
// Each becomes a queued task holding its request and file: 188,000
// pending requests, all handed over at once, took 580 MB. The update only
// runs when the group's nodes are idle, so this bounds what is queued per
// node; the rest waits for the passes after the queue has drained. A few
// thousand keep every worker busy between passes.
const maxQueuedPulls = 4096

// updatePulls decides, for each pending request into the group, whether
// to pull, wait or cancel, a page of requests at a time, until
// maxQueuedPulls pulls have been handed over or no request is left.
// Requests and the copies they depend on are read in a handful of queries
// per page.
func (g *group) updatePulls(ctx context.Context) error {
	// One request per file and pass: two pulls of one file would write the
	// same destination. A request skipped because of its source does not
	// count, so that another source's request for the file is considered.
	handled := map[int64]bool{}
	now := time.Now()
	var after int64
	for queued := 0; queued < maxQueuedPulls; {
		reqs, err := index.PendingRequestsInto(ctx, g.d.db, g.row.ID, after, requestPage)
		if err != nil || len(reqs) == 0 {
			return err
		}
		after = reqs[len(reqs)-1].Req.ID
		n, err := g.pullPage(ctx, reqs, handled, now, maxQueuedPulls-queued)
		if err != nil || len(reqs) < requestPage {
			return err
		}
		queued += n
	}
	return nil
}

// pullPage decides on a page of pending requests, handing over at most
// room pulls, and returns how many it handed over.
func (g *group) pullPage(ctx context.Context, reqs []index.PendingRequest, handled map[int64]bool, now time.Time, room int) (int, error) {
	log := g.d.log(ctx)
	fileIDs := make([]int64, len(reqs))
	for i, p := range reqs {
		fileIDs[i] = p.Req.FileID
	}
	copies, err := index.GroupFileCopies(ctx, g.d.db, g.row.ID, fileIDs)
	if err != nil {
		return 0, err
	}
	byFile := map[int64][]index.GroupCopy{}
	for _, c := range copies {
		byFile[c.FileID] = append(byFile[c.FileID], c)
	}

	// The page's pulls are handed over together, so that the I/O class
	// can serve many with one task.
	var pulls []*db.ArchiveFileCopyRequest
	forced := 0
	remotes := nodeio.Remotes{}
	for _, p := range reqs {
		if len(pulls)+forced == room {
			break
		}
		req := p.Req
		if handled[req.FileID] {
			continue
		}
		path := req.File.Path()
		src := req.NodeFrom
		result := func(r string) {
			g.d.metrics.RequestsCompleted.WithLabelValues("copy", r, src.Name, g.row.Name).Inc()
		}

		state, _ := index.GroupState(byFile[req.FileID])
		switch state {
		case db.HasYes:
			handled[req.FileID] = true
			log.Infof("Cancelling pull request for %s: already present in group %s.", path, g.row.Name)
			if err := index.CancelRequest(ctx, g.d.db, req.ID); err != nil {
				return 0, err
			}
			result("duplicate")
			continue
		case db.HasMaybe:
			handled[req.FileID] = true
			log.Warnf("Skipping pull request for %s: existing copy in group %s needs check.", path, g.row.Name)
			continue
		}

		if !src.Active {
			log.Warnf("Skipping request for %s: source node %s is not active.", path, src.Name)
			continue
		}
		switch p.SrcState() {
		case db.HasNo, db.HasCorrupt:
			log.Warnf("Cancelling request for %s: not available on node %s. [file_id=%d]", path, src.Name, req.FileID)
			if err := index.CancelRequest(ctx, g.d.db, req.ID); err != nil {
				return 0, err
			}
			result("missing")
			continue
		case db.HasMaybe:
			log.Infof("Skipping request for %s: source needs check on node %s.", path, src.Name)
			continue
		}
		if until, waiting := g.d.env.Backoff.Waiting(req.ID, now); waiting {
			log.Debugf("Skipping request for %s: retrying after %s (pull failed).", path, until.UTC().Format(time.RFC3339))
			continue
		}
		remote, err := remotes.Get(g.d.env, src)
		if err != nil {
			log.Errorf("Skipping request for %s: %v", path, err)
			continue
		}
		if !remote.PullReady(p.Src) {
			log.Debugf("Skipping request for %s: not ready on node %s.", path, src.Name)
			continue
		}

		handled[req.FileID] = true
		if state != db.HasCorrupt {
			pulls = append(pulls, req)
			continue
		}
		forced++
		if err := g.io.PullForce(ctx, req); err != nil {
			return 0, err
		}
	}
	return len(pulls) + forced, nodeio.PullAll(ctx, g.io, pulls)
}

// updateIdle runs the I/O class's idle hook when the update ran and left
// the group idle.
func (g *group) updateIdle(ctx context.Context) {
	g.d.metrics.GroupIdle.WithLabelValues(g.row.Name).Set(boolValue(g.doIdle))
	if g.doIdle {
		g.io.IdleUpdate(ctx)
	}
}
