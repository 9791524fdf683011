// Package io is the daemon's I/O class framework and its Default classes.
//
// Every storage node and group is served by an I/O class named by its
// io_class column (NULL meaning "Default"): a node I/O instance does the
// node's file work, a group I/O instance decides which of the group's nodes
// receives a pulled file, and a remote view describes a node of any host as
// the source of a pull. The daemon's update loop decides what needs doing;
// the I/O classes do it, mostly by queueing tasks that the worker pool runs.
//
// The tasks themselves live here too: import and scan, pull and its
// pre-pull search, check, delete and tidy-up, together with what they write
// to the data index (request completion and the auto-actions that follow a
// new copy).
//
// Extensions add I/O classes by registering a *Module under a lower-case
// key in their Capabilities.IOModules.
package nodeio

import (
	"context"
	"fmt"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/metrics"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// Env is what I/O instances and their tasks share: the data index, the task
// queue, the daemon's settings and identity, the loaded extensions and the
// metrics.
type Env struct {
	DB       *db.DB
	Queue    *scheduler.Queue
	Settings config.Daemon
	Ext      *extension.Set
	Metrics  *metrics.Metrics
	// SSH is how remote pulls reach their source hosts.
	SSH *transfer.SSH
	// Backoff holds back the requests whose pulls failed.
	Backoff Backoff

	reserved reservations
}

// Host is the host name the daemon runs as.
func (e *Env) Host() string { return e.Settings.Hostname }

// Local reports whether node is hosted by this daemon.
func (e *Env) Local(node *db.StorageNode) bool {
	return node.Host != nil && *node.Host == e.Settings.Hostname
}

// WatchMode says how a node I/O class wants its node watched for new files
// when auto-import is on.
type WatchMode int

const (
	// WatchNone: the class cannot watch; auto-import is refused.
	WatchNone WatchMode = iota
	// WatchNative: kernel notifications (inotify), recursive.
	WatchNative
	// WatchPolling: periodic rescans, for filesystems such as NFS where
	// notifications do not arrive.
	WatchPolling
)

// Node is a node available to this daemon, as a group I/O class sees it.
type Node interface {
	Name() string
	// Row is the node's data-index row as of this pass.
	Row() *db.StorageNode
	IO() NodeIO
	// Idle reports whether the node's FIFO has nothing queued or running.
	Idle() bool
}

// NodeIO is a node I/O instance. Rows handed to it carry what the methods
// need: copies their File and File.Acq, requests their File (with Acq),
// NodeFrom and GroupTo.
type NodeIO interface {
	// FIFO is the queue lane of the node's tasks.
	FIFO() *scheduler.FIFO
	// SetStorage replaces the cached node row; called each pass on which
	// the instance is kept.
	SetStorage(node *db.StorageNode)
	// Watch says how the node is watched for auto-import.
	Watch() WatchMode

	// BeforeUpdate runs every pass before the node update; false skips
	// the update.
	BeforeUpdate(ctx context.Context, idle bool) bool
	// IdleUpdate runs after an update when the node's FIFO is empty;
	// newlyIdle is true when node I/O was dispatched since the last call.
	IdleUpdate(ctx context.Context, newlyIdle bool)
	// AfterUpdate runs at the end of every pass.
	AfterUpdate(ctx context.Context)

	// BytesAvail returns the free bytes of the node's storage; ok is false
	// when unknown. fast permits skipping an expensive measurement.
	BytesAvail(ctx context.Context, fast bool) (n int64, ok bool)
	// CheckInit inspects the storage (not the data index) to tell whether
	// the node is initialised.
	CheckInit(ctx context.Context) bool
	// Init initialises the node; only called when CheckInit is false.
	Init(ctx context.Context) bool
	// Exists reports whether the file at path (relative to the root) is
	// on the node.
	Exists(ctx context.Context, path string) bool
	// Fits reports whether a file of size bytes would fit.
	Fits(ctx context.Context, size int64) bool
	// ReadyPath makes a file readable for import; false means "not yet,
	// ask again later".
	ReadyPath(ctx context.Context, path string) bool
	// Locked reports whether a file is held back from import.
	Locked(ctx context.Context, path string) bool
	// MD5 returns the hex MD5 of the file at path (relative to the root);
	// ok is false when it cannot be read.
	MD5(ctx context.Context, path string) (sum string, ok bool)
	// FileSize returns the size of the file at path (absolute, or
	// relative to the root): its apparent size, or with actual the space
	// it takes on the storage.
	FileSize(path string, actual bool) (int64, error)
	// FileWalk calls fn with the absolute path of every regular file
	// under path (relative to the root).
	FileWalk(ctx context.Context, path string, fn func(abs string) error) error

	// Check verifies a copy, normally by queueing a task.
	Check(ctx context.Context, copy *db.ArchiveFileCopy)
	// Delete removes copies, normally by queueing one task; an empty list
	// does nothing.
	Delete(ctx context.Context, copies []*db.ArchiveFileCopy)
	// Pull copies a request's file onto the node, normally by queueing a
	// task.
	Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error
	// ReadyPull prepares a file on this (source) node for a pull by
	// another node.
	ReadyPull(ctx context.Context, req *db.ArchiveFileCopyRequest)
}

// GroupIO is a group I/O instance.
type GroupIO interface {
	FIFO() *scheduler.FIFO
	SetStorage(group *db.StorageGroup)
	// SetNodes receives this pass's available nodes of the group (never
	// none) and returns those it will work with, or an error whose text
	// the daemon logs as a warning (the group is then inactive this pass).
	SetNodes(nodes []Node) ([]Node, error)
	BeforeUpdate(ctx context.Context, idle bool) bool
	IdleUpdate(ctx context.Context)
	AfterUpdate(ctx context.Context)
	// Exists returns the node of the group holding the file at path on
	// disk, or nil.
	Exists(ctx context.Context, path string) Node
	// Pull handles a request whose file is not in the group.
	Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error
	// PullForce handles a request, overwriting any file already there.
	PullForce(ctx context.Context, req *db.ArchiveFileCopyRequest) error
}

// NodeRemote is the read-only view of a node, on any host, as the source
// of a pull.
type NodeRemote interface {
	// FilePath is the absolute path of file on the node.
	FilePath(file *db.ArchiveFile) string
	// FileAddr is "username@address:path", for a remote pull.
	FileAddr(file *db.ArchiveFile) (string, error)
	// PullReady reports whether the file whose copy on the node is src
	// (nil when there is no copy row) can be pulled now.
	PullReady(src *db.ArchiveFileCopy) bool
}

// Module is an I/O class: what an io_class value names.
type Module struct {
	// Class is the class name as io_class must spell it ("Default");
	// look-up of the module is case-insensitive, of the class exact, as
	// upstream's Python class names are.
	Class string
	// NewNode, NewGroup and NewRemote construct the class's instances;
	// nil when the class has no node (or group) flavour. config is the
	// parsed io_config.
	NewNode   func(env *Env, node *db.StorageNode, config map[string]any, fifo *scheduler.FIFO) (NodeIO, error)
	NewGroup  func(env *Env, group *db.StorageGroup, config map[string]any, fifo *scheduler.FIFO) (GroupIO, error)
	NewRemote func(env *Env, node *db.StorageNode, config map[string]any) (NodeRemote, error)
}

// builtins are the I/O modules compiled into alpenhorn, by lower-case key.
var builtins = map[string]*Module{
	"default":     DefaultModule,
	"polling":     PollingModule,
	"transport":   TransportModule,
	"lustrequota": LustreQuotaModule,
	"lustrehsm":   LustreHSMModule,
}

// ClassError is a node or group whose I/O class cannot be used. The daemon
// logs it and leaves the node or group alone until its row changes.
type ClassError struct {
	// NoModule is set when no module answers to the class name; the
	// message is then upstream's "No module for I/O class" line.
	NoModule bool
	Msg      string
}

func (e *ClassError) Error() string { return e.Msg }

// kind names what is being set up in messages: "StorageNode" or
// "StorageGroup".
func lookup(env *Env, ioClass *string, kind, name, suffix string) (*Module, string, error) {
	class := "Default"
	if ioClass != nil {
		class = *ioClass
	}
	key := strings.ToLower(class)
	m := builtins[key]
	if m == nil && key != "base" && env.Ext != nil {
		switch v := env.Ext.IOModule(class).(type) {
		case *Module:
			m = v
		case nil:
		default:
			return nil, class, &ClassError{Msg: fmt.Sprintf("I/O module for \"%s\" is not an I/O module (%T). Required for %s %s.", class, v, kind, name)}
		}
	}
	if m == nil {
		return nil, class, &ClassError{NoModule: true, Msg: fmt.Sprintf("No module for I/O class \"%s\".  Ignoring %s %s.", class, kind, name)}
	}
	if class != m.Class {
		return nil, class, &ClassError{Msg: fmt.Sprintf("I/O class \"%s\" not found in module \"%s\". Required for %s %s.", class+suffix, "alpenhorn.io."+key, kind, name)}
	}
	return m, class, nil
}

// ParseConfig parses an io_config column: NULL is an empty object; anything
// but a JSON object is refused. It reads JSON as the CLI does (Python's
// rules: NaN and Infinity allowed), so that a config the CLI wrote is never
// refused here.
func ParseConfig(text *string) (map[string]any, error) {
	if text == nil {
		return map[string]any{}, nil
	}
	v, err := format.ParseJSON(*text)
	if err != nil {
		return nil, fmt.Errorf("Invalid io_config: \"%s\": %v.", *text, err)
	}
	m, ok := format.PlainJSON(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Invalid io_config: \"%s\".", *text)
	}
	return m, nil
}

// NewNodeIO constructs the I/O instance of a node.
func NewNodeIO(env *Env, node *db.StorageNode, fifo *scheduler.FIFO) (NodeIO, error) {
	m, class, err := lookup(env, node.IOClass, "StorageNode", node.Name, "NodeIO")
	if err != nil {
		return nil, err
	}
	if m.NewNode == nil {
		return nil, &ClassError{Msg: fmt.Sprintf("I/O class \"%s\" not found in module \"%s\". Required for StorageNode %s.", class+"NodeIO", "alpenhorn.io."+strings.ToLower(class), node.Name)}
	}
	conf, err := ParseConfig(node.IOConfig)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageNode %s.", err, node.Name)}
	}
	io, err := m.NewNode(env, node, conf, fifo)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageNode %s.", err, node.Name)}
	}
	return io, nil
}

// NewGroupIO constructs the I/O instance of a group.
func NewGroupIO(env *Env, group *db.StorageGroup, fifo *scheduler.FIFO) (GroupIO, error) {
	m, class, err := lookup(env, group.IOClass, "StorageGroup", group.Name, "GroupIO")
	if err != nil {
		return nil, err
	}
	if m.NewGroup == nil {
		return nil, &ClassError{Msg: fmt.Sprintf("I/O class \"%s\" not found in module \"%s\". Required for StorageGroup %s.", class+"GroupIO", "alpenhorn.io."+strings.ToLower(class), group.Name)}
	}
	conf, err := ParseConfig(group.IOConfig)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageGroup %s.", err, group.Name)}
	}
	io, err := m.NewGroup(env, group, conf, fifo)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageGroup %s.", err, group.Name)}
	}
	return io, nil
}

// NewRemote constructs the remote view of a node, which may be hosted
// anywhere.
func NewRemote(env *Env, node *db.StorageNode) (NodeRemote, error) {
	m, class, err := lookup(env, node.IOClass, "StorageNode", node.Name, "NodeIO")
	if err != nil {
		return nil, err
	}
	if m.NewRemote == nil {
		return nil, &ClassError{Msg: fmt.Sprintf("I/O class \"%s\" not found in module \"%s\". Required for StorageNode %s.", class+"NodeIO", "alpenhorn.io."+strings.ToLower(class), node.Name)}
	}
	conf, err := ParseConfig(node.IOConfig)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageNode %s.", err, node.Name)}
	}
	r, err := m.NewRemote(env, node, conf)
	if err != nil {
		return nil, &ClassError{Msg: fmt.Sprintf("%v  Ignoring StorageNode %s.", err, node.Name)}
	}
	return r, nil
}

// Remotes holds the remote view (NewRemote) of each source node of many
// requests read together: making one parses the node's I/O
// configuration, the same for all of the node's requests.
type Remotes map[int64]remoteView

type remoteView struct {
	remote NodeRemote
	err    error
}

// Get returns NewRemote(env, node), made once per node (none kept in a
// nil r).
func (r Remotes) Get(env *Env, node *db.StorageNode) (NodeRemote, error) {
	if v, ok := r[node.ID]; ok {
		return v.remote, v.err
	}
	remote, err := NewRemote(env, node)
	if r != nil {
		r[node.ID] = remoteView{remote, err}
	}
	return remote, err
}
