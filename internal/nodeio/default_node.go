package nodeio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// DefaultModule is the Default I/O class: a node is a directory tree on a
// POSIX filesystem mounted on its host; a group has exactly one node
// available on any host.
var DefaultModule = &Module{
	Class: "Default",
	NewNode: func(env *Env, node *db.StorageNode, _ map[string]any, fifo *scheduler.FIFO) (NodeIO, error) {
		return NewDefaultNode(env, node, fifo), nil
	},
	NewGroup: func(env *Env, group *db.StorageGroup, _ map[string]any, fifo *scheduler.FIFO) (GroupIO, error) {
		return NewDefaultGroup(env, group, fifo), nil
	},
	NewRemote: func(_ *Env, node *db.StorageNode, _ map[string]any) (NodeRemote, error) {
		return DefaultRemote{Node: node}, nil
	},
}

// tidyPeriod is how many "became idle after node I/O" events pass between
// two tidy-ups of a node, after the first one that follows start-up.
const tidyPeriod = 400

// fsTimeout bounds filesystem calls the main loop makes (free space, the
// node file), so that a hung mount cannot stall every node.
const fsTimeout = 60 * time.Second

// statTimeout bounds the stat of a file under check, as upstream does.
const statTimeout = 600 * time.Second

// nodeFile is the file that marks an initialised node and names it.
const nodeFile = "ALPENHORN_NODE"

// DefaultNode is the Default node I/O class. Other node classes can embed
// it and override what differs.
type DefaultNode struct {
	env  *Env
	fifo *scheduler.FIFO
	node atomic.Pointer[db.StorageNode]
	tree *treeLock
	// outer is the I/O instance embedding this one (itself when used
	// alone). Go has no virtual methods: the Default code calls through
	// outer what a class built on it may redefine.
	outer nodeOverrides

	pending  pendingPulls
	presence presence
	refused  refusals

	// tidyCountdown is touched only by the main loop.
	tidyCountdown int
}

// NewDefaultNode returns the Default I/O instance of node.
func NewDefaultNode(env *Env, node *db.StorageNode, fifo *scheduler.FIFO) *DefaultNode {
	n := &DefaultNode{env: env, fifo: fifo, tree: newTreeLock()}
	n.outer = n
	n.node.Store(node)
	return n
}

// nodeOverrides are the methods a node class embedding DefaultNode may
// redefine with effect on the Default code and tasks (the constructor then
// sets outer): how free space is measured, how a file's size is taken, how
// a copy is checked, whether pulls reserve space, and whether the root
// holds a node file.
type nodeOverrides interface {
	BytesAvail(ctx context.Context, fast bool) (int64, bool)
	FileSize(path string, actual bool) (int64, error)
	Check(ctx context.Context, copy *db.ArchiveFileCopy)
	reserve(ctx context.Context, size int64) bool
	release(size int64)
	hasNodeFile() bool
}

func (n *DefaultNode) FIFO() *scheduler.FIFO           { return n.fifo }
func (n *DefaultNode) SetStorage(node *db.StorageNode) { n.node.Store(node) }
func (n *DefaultNode) Watch() WatchMode                { return WatchNative }

// Row is the node row the instance works with.
func (n *DefaultNode) Row() *db.StorageNode { return n.node.Load() }

func (n *DefaultNode) root() string {
	if r := n.Row().Root; r != nil {
		return *r
	}
	return ""
}

// abs joins a node-relative path onto the root, refusing anything that
// would lead outside it (a bad name in the data index, a symlink out).
func (n *DefaultNode) abs(rel string) (string, error) {
	return fsutil.JoinUnderRoot(n.root(), rel)
}

// filePath is abs for the name of an archive file, which must also not
// name the node file or a name of alpenhorn's own (temporary files,
// placeholders, files in a staging directory): a file in the data index that did would have the daemon
// check, overwrite or delete what is not an archive file.
func (n *DefaultNode) filePath(name string) (string, error) {
	p, err := n.abs(name)
	if err != nil {
		return "", err
	}
	if base := filepath.Base(p); base == nodeFile || fsutil.IsTemp(base) || fsutil.IsPlaceholder(base) || fsutil.InStaging(name) {
		return "", fmt.Errorf("%q is not an archive file's name", name)
	}
	return p, nil
}

// BeforeUpdate reports, on an idle node, the deletions its last round of
// delete tasks refused (reportRefusals): once a pass at most.
func (n *DefaultNode) BeforeUpdate(ctx context.Context, idle bool) bool {
	if idle {
		n.reportRefusals(ctx)
	}
	return true
}
func (n *DefaultNode) AfterUpdate(context.Context) {}

// IdleUpdate queues the tidy-up on the first idle update after the
// instance is created, then on every tidyPeriod-th one that follows node
// I/O.
func (n *DefaultNode) IdleUpdate(ctx context.Context, newlyIdle bool) {
	if !newlyIdle {
		return
	}
	if n.tidyCountdown > 1 {
		n.tidyCountdown--
		return
	}
	n.tidyCountdown = tidyPeriod
	node := n.Row()
	n.env.Queue.Submit(ctx, n.fifo, "Tidy up "+node.Name, n.tidyStep, scheduler.Exclusive)
}

// BytesAvail is statvfs's f_bavail × f_bsize of the root.
func (n *DefaultNode) BytesAvail(ctx context.Context, _ bool) (int64, bool) {
	var avail int64
	ctx, cancel := context.WithTimeout(ctx, fsTimeout)
	defer cancel()
	err := fsutil.Bounded(ctx, func() error {
		var err error
		avail, err = fsutil.BytesAvail(n.root())
		return err
	})
	return avail, err == nil
}

// CheckInit reads the node file: initialised when its first line is the
// node's name. The root's device is then what the pass's tasks expect to
// find (onNode).
func (n *DefaultNode) CheckInit(ctx context.Context) bool {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	node := n.Row()
	var line string
	var dev uint64
	ctx, cancel := context.WithTimeout(ctx, fsTimeout)
	defer cancel()
	err := fsutil.Bounded(ctx, func() error {
		var err error
		if line, err = readNodeFile(n.root()); err != nil {
			return err
		}
		dev, err = fsutil.Device(n.root())
		return err
	})
	if err != nil {
		log.Warnf("Node file \"%s/%s\" could not be read.", n.root(), nodeFile)
		return false
	}
	if line == node.Name {
		n.presence.dev.Store(dev)
		return true
	}
	log.Warnf("Node name in file \"%s/%s\" does not match expected: %s.", n.root(), nodeFile, node.Name)
	return false
}

// Init writes the node file.
func (n *DefaultNode) Init(ctx context.Context) bool {
	if n.CheckInit(ctx) {
		return true
	}
	node := n.Row()
	if err := os.WriteFile(filepath.Join(n.root(), nodeFile), []byte(node.Name+"\n"), 0o644); err != nil {
		logging.FromContext(ctx, logging.LoggerIODefault).Warnf("Node initialistion failed: %v", err)
		return false
	}
	return true
}

// Exists reports whether path is a regular file (following symlinks).
func (n *DefaultNode) Exists(_ context.Context, path string) bool {
	p, err := n.filePath(path)
	if err != nil {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Fits reports whether size bytes fit, counting what pulls already hold.
func (n *DefaultNode) Fits(ctx context.Context, size int64) bool {
	avail, ok := n.outer.BytesAvail(ctx, false)
	return n.env.reserved.reserve(n.Row().Name, size, avail, ok, true)
}

func (n *DefaultNode) reserve(ctx context.Context, size int64) bool {
	avail, ok := n.outer.BytesAvail(ctx, false)
	return n.env.reserved.reserve(n.Row().Name, size, avail, ok, false)
}

func (n *DefaultNode) release(size int64) { n.env.reserved.release(n.Row().Name, size) }

func (n *DefaultNode) ReadyPath(context.Context, string) bool { return true }

func (n *DefaultNode) ReadyPull(context.Context, *db.ArchiveFileCopyRequest) {}

// Locked reports whether path's lock file ("dir/.name.lock") exists.
func (n *DefaultNode) Locked(_ context.Context, path string) bool {
	if !filepath.IsAbs(path) {
		path = filepath.Join(n.root(), path)
	}
	return fsutil.Locked(path)
}

// MD5 hashes the file at path (relative to the root, or absolute).
func (n *DefaultNode) MD5(ctx context.Context, path string) (string, bool) {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	if !filepath.IsAbs(path) {
		path = filepath.Join(n.root(), path)
	}
	n.env.Metrics.HashRunning.Inc()
	defer n.env.Metrics.HashRunning.Dec()
	sum, err := fsutil.MD5File(ctx, path)
	switch {
	case err == nil:
		return sum, true
	case errors.Is(err, fs.ErrNotExist):
		log.Warnf("MD5 sum check for %s failed: file not found.", path)
	case errors.Is(err, fs.ErrPermission):
		log.Warnf("MD5 sum check for %s failed: permission error.", path)
	case errors.Is(err, fsutil.ErrStalled):
		log.Warnf("Timeout trying to MD5 %s.", path)
	default:
		log.Warnf("MD5 sum check for %s failed: %v", path, err)
	}
	return "", false
}

// FileSize is the apparent size, or with actual the allocated size
// (st_blocks × 512).
func (n *DefaultNode) FileSize(path string, actual bool) (int64, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(n.root(), path)
	}
	if actual {
		return fsutil.AllocatedSize(path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// FileWalk visits the regular files under path. Symbolic links inside the
// tree are neither reported nor followed: a link could lead out of the node
// or round in a cycle. The root itself (a mount point, say) may be one.
func (n *DefaultNode) FileWalk(ctx context.Context, path string, fn func(abs string) error) error {
	if filepath.IsAbs(path) {
		return fmt.Errorf("file walk of absolute path %s", path)
	}
	start := filepath.Join(n.root(), path)
	real, err := filepath.EvalSymlinks(start)
	if err != nil {
		return nil
	}
	fi, err := os.Stat(real)
	switch {
	case err != nil:
		return nil
	case fi.Mode().IsRegular():
		if lfi, err := os.Lstat(start); err == nil && lfi.Mode().IsRegular() {
			return fn(start)
		}
		return nil
	case !fi.IsDir():
		return nil
	}
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			logging.FromContext(ctx, logging.LoggerIODefault).Warnf("Error scanning %s: %v", p, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() && fsutil.IsStaging(p) {
			// A batch pull's files, unverified until moved out.
			return fs.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		// Reported as spelled under the root, not as resolved.
		rel, err := filepath.Rel(real, p)
		if err != nil {
			return nil
		}
		return fn(filepath.Join(start, rel))
	})
}

// Check queues the verification of copy.
func (n *DefaultNode) Check(ctx context.Context, copy *db.ArchiveFileCopy) {
	name := fmt.Sprintf("Check file %s on %s", copy.File.Path(), n.Row().Name)
	n.env.Queue.Submit(ctx, n.fifo, name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), n.check(ctx, copy)
	}, 0)
}

// Delete queues one task deleting copies.
func (n *DefaultNode) Delete(ctx context.Context, copies []*db.ArchiveFileCopy) {
	if len(copies) == 0 {
		return
	}
	ids := make([]string, len(copies))
	idList := make([]int64, len(copies))
	for i, c := range copies {
		ids[i] = fmt.Sprint(c.ID)
		idList[i] = c.ID
	}
	name := fmt.Sprintf("Delete copies [%s] from %s", strings.Join(ids, ", "), n.Row().Name)
	n.env.Queue.Submit(ctx, n.fifo, name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), n.delete(ctx, idList)
	}, 0)
}

// DefaultRemote is the remote view of a Default node: its files are
// always ready.
type DefaultRemote struct{ Node *db.StorageNode }

func (r DefaultRemote) FilePath(file *db.ArchiveFile) string {
	root := ""
	if r.Node.Root != nil {
		root = *r.Node.Root
	}
	return filepath.Join(root, file.Path())
}

func (r DefaultRemote) FileAddr(file *db.ArchiveFile) (string, error) {
	if r.Node.Username == nil || *r.Node.Username == "" || r.Node.Address == nil || *r.Node.Address == "" {
		return "", fmt.Errorf("no username or address for node %s", r.Node.Name)
	}
	return *r.Node.Username + "@" + *r.Node.Address + ":" + r.FilePath(file), nil
}

func (DefaultRemote) PullReady(*db.ArchiveFileCopy) bool { return true }
