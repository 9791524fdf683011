package nodeio

import (
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// PollingModule is the Polling I/O class: a Default node whose auto-import
// rescans the tree every daemon.auto_import_interval seconds instead of
// relying on inotify, which sees nothing of changes made on other hosts of
// a network filesystem such as NFS. It takes no io_config keys.
var PollingModule = &Module{
	Class: "Polling",
	NewNode: func(env *Env, node *db.StorageNode, _ map[string]any, fifo *scheduler.FIFO) (NodeIO, error) {
		return &PollingNode{DefaultNode: NewDefaultNode(env, node, fifo)}, nil
	},
	NewRemote: DefaultModule.NewRemote,
}

// PollingNode is the Polling node I/O class.
type PollingNode struct {
	*DefaultNode
}

func (*PollingNode) Watch() WatchMode { return WatchPolling }
