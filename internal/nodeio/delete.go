package nodeio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// delete removes the copies with the given ids from the node, each only if
// enough good copies remain on archive nodes (index.RequiredArchiveCopies).
// The copies are re-read first, so one wanted again (or already gone) since
// it was queued is left alone.
func (n *DefaultNode) delete(ctx context.Context, ids []int64) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	node := n.Row()
	cands, err := index.DeletionCandidates(ctx, n.env.DB, node, ids)
	if err != nil {
		return err
	}
	required := index.RequiredArchiveCopies(node)
	for _, cand := range cands {
		c := cand.Copy
		name := c.File.Path()
		if cand.ArchiveCount < required {
			n.refused.add(name, cand.ArchiveCount)
			n.checkKept(ctx, c, c.HasFile)
			continue
		}
		path, err := n.filePath(name)
		if err != nil {
			log.Warnf("Error deleting %s: %v", name, err)
			continue
		}
		if !n.onNode(ctx) {
			return nil
		}
		claim, err := index.ClaimDeletion(ctx, n.env.DB, node, cand)
		if err != nil {
			return err
		}
		switch {
		case claim.Pending:
			log.Infof("Skipping delete of %s on node %s: transfer pending", name, node.Name)
			continue
		case !claim.OK && claim.Count >= 0:
			n.refused.add(name, claim.Count)
			n.checkKept(ctx, c, claim.Was)
			continue
		case !claim.OK:
			// Wanted again, or gone, since the batch was read.
			continue
		}
		switch err := os.Remove(path); {
		case err == nil:
			n.env.Metrics.DeletedFiles.WithLabelValues(node.Name).Inc()
			if c.File.SizeB != nil && *c.File.SizeB > 0 {
				n.env.Metrics.DeletedBytes.WithLabelValues(node.Name).Add(float64(*c.File.SizeB))
			}
			log.Infof("Removed file copy %s on %s", name, node.Name)
		case errors.Is(err, fs.ErrNotExist):
			log.Infof("File copy %s missing on %s during delete", name, node.Name)
		default:
			log.Warnf("Error deleting %s: %v", name, err)
			// The file is still there: the copy counts again.
			if err := index.UnclaimDeletion(ctx, n.env.DB, c.ID, claim.Was); err != nil {
				return err
			}
			continue
		}
		n.prune(ctx, filepath.Dir(path))
		if err := index.RecordDeleted(ctx, n.env.DB, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// refusalNames is how many of the files whose deletion was refused a
// report names (at DEBUG).
const refusalNames = 5

// refusals gathers the deletions refused for too few archive copies over
// a round of delete tasks: a node releasing thousands of files that
// cannot go says so once a pass, with a count, rather than once a file a
// pass.
type refusals struct {
	mu    sync.Mutex
	count int
	first []refusal // the first refusalNames of them
}

type refusal struct {
	name    string
	archive int64 // archive copies counted
}

func (r *refusals) add(name string, archive int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if len(r.first) < refusalNames {
		r.first = append(r.first, refusal{name, archive})
	}
}

// reportRefusals logs the refusals gathered since the last report, and
// forgets them. A lone refusal keeps the line a refusal has always had.
func (n *DefaultNode) reportRefusals(ctx context.Context) {
	r := &n.refused
	r.mu.Lock()
	count, first := r.count, r.first
	r.count, r.first = 0, nil
	r.mu.Unlock()
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	node := n.Row().Name
	switch {
	case count == 1:
		log.Warnf("Too few archive copies (%d) to delete %s on %s.", first[0].archive, first[0].name, node)
	case count > 1:
		log.Warnf("Too few archive copies to delete %d files on %s.", count, node)
		names := make([]string, len(first))
		for i, f := range first {
			names[i] = fmt.Sprintf("%s (%d)", f.name, f.archive)
		}
		if count > len(first) {
			names = append(names, "...")
		}
		log.Debugf("Too few archive copies to delete on %s: %s", node, strings.Join(names, ", "))
	}
}

// checkKept queues a check of a released copy in doubt ('M') that must be
// kept, for lack of other archive copies. Released copies are not checked,
// since they are to go (see the node update); one that cannot go would
// otherwise stay in doubt for ever: counted as no copy, and holding back
// every pull into its group ("needs check"), which in turn holds back the
// deletion of the pulls' sources.
func (n *DefaultNode) checkKept(ctx context.Context, c *db.ArchiveFileCopy, state db.HasFile) {
	if state != db.HasMaybe {
		return
	}
	logging.FromContext(ctx, logging.LoggerIODefaultTasks).Infof("Checking copy \"%s\" on node %s.", c.File.Path(), n.Row().Name)
	n.outer.Check(ctx, c)
}

// prune removes dir and its parents up to (not including) the root while
// they are empty, holding the tree lock so that no pull is creating them.
func (n *DefaultNode) prune(ctx context.Context, dir string) {
	log := logging.FromContext(ctx, logging.LoggerIOUtil)
	node := n.Row()
	n.tree.removing(func() {
		err := fsutil.PruneEmptyDirs(n.root(), dir, func(d string, err error) {
			if err != nil {
				log.Warnf("Error deleting directory %s on %s: %v", d, node.Name, err)
				return
			}
			log.Infof("Removed directory %s on %s", d, node.Name)
		})
		if err != nil {
			log.Warnf("Error deleting directory %s on %s: %v", dir, node.Name, err)
		}
	})
}
