package nodeio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	goio "io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// presence is what a node's tasks know of its storage being there: the
// device of the root when the pass started, and whether a task has found
// the node gone since.
type presence struct {
	// dev is the root's device as of the last successful CheckInit (or
	// the first check, when no CheckInit ran); 0 when not yet known.
	dev  atomic.Uint64
	gone atomic.Bool
}

// readNodeFile returns the first line of root's node file, without its
// trailing blanks.
func readNodeFile(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, nodeFile))
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != goio.EOF {
		return "", err
	}
	return strings.TrimRightFunc(line, unicode.IsSpace), nil
}

// verifyNode tells why the node's storage is not the one the pass started
// with, or nil when it is: its node file names the node and its root is on
// the same device.
func (n *DefaultNode) verifyNode(ctx context.Context) error {
	root := n.root()
	ctx, cancel := context.WithTimeout(ctx, fsTimeout)
	defer cancel()
	return fsutil.Bounded(ctx, func() error {
		name, err := readNodeFile(root)
		switch {
		case err != nil:
			return fmt.Errorf("node file unreadable: %w", err)
		case name != n.Row().Name:
			return fmt.Errorf("node file names %q", name)
		}
		dev, err := fsutil.Device(root)
		if err != nil {
			return err
		}
		if n.presence.dev.CompareAndSwap(0, dev) || n.presence.dev.Load() == dev {
			return nil
		}
		return errors.New("root is on another device than when the pass started")
	})
}

// onNode reports whether the node's storage is still there, as a task
// must make sure right before it touches the disk: a filesystem unmounted
// under the daemon leaves a bare mount point, where pulls would write
// into the filesystem below and checks would find every file missing.
// The first task to find the node gone logs it and drops the node's
// queued tasks; the daemon sets the node up afresh on its next pass.
// Classes without a node file (HSM) are always there.
func (n *DefaultNode) onNode(ctx context.Context) bool {
	if !n.outer.hasNodeFile() {
		return true
	}
	if n.presence.gone.Load() {
		return false
	}
	err := n.verifyNode(ctx)
	if err == nil {
		return true
	}
	if n.presence.gone.CompareAndSwap(false, true) {
		pending, deferred := n.env.Queue.CloseFIFO(n.fifo)
		n.Stop()
		logging.FromContext(ctx, logging.LoggerIODefault).Errorf("StorageNode %s has vanished from %s (%v): dropped %d queued %s.",
			n.Row().Name, n.root(), err, pending+deferred, plural(pending+deferred, "task", "tasks"))
	}
	return false
}

// Vanished reports whether a task found the node's storage gone; the
// instance is then done with and the daemon sets up a new one.
func (n *DefaultNode) Vanished() bool { return n.presence.gone.Load() }

// hasNodeFile is true: a Default node's root holds its node file.
func (n *DefaultNode) hasNodeFile() bool { return true }

// nodeFileName is the node file MkdirNode insists on, "" for a class
// without one.
func (n *DefaultNode) nodeFileName() string {
	if n.outer.hasNodeFile() {
		return nodeFile
	}
	return ""
}

// present reports whether nio's node is still there (onNode), for tasks
// that hold any I/O instance; instances not built on the Default class
// are taken at their word.
func present(ctx context.Context, nio NodeIO) bool {
	if g, ok := nio.(interface{ onNode(context.Context) bool }); ok {
		return g.onNode(ctx)
	}
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// errNodeGone ends a walk, or the recording of a batch, on a node found
// gone.
var errNodeGone = errors.New("node gone")
