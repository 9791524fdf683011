package nodeio

import (
	"context"
	"os"
	"path/filepath"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// tidyStep cleans up after transfers a crash interrupted: stale
// placeholders, temporary files and staging directories anywhere on the
// node, then acquisition directories left empty. It runs as an exclusive
// task, so no pull into the node is in progress meanwhile. Only
// alpenhorn's own leftovers go (fsutil.Tidy): the empty placeholders of
// files the data index knows and temporary files and staging directories
// of its own naming, never crossing into another node's root or onto
// another filesystem.
func (n *DefaultNode) tidyStep(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	node := n.Row()
	root := n.root()
	if !n.onNode(ctx) {
		return scheduler.Done(), nil
	}

	var dbErr error
	rules := fsutil.TidyRules{
		NodeFile: nodeFile,
		Known: func(rel string) bool {
			files, err := index.FindFilesByPath(n.env.DB, n.env.DB.Gorm.WithContext(ctx), []string{rel})
			if err != nil {
				dbErr = err
				return false
			}
			return files[0] != nil
		},
		Present: func() error {
			if dbErr != nil {
				return dbErr
			}
			if !n.onNode(ctx) {
				return errNodeGone
			}
			return nil
		},
	}
	err := fsutil.Tidy(ctx, root, rules, func(p string, err error) {
		switch {
		case err != nil:
			log.Warnf("Error tidying %s on %s: %v", p, node.Name, err)
		case fsutil.IsPlaceholder(p):
			log.Warnf("Removing stale placeholder %s", p)
		case fsutil.IsStaging(p):
			log.Warnf("Removing stale staging directory %s", p)
		default:
			log.Warnf("Removing stale temporary file %s", p)
		}
	})
	switch {
	case dbErr != nil:
		return scheduler.Done(), dbErr
	case err != nil:
		// A cancelled context (the daemon is stopping) or a vanished
		// node: nothing more to do. A root that cannot be read was
		// reported by the presence check.
		return scheduler.Done(), nil
	}

	acqs, err := index.AcqNames(ctx, n.env.DB)
	if err != nil {
		return scheduler.Done(), err
	}
	for _, acq := range acqs {
		if ctx.Err() != nil {
			break
		}
		dir, err := n.abs(acq)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			if !n.onNode(ctx) {
				break
			}
			n.prune(ctx, filepath.Clean(dir))
		}
	}
	return scheduler.Done(), nil
}
