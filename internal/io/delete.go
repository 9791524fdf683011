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
			n.checkKept(ctx, c, c.HasFile)
			continue
		}
		path, err := n.abs(name)
		if err != nil {
			log.Warnf("Error deleting %s: %v", name, err)
			continue
		}
		claim, err := n.claimDelete(ctx, c, int64(remote[c.FileID]), required)
		if err != nil {
			return dbErr(err)
		}
		switch {
		case claim.pending:
			log.Infof("Skipping delete of %s on node %s: transfer pending", name, node.Name)
			continue
		case !claim.ok && claim.count >= 0:
			log.Warnf("Too few archive copies (%d) to delete %s on %s.", claim.count, name, node.Name)
			n.checkKept(ctx, c, claim.was)
			continue
		case !claim.ok:
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
			err := n.env.DB.Retry(ctx, func(g *gorm.DB) error {
				return g.Model(&db.ArchiveFileCopy{}).Where("id = ? AND has_file = ?", c.ID, db.HasMaybe).
					Update("has_file", claim.was).Error
			})
			if err != nil {
				return dbErr(err)
			}
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
	logging.FromContext(ctx, logging.LoggerIODefaultTasks).Infof("Checking copy \"%s\" on node %s.", FilePath(c.File), n.Row().Name)
	n.outer.Check(ctx, c)
}

// deleteClaim is the outcome of claimDelete.
type deleteClaim struct {
	// ok: the copy may be deleted, and is now recorded 'M'.
	ok bool
	// was is the copy's has_file before the claim.
	was db.HasFile
	// count is the archive copies counted; -1 when the copy was not
	// counted at all (wanted again or gone).
	count int64
	// pending: a pull from this copy is pending.
	pending bool
}

// claimDelete decides, in one transaction that holds the file's copies
// locked, whether copy c may be deleted now, and if so records it 'M'
// (maybe present) before the file is touched. Deletions of the same
// file's copies on other nodes, by other workers or daemons, are thus
// decided one after the other, each counting what the previous left:
// two deletions that each saw enough archive copies could otherwise
// leave fewer than the rule allows between them. A copy being deleted no
// longer counts as a good copy for anyone, and if the daemon dies before
// it is gone, the data index says "maybe", never "present", of a file
// that may have been deleted: the copy stays released and its deletion is
// tried again.
//
// remote is the count of copies confirmed by other data indexes;
// required the number of archive copies the deletion needs (counting this
// node's own when it is an archive node holding the file).
func (n *DefaultNode) claimDelete(ctx context.Context, c *db.ArchiveFileCopy, remote, required int64) (deleteClaim, error) {
	node := n.Row()
	lock := ""
	if n.env.DB.Engine == db.MySQL {
		// SQLite takes the database's write lock when the transaction
		// begins (_txlock=immediate), which serialises the claims as well.
		lock = " FOR UPDATE"
	}
	var claim deleteClaim
	err := n.env.DB.Transaction(ctx, func(tx *gorm.DB) error {
		claim = deleteClaim{count: -1}
		var copies []struct {
			ID        int64        `gorm:"column:id"`
			NodeID    int64        `gorm:"column:node_id"`
			HasFile   db.HasFile   `gorm:"column:has_file"`
			WantsFile db.WantsFile `gorm:"column:wants_file"`
		}
		if err := tx.Raw("SELECT id, node_id, has_file, wants_file FROM archivefilecopy WHERE file_id = ?"+lock, c.FileID).Scan(&copies).Error; err != nil {
			return err
		}
		var present []int64
		own := false
		for _, o := range copies {
			if o.ID == c.ID {
				if o.HasFile == db.HasNo || o.WantsFile == db.WantYes {
					return nil
				}
				own, claim.was = true, o.HasFile
			}
			if o.HasFile == db.HasYes {
				present = append(present, o.NodeID)
			}
		}
		if !own {
			return nil
		}
		var pending int64
		if err := tx.Raw(`SELECT COUNT(*) FROM archivefilecopyrequest WHERE file_id = ? AND node_from_id = ?
 AND completed = 0 AND cancelled = 0`, c.FileID, node.ID).Scan(&pending).Error; err != nil {
			return err
		}
		if pending > 0 {
			claim.pending = true
			return nil
		}
		claim.count = remote
		if len(present) > 0 {
			var archived int64
			if err := tx.Raw("SELECT COUNT(*) FROM storagenode WHERE id IN ? AND storage_type = 'A'", present).Scan(&archived).Error; err != nil {
				return err
			}
			claim.count += archived
		}
		if claim.count < required {
			return nil
		}
		claim.ok = true
		return tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", c.ID).Update("has_file", db.HasMaybe).Error
	})
	return claim, err
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
