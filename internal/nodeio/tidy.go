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
// placeholders and temporary files anywhere on the node, then acquisition
// directories left empty. It runs as an exclusive task, so no pull into
// the node is in progress meanwhile.
func (n *DefaultNode) tidyStep(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	node := n.Row()
	root := n.root()

	err := fsutil.Tidy(ctx, root, func(p string, err error) {
		switch {
		case err != nil:
			log.Warnf("Error tidying %s on %s: %v", p, node.Name, err)
		case fsutil.IsPlaceholder(p):
			log.Warnf("Removing stale placeholder %s", p)
		default:
			log.Warnf("Removing stale temporary file %s", p)
		}
	})
	if err != nil {
		// Only a cancelled context ends Tidy early: the daemon is stopping.
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
			n.prune(ctx, filepath.Clean(dir))
		}
	}
	return scheduler.Done(), nil
}
