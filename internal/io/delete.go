package io

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

// delete removes the copies with the given ids from the node, each only if
// enough good copies remain on archive nodes: two besides this one. The
// copies are re-read first, so one wanted again (or already gone) since it
// was queued is left alone, and the archive copies are counted now, in the
// same query.
func (n *DefaultNode) delete(ctx context.Context, ids []int64) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	node := n.Row()
	var rows []copyRow
	err := n.env.DB.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(copyColumns+`, (SELECT COUNT(*) FROM archivefilecopy c2 JOIN storagenode n2 ON n2.id = c2.node_id
 WHERE c2.file_id = c.file_id AND c2.has_file = 'Y' AND n2.storage_type = 'A') AS archive_count`+copyFrom+`
 WHERE c.id IN ? AND c.node_id = ? AND c.has_file != 'N' AND c.wants_file != 'Y' ORDER BY c.id`, ids, node.ID).Scan(&rows).Error
	})
	if err != nil {
		return dbErr(err)
	}
	// Files another data index has confirmed holding (a sneakernet
	// receipt) count as archive copies too.
	fileIDs := make([]int64, len(rows))
	for i, r := range rows {
		fileIDs[i] = r.FileID
	}
	var remote map[int64]int
	err = n.env.DB.Retry(ctx, func(g *gorm.DB) error {
		var err error
		remote, err = sneakernet.ConfirmedRemoteCopies(g, fileIDs)
		return err
	})
	var vm *db.VersionMismatchError
	if errors.As(err, &vm) {
		// Records this alpenhorn cannot read vouch for nothing.
		log.Warnf("Not counting copies held by other data indexes: %v", err)
		remote, err = nil, nil
	}
	if err != nil {
		return dbErr(err)
	}
	for i := range rows {
		rows[i].ArchiveCount += int64(remote[rows[i].FileID])
	}

	// An archive node's own copy is among those counted.
	required := int64(2)
	if node.Archive() {
		required = 3
	}
	for _, r := range rows {
		c := r.copy()
		name := FilePath(c.File)
		if r.ArchiveCount < required {
			log.Warnf("Too few archive copies (%d) to delete %s on %s.", r.ArchiveCount, name, node.Name)
			continue
		}
		path, err := n.abs(name)
		if err != nil {
			log.Warnf("Error deleting %s: %v", name, err)
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
			continue
		}
		n.prune(ctx, filepath.Dir(path))

		err = n.env.DB.Retry(ctx, func(g *gorm.DB) error {
			return g.Model(&db.ArchiveFileCopy{}).Where("id = ?", c.ID).
				Updates(map[string]any{"has_file": db.HasNo, "wants_file": db.WantNo, "last_update": db.Now()}).Error
		})
		if err != nil {
			return dbErr(err)
		}
	}
	return nil
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
