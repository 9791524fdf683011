package index

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

// The archive rule: a copy may be deleted only while enough good copies of
// its file remain on archive nodes. Copies another data index has
// confirmed holding (sneakernet receipts) count as archive copies too.

// RequiredArchiveCopies is how many archive copies of a file must exist
// for its copy on node to be deleted: two besides it, so three on an
// archive node, whose own copy is among those counted.
func RequiredArchiveCopies(node *db.StorageNode) int64 {
	if node.Archive() {
		return 3
	}
	return 2
}

// DeletionCandidate is a released copy with its file's archive copies
// counted when it was read.
type DeletionCandidate struct {
	Copy *db.ArchiveFileCopy
	// ArchiveCount is the file's good copies on archive nodes plus Remote.
	ArchiveCount int64
	// Remote is the data indexes that confirmed holding the file.
	Remote int64
}

// DeletionCandidates re-reads the copies with the given ids on node that
// are still released and not known absent, and counts each file's archive
// copies, in one query (and one for the sneakernet confirmations).
func DeletionCandidates(ctx context.Context, d *db.DB, node *db.StorageNode, ids []int64) ([]DeletionCandidate, error) {
	var rows []copyRow
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(copyColumns+`, `+archiveCount+` AS archive_count`+copyFrom+`
 WHERE c.id IN ? AND c.node_id = ? AND c.has_file != 'N' AND c.wants_file != 'Y' ORDER BY c.id`, ids, node.ID).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	fileIDs := make([]int64, len(rows))
	for i, r := range rows {
		fileIDs[i] = r.FileID
	}
	var remote map[int64]int
	err = d.Retry(ctx, func(g *gorm.DB) error {
		var err error
		remote, err = sneakernet.ConfirmedRemoteCopies(g, fileIDs)
		return err
	})
	var vm *db.VersionMismatchError
	if errors.As(err, &vm) {
		// Records this alpenhorn cannot read vouch for nothing.
		logging.FromContext(ctx, logging.LoggerIODefaultTasks).Warnf("Not counting copies held by other data indexes: %v", err)
		remote, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]DeletionCandidate, len(rows))
	for i := range rows {
		r := int64(remote[rows[i].FileID])
		out[i] = DeletionCandidate{Copy: rows[i].copy(), ArchiveCount: rows[i].ArchiveCount + r, Remote: r}
	}
	return out, nil
}

// Claim is the outcome of ClaimDeletion.
type Claim struct {
	// OK: the copy may be deleted, and is now recorded 'M'.
	OK bool
	// Was is the copy's has_file before the claim.
	Was db.HasFile
	// Count is the archive copies counted; -1 when the copy was not
	// counted at all (wanted again or gone).
	Count int64
	// Pending: a pull from this copy is pending.
	Pending bool
}

// ClaimDeletion decides, in one transaction that holds the file's copies
// locked, whether cand's copy on node may be deleted now, and if so
// records it 'M' (maybe present) before the file is touched. Deletions of
// the same file's copies on other nodes, by other workers or daemons, are
// thus decided one after the other, each counting what the previous left:
// two deletions that each saw enough archive copies could otherwise leave
// fewer than the rule allows between them. A copy being deleted no longer
// counts as a good copy for anyone, and if the daemon dies before it is
// gone, the data index says "maybe", never "present", of a file that may
// have been deleted: the copy stays released and its deletion is tried
// again.
//
// On MySQL the transaction first writes the file's row of the file locks
// (filelock.go), so that the rule holds on a Galera cluster too, whichever
// database nodes the deleting daemons use: of two claims on different
// nodes one is aborted at commit and decided again.
func ClaimDeletion(ctx context.Context, d *db.DB, node *db.StorageNode, cand DeletionCandidate) (Claim, error) {
	c := cand.Copy
	required := RequiredArchiveCopies(node)
	lock := ""
	if d.Engine == db.MySQL {
		// SQLite takes the database's write lock when the transaction
		// begins (_txlock=immediate), which serialises the claims as well.
		lock = " FOR UPDATE"
	}
	var claim Claim
	decide := func(tx *gorm.DB) error {
		claim = Claim{Count: -1}
		if d.Engine == db.MySQL {
			if err := lockFile(tx, c.FileID); err != nil {
				return err
			}
		}
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
				own, claim.Was = true, o.HasFile
			}
			if o.HasFile == db.HasYes {
				present = append(present, o.NodeID)
			}
		}
		if !own {
			return nil
		}
		var pending int64
		if err := tx.Raw("SELECT COUNT(*) FROM archivefilecopyrequest WHERE file_id = ? AND node_from_id = ? AND "+pendingRequest(""), c.FileID, node.ID).Scan(&pending).Error; err != nil {
			return err
		}
		if pending > 0 {
			claim.Pending = true
			return nil
		}
		claim.Count = cand.Remote
		if len(present) > 0 {
			var archived int64
			if err := tx.Raw("SELECT COUNT(*) FROM storagenode WHERE id IN ? AND storage_type = 'A'", present).Scan(&archived).Error; err != nil {
				return err
			}
			claim.Count += archived
		}
		if claim.Count < required {
			return nil
		}
		claim.OK = true
		return tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", c.ID).Update("has_file", db.HasMaybe).Error
	}
	err := withFileLocks(ctx, d, func() error { return d.Transaction(ctx, decide) })
	return claim, err
}

// UnclaimDeletion gives a claimed copy whose file could not be removed
// its state back: it counts as a copy again.
func UnclaimDeletion(ctx context.Context, d *db.DB, copyID int64, was db.HasFile) error {
	return d.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopy{}).Where("id = ? AND has_file = ?", copyID, db.HasMaybe).
			Update("has_file", was).Error
	})
}

// RecordDeleted records a claimed copy's file removed from its node.
func RecordDeleted(ctx context.Context, d *db.DB, copyID int64) error {
	return d.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopy{}).Where("id = ?", copyID).
			Updates(map[string]any{"has_file": db.HasNo, "wants_file": db.WantNo, "last_update": db.Now()}).Error
	})
}
