package io

import (
	"context"
	"fmt"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// DefaultGroup is the Default group I/O class: the group works through its
// one node available on this host.
type DefaultGroup struct {
	env   *Env
	fifo  *scheduler.FIFO
	group atomic.Pointer[db.StorageGroup]
	node  atomic.Value // Node
}

// NewDefaultGroup returns the Default I/O instance of group.
func NewDefaultGroup(env *Env, group *db.StorageGroup, fifo *scheduler.FIFO) *DefaultGroup {
	g := &DefaultGroup{env: env, fifo: fifo}
	g.group.Store(group)
	return g
}

func (g *DefaultGroup) FIFO() *scheduler.FIFO                   { return g.fifo }
func (g *DefaultGroup) SetStorage(group *db.StorageGroup)       { g.group.Store(group) }
func (g *DefaultGroup) BeforeUpdate(context.Context, bool) bool { return true }
func (g *DefaultGroup) IdleUpdate(context.Context)              {}
func (g *DefaultGroup) AfterUpdate(context.Context)             {}

// Row is the group row the instance works with.
func (g *DefaultGroup) Row() *db.StorageGroup { return g.group.Load() }

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
	QueueSearch(ctx, g.env, g, g.Row(), req)
	return nil
}

// QueueSearch queues the pre-pull search of a request in a group's FIFO:
// unless the file turns out to be in the group already (by the data index,
// or on disk, unregistered), the request goes to io.PullForce.
func QueueSearch(ctx context.Context, env *Env, io GroupIO, group *db.StorageGroup, req *db.ArchiveFileCopyRequest) {
	name := fmt.Sprintf("Pre-pull search for %s in %s", FilePath(req.File), group.Name)
	env.Queue.Submit(ctx, io.FIFO(), name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), search(ctx, env, io, group, req)
	}, 0)
}

func search(ctx context.Context, env *Env, io GroupIO, group *db.StorageGroup, req *db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	path := FilePath(req.File)

	// The situation may have changed while the task was queued.
	state, _, err := FileGroupState(ctx, env.DB, group.ID, req.FileID)
	if err != nil {
		return err
	}
	if state == db.HasYes || state == db.HasMaybe {
		log.Infof("Cancelling pull request for %s: file already in group %s.", path, group.Name)
		return CancelRequest(ctx, env, req.ID)
	}

	log.Debugf("req=%d", req.ID)
	node := io.Exists(ctx, path)
	if node == nil {
		return io.PullForce(ctx, req)
	}
	log.Warnf("Skipping pull request for %s: file already on disk in group %s.", path, group.Name)
	log.Infof("Requesting check of %s on node %s.", path, node.Name())
	// The check decides: 'Y' cancels the request next pass, 'X' makes it
	// overwrite the file, 'N' makes it a normal pull.
	size, _ := node.IO().FileSize(path, true)
	c := db.ArchiveFileCopy{FileID: req.FileID, NodeID: node.Row().ID, HasFile: db.HasMaybe, WantsFile: db.WantYes,
		Ready: false, SizeB: &size, LastUpdate: db.Now()}
	err = env.DB.Retry(ctx, func(g *gorm.DB) error { return g.Create(&c).Error })
	if isDuplicate(err) {
		err = env.DB.Retry(ctx, func(g *gorm.DB) error {
			return g.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", req.FileID, node.Row().ID).
				Updates(map[string]any{"has_file": db.HasMaybe, "wants_file": db.WantYes, "ready": false, "last_update": db.Now()}).Error
		})
	}
	return dbErr(err)
}

// CancelRequest cancels a pending copy request. Only the cancelled flag is
// written, and only on a pending request, so that a concurrent completion
// is never undone.
func CancelRequest(ctx context.Context, env *Env, id int64) error {
	return dbErr(env.DB.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopyRequest{}).Where("id = ? AND completed = ?", id, false).Update("cancelled", true).Error
	}))
}
