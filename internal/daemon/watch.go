package daemon

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/nodeio"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// observerThread names the watchers' goroutines in log lines.
const observerThread = "Observer"

// watchers runs the auto-import watchers, one per node with auto_import
// on. A watcher turns the appearance of a file into an import task: a file
// created in, or moved into, the node's tree, and the file a deleted lock
// file held back. Dot-files are never imported.
type watchers struct {
	d      *Daemon
	mu     sync.Mutex
	byNode map[string]*watcher
}

type watcher struct {
	root string
	stop context.CancelFunc
	done chan struct{}
}

// update starts or stops the watcher of n as its auto_import says. A new
// watcher is followed by a catch-up scan for what arrived unwatched.
func (w *watchers) update(ctx context.Context, n *node) {
	row := n.Row()
	root := filepath.Clean(*row.Root)
	w.mu.Lock()
	cur := w.byNode[row.Name]
	w.mu.Unlock()
	if !row.AutoImport {
		w.stop(row.Name)
		return
	}
	if cur != nil {
		if cur.root == root {
			return
		}
		// The node was moved: watch where it is now.
		w.stop(row.Name)
	}

	log := w.d.log(ctx)
	mode := n.IO().Watch()
	if mode == nodeio.WatchNone {
		class := "Default"
		if row.IOClass != nil {
			class = *row.IOClass
		}
		log.Warnf("Unable to start auto import on node \"%s\": no observer for I/O class %s.", row.Name, class)
		return
	}
	wctx, cancel := context.WithCancel(logging.ContextWithThread(context.Background(), observerThread))
	nw := &watcher{root: root, stop: cancel, done: make(chan struct{})}
	var run func()
	if mode == nodeio.WatchNative {
		fsw, err := fsnotify.NewWatcher()
		if err != nil {
			cancel()
			log.Warnf("Unable to start auto import on node \"%s\": %v", row.Name, err)
			return
		}
		// The tree is watched before the catch-up scan is queued, so
		// that a file is either seen by the scan or reported by inotify.
		watchTree(wctx, fsw, root, nil)
		run = func() { w.native(wctx, n, fsw) }
	} else {
		run = func() { w.poll(wctx, n, root) }
	}
	log.Infof("Watching node \"%s\" root \"%s\" for auto import.", row.Name, root)
	w.mu.Lock()
	if w.byNode == nil {
		w.byNode = map[string]*watcher{}
	}
	w.byNode[row.Name] = nw
	w.mu.Unlock()
	go func() {
		defer close(nw.done)
		run()
	}()
	nodeio.QueueScan(ctx, w.d.env, n, "Catch-up on "+row.Name, ".", true, nil, scheduler.RequeueOnDBError)
}

// stop ends the watcher of the named node, if any, and waits for it.
func (w *watchers) stop(name string) {
	w.mu.Lock()
	cur := w.byNode[name]
	delete(w.byNode, name)
	w.mu.Unlock()
	if cur != nil {
		cur.stop()
		<-cur.done
	}
}

// stopAll ends every watcher.
func (w *watchers) stopAll() {
	w.mu.Lock()
	names := make([]string, 0, len(w.byNode))
	for name := range w.byNode {
		names = append(names, name)
	}
	w.mu.Unlock()
	for _, name := range names {
		w.stop(name)
	}
}

// coalesce is how long a watcher collects the files it sees before
// queueing their imports: files arriving together (a directory moved in,
// an acquisition being written) are imported in batches, not one task
// each.
const coalesce = 100 * time.Millisecond

// native follows inotify events on fsw, which watches the tree already
// (watchTree). inotify is not recursive: directories that appear later are
// watched too, and their files imported at once since their creation may
// have gone unseen.
func (w *watchers) native(ctx context.Context, n *node, fsw *fsnotify.Watcher) {
	defer fsw.Close()
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	var pending []string
	flush := time.NewTimer(coalesce)
	flush.Stop()
	importFile := func(p string) {
		if len(pending) == 0 {
			flush.Reset(coalesce)
		}
		pending = append(pending, p)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			nodeio.ImportFiles(ctx, w.d.env, n, pending, true)
			pending = nil
		case err, ok := <-fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: look at the whole tree again.
				log.Warnf("Missed file events on node \"%s\"; scanning it.", n.Name())
				nodeio.QueueScan(ctx, w.d.env, n, "Catch-up on "+n.Name(), ".", true, nil, scheduler.RequeueOnDBError)
				continue
			}
			log.Warnf("Watching node \"%s\": %v", n.Name(), err)
		case ev, ok := <-fsw.Events:
			if !ok {
				return
			}
			switch {
			case ev.Has(fsnotify.Create):
				fi, err := os.Lstat(ev.Name)
				if err != nil {
					continue
				}
				if fi.IsDir() {
					watchTree(ctx, fsw, ev.Name, importFile)
				} else if !fsutil.IsDotFile(ev.Name) {
					importFile(ev.Name)
				}
			case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
				// A lock file going away releases the file it held.
				if target, ok := fsutil.LockTarget(ev.Name); ok {
					importFile(target)
				}
			}
		}
	}
}

// watchTree has fsw watch dir and every directory below it, and calls
// found, when not nil, with the files already there.
func watchTree(ctx context.Context, fsw *fsnotify.Watcher, dir string, found func(string)) {
	walkTree(ctx, dir, func(p string, d fs.DirEntry) {
		switch {
		case fsutil.IsStaging(p) || fsutil.InStaging(p):
			// A batch pull's files, unverified until moved out.
		case d.IsDir():
			if err := fsw.Add(p); err != nil {
				logging.FromContext(ctx, logging.LoggerDaemonAutoImport).Warnf("Unable to watch %s: %v", p, err)
			}
		case found != nil && d.Type().IsRegular() && !fsutil.IsDotFile(p):
			found(p)
		}
	})
}

// poll rescans the tree every daemon.auto_import_interval seconds, for
// filesystems (NFS) that send no notifications. New files are imported, as
// are those whose lock file has gone.
func (w *watchers) poll(ctx context.Context, n *node, root string) {
	snapshot := func() (files, locks map[string]bool) {
		files, locks = map[string]bool{}, map[string]bool{}
		walkTree(ctx, root, func(p string, d fs.DirEntry) {
			switch {
			case !d.Type().IsRegular() || fsutil.InStaging(p):
			case fsutil.IsLockFile(p):
				locks[p] = true
			case !fsutil.IsDotFile(p):
				files[p] = true
			}
		})
		return files, locks
	}
	files, locks := snapshot()
	tick := time.NewTicker(time.Duration(w.d.cfg.AutoImportInterval) * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		newFiles, newLocks := snapshot()
		var found []string
		for p := range newFiles {
			if !files[p] {
				found = append(found, p)
			}
		}
		for p := range locks {
			if !newLocks[p] {
				if target, ok := fsutil.LockTarget(p); ok {
					found = append(found, target)
				}
			}
		}
		nodeio.ImportFiles(ctx, w.d.env, n, found, true)
		files, locks = newFiles, newLocks
	}
}

// walkTree calls fn for dir and everything below it, without following
// symbolic links inside the tree; dir itself may be one (a node root that
// is a link to its mount point). Paths are given as spelled under dir, so
// that they stay under the node root as the data index names it.
func walkTree(ctx context.Context, dir string, fn func(p string, d fs.DirEntry)) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if rel, err := filepath.Rel(real, p); err == nil {
			fn(filepath.Join(dir, rel), d)
		}
		return nil
	})
}
