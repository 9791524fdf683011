package nodeio

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// TransportModule is the Transport I/O class: a group of removable
// "transport" disks carried between sites. Any number of its nodes may be
// available; only those of storage type 'T' are used, whatever their node
// I/O class. Only pulls from a node on this host are served, and each goes
// to the fullest node it fits on, so that disks are filled one at a time.
// It takes no io_config keys.
var TransportModule = &Module{
	Class: "Transport",
	NewGroup: func(env *Env, group *db.StorageGroup, _ map[string]any, fifo *scheduler.FIFO) (GroupIO, error) {
		g := &TransportGroup{}
		g.init(env, group, fifo)
		return g, nil
	},
}

// TransportGroup is the Transport group I/O class.
type TransportGroup struct {
	groupBase
	// nodes is set by the main loop and read by pre-pull searches.
	nodes atomic.Pointer[[]Node]
}

func (g *TransportGroup) usable() []Node {
	if p := g.nodes.Load(); p != nil {
		return *p
	}
	return nil
}

// SetNodes keeps the transport nodes, warning of the others.
func (g *TransportGroup) SetNodes(nodes []Node) ([]Node, error) {
	group := g.Row().Name
	var usable []Node
	for _, n := range nodes {
		if n.Row().StorageType != db.StorageTransport {
			logging.Named(logging.LoggerIOTransport).Warnf("Ignoring non-transport node \"%s\" in Transport Group \"%s\"", n.Name(), group)
			continue
		}
		usable = append(usable, n)
	}
	g.nodes.Store(&usable)
	if len(usable) == 0 {
		return nil, fmt.Errorf("no usable nodes (%d unusable) in Transport group %s", len(nodes), group)
	}
	return usable, nil
}

// Exists returns the first node, in the order SetNodes received them,
// holding the file.
func (g *TransportGroup) Exists(ctx context.Context, path string) Node {
	for _, n := range g.usable() {
		if n.IO().Exists(ctx, path) {
			return n
		}
	}
	return nil
}

// Pull first looks for the file on disk (the pre-pull search), then pulls.
func (g *TransportGroup) Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	QueueSearch(ctx, g.env, g, g.Row(), req)
	return nil
}

// PullForce hands a request from a local node to the fullest transport
// node that is within its limits and has room for the file. A request from
// another host stays pending: the daemon there may serve it, if the group
// has nodes on that host too.
func (g *TransportGroup) PullForce(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIOTransport)
	path := req.File.Path()
	if !g.env.Local(req.NodeFrom) {
		log.Infof("Skipping pull of %s from node %s to group %s: non-local transfer request.", path, req.NodeFrom.Name, g.Row().Name)
		return nil
	}

	// Free space changes as pulls are dispatched and completed, so the
	// order is decided again for every request.
	key := func(n Node) float64 {
		row := n.Row()
		if row.AvailGB != nil {
			return *row.AvailGB
		}
		// Unknown free space sorts after any real disk, by id.
		return float64(row.ID) * 1e9
	}
	nodes := slices.Clone(g.usable())
	slices.SortStableFunc(nodes, func(a, b Node) int { return cmp.Compare(key(a), key(b)) })

	for _, n := range nodes {
		row := n.Row()
		if row.UnderMin() {
			log.Debugf("Ignoring transport node %s: hit min_avail_gb", n.Name())
			continue
		}
		over, _, err := index.OverMax(ctx, g.env.DB, row)
		if err != nil {
			return err
		}
		if over {
			log.Debugf("Ignoring transport node %s: hit max_total_gb", n.Name())
			continue
		}
		if !n.IO().Fits(ctx, fileSize(req.File)) {
			log.Debugf("Ignoring transport node %s: not enough space", n.Name())
			continue
		}
		return n.IO().Pull(ctx, req)
	}
	log.Debugf("Unable to find a transport node for \"%s\"", path)
	return nil
}
