package nodeio

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// groupBase is what every group I/O class of this package has: the group
// row, kept up to date by the main loop, and the group's queue lane.
// Classes embed it rather than DefaultGroup, so that they never inherit a
// method of the Default class (PullBatch, say) working on its one node.
type groupBase struct {
	env   *Env
	fifo  *scheduler.FIFO
	group atomic.Pointer[db.StorageGroup]
}

func (g *groupBase) init(env *Env, group *db.StorageGroup, fifo *scheduler.FIFO) {
	g.env, g.fifo = env, fifo
	g.group.Store(group)
}

func (g *groupBase) FIFO() *scheduler.FIFO                   { return g.fifo }
func (g *groupBase) SetStorage(group *db.StorageGroup)       { g.group.Store(group) }
func (g *groupBase) BeforeUpdate(context.Context, bool) bool { return true }
func (g *groupBase) IdleUpdate(context.Context)              {}
func (g *groupBase) AfterUpdate(context.Context)             {}

// Row is the group row the instance works with.
func (g *groupBase) Row() *db.StorageGroup { return g.group.Load() }

// DefaultGroup is the Default group I/O class: the group works through its
// one node available on this host.
type DefaultGroup struct {
	groupBase
	node atomic.Value // Node
}

// NewDefaultGroup returns the Default I/O instance of group.
func NewDefaultGroup(env *Env, group *db.StorageGroup, fifo *scheduler.FIFO) *DefaultGroup {
	g := &DefaultGroup{}
	g.init(env, group, fifo)
	return g
}

// SetNodes accepts exactly one node.
func (g *DefaultGroup) SetNodes(nodes []Node) ([]Node, error) {
	if len(nodes) != 1 {
		return nil, fmt.Errorf("Too many active nodes in group %s.", g.Row().Name)
	}
	g.node.Store(nodes[0])
	return nodes, nil
}

func (g *DefaultGroup) theNode() Node { return g.node.Load().(Node) }

// Exists returns the group's node if the file is on it.
func (g *DefaultGroup) Exists(ctx context.Context, path string) Node {
	if n := g.theNode(); n.IO().Exists(ctx, path) {
		return n
	}
	return nil
}

// PullForce hands the request to the node.
func (g *DefaultGroup) PullForce(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	return g.theNode().IO().Pull(ctx, req)
}

// Pull first looks for the file on disk (the pre-pull search), then pulls.
func (g *DefaultGroup) Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	return g.PullBatch(ctx, []*db.ArchiveFileCopyRequest{req})
}

// PullBatch is Pull for many requests. Those whose pulls will be hard
// links or remote batches (see DefaultNode.batchable) are searched for
// pullBatch or remoteBatchFiles to a task, whose pulls go to the node
// together; the others, whose transfers dominate, one by one.
func (g *DefaultGroup) PullBatch(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error {
	node := g.theNode()
	remote, _ := node.IO().(remoteBatcher)
	if !rsyncBatches() {
		remote = nil
	}
	var links, remotes []*db.ArchiveFileCopyRequest
	views := Remotes{}
	for _, req := range reqs {
		switch {
		case linkable(g.env, req.NodeFrom, node.Row()):
			links = append(links, req)
		case remote != nil && remote.batchable(req, views):
			remotes = append(remotes, req)
		default:
			QueueSearch(ctx, g.env, g, g.Row(), req)
		}
	}
	g.searchBatches(ctx, links, pullBatch)
	g.searchBatches(ctx, remotes, remoteBatchFiles)
	return nil
}

// searchBatches queues the pre-pull searches of reqs, size to a task,
// each handing its pulls to the node together.
func (g *DefaultGroup) searchBatches(ctx context.Context, reqs []*db.ArchiveFileCopyRequest, size int) {
	for batch := range slices.Chunk(reqs, size) {
		queueSearch(ctx, g.env, g, g.Row(), batch, func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error {
			return PullAll(ctx, g.theNode().IO(), reqs)
		})
	}
}

// QueueSearch queues the pre-pull search of a request in a group's FIFO:
// unless the file turns out to be in the group already (by the data index,
// or on disk, unregistered), the request goes to io.PullForce.
func QueueSearch(ctx context.Context, env *Env, io GroupIO, group *db.StorageGroup, req *db.ArchiveFileCopyRequest) {
	queueSearch(ctx, env, io, group, []*db.ArchiveFileCopyRequest{req}, func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error {
		for _, req := range reqs {
			if err := io.PullForce(ctx, req); err != nil {
				return err
			}
		}
		return nil
	})
}

// queueSearch queues one task making the pre-pull searches of reqs (at
// most index.IDChunk) and handing those to pull to pull.
func queueSearch(ctx context.Context, env *Env, io GroupIO, group *db.StorageGroup, reqs []*db.ArchiveFileCopyRequest,
	pull func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error) {
	name := fmt.Sprintf("Pre-pull search for %s in %s", reqs[0].File.Path(), group.Name)
	if len(reqs) > 1 {
		name = fmt.Sprintf("Pre-pull search for %d files in %s", len(reqs), group.Name)
	}
	env.Queue.Submit(ctx, io.FIFO(), name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), search(ctx, env, io, group, reqs, pull)
	}, 0)
}

func search(ctx context.Context, env *Env, io GroupIO, group *db.StorageGroup, reqs []*db.ArchiveFileCopyRequest,
	pull func(ctx context.Context, reqs []*db.ArchiveFileCopyRequest) error) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)

	// The situation may have changed while the task was queued.
	ids := make([]int64, len(reqs))
	for i, req := range reqs {
		ids[i] = req.FileID
	}
	copies, err := index.GroupFileCopies(ctx, env.DB, group.ID, ids)
	if err != nil {
		return err
	}
	byFile := map[int64][]index.GroupCopy{}
	for _, c := range copies {
		byFile[c.FileID] = append(byFile[c.FileID], c)
	}

	var absent []*db.ArchiveFileCopyRequest
	for _, req := range reqs {
		path := req.File.Path()
		if state, _ := index.GroupState(byFile[req.FileID]); state == db.HasYes || state == db.HasMaybe {
			log.Infof("Cancelling pull request for %s: file already in group %s.", path, group.Name)
			if err := index.CancelRequest(ctx, env.DB, req.ID); err != nil {
				return err
			}
			continue
		}

		node := io.Exists(ctx, path)
		if node == nil {
			absent = append(absent, req)
			continue
		}
		log.Warnf("Skipping pull request for %s: file already on disk in group %s.", path, group.Name)
		log.Infof("Requesting check of %s on node %s.", path, node.Name())
		if err := requestCheck(ctx, env, node, req); err != nil {
			return err
		}
	}
	if len(absent) == 0 {
		return nil
	}
	return pull(ctx, absent)
}

// requestCheck records the file of req, found on node's disk but not in
// the data index, as needing a check (index.RequestCheck).
func requestCheck(ctx context.Context, env *Env, node Node, req *db.ArchiveFileCopyRequest) error {
	size, _ := node.IO().FileSize(req.File.Path(), true)
	return index.RequestCheck(ctx, env.DB, req.FileID, node.Row().ID, size)
}
