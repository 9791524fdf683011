package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Pull is a transfer that succeeded, to be recorded by RecordPulls.
type Pull struct {
	Req        *db.ArchiveFileCopyRequest
	Start, End time.Time
	// SizeB is the space the copy takes on the node (nil when unknown).
	SizeB *int64
	// MD5 is the MD5 the pull computed of a file the data index has no
	// MD5 for ("" otherwise).
	MD5 string
}

// RecordPulls records successful pulls into node in one transaction: the
// new copies, present and wanted ('Y'/'Y'; a copy row already there, 'N'
// or 'X', is updated), the requests completed with their transfer times,
// and the auto-actions of the new files (AutoActions). A request cancelled
// while its pull was queued or running stays cancelled and is not
// completed (upstream completes it all the same, leaving it both): its
// copy is recorded all the same, since the file is on the node.
//
// A file without an MD5 gets the one its pull computed (Pull.MD5), as an
// import would have recorded it: nothing else could check the copy. If
// the file was given an MD5 meanwhile, the copy is recorded in doubt ('M')
// unless the two agree, for a check to compare them.
func RecordPulls(ctx context.Context, d *db.DB, node *db.StorageNode, pulls []Pull) error {
	files := make([]*db.ArchiveFile, len(pulls))
	for i, p := range pulls {
		files[i] = p.Req.File
	}
	upsert := clause.OnConflict{
		Columns:   []clause.Column{{Name: "file_id"}, {Name: "node_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"has_file", "wants_file", "ready", "size_b", "last_update"}),
	}
	return d.Transaction(ctx, func(tx *gorm.DB) error {
		// Built afresh on every attempt: an insert that failed and is
		// retried must not carry the ids the failed attempt was given.
		now := db.Now()
		copies := make([]db.ArchiveFileCopy, len(pulls))
		for i, p := range pulls {
			has, err := recordPulledMD5(tx, p)
			if err != nil {
				return err
			}
			copies[i] = db.ArchiveFileCopy{FileID: p.Req.FileID, NodeID: node.ID, HasFile: has, WantsFile: db.WantYes,
				Ready: true, SizeB: p.SizeB, LastUpdate: now}
		}
		if err := tx.Clauses(upsert).CreateInBatches(copies, IDChunk).Error; err != nil {
			return err
		}
		for chunk := range slices.Chunk(pulls, IDChunk) {
			if err := completePulls(tx, chunk); err != nil {
				return err
			}
		}
		return AutoActions(ctx, tx, node, files...)
	})
}

// recordPulledMD5 gives p's file the MD5 its pull computed, if it has
// none, and returns the state of the pulled copy.
func recordPulledMD5(tx *gorm.DB, p Pull) (db.HasFile, error) {
	if p.MD5 == "" {
		return db.HasYes, nil
	}
	res := tx.Model(&db.ArchiveFile{}).Where("id = ? AND md5sum IS NULL", p.Req.FileID).Update("md5sum", p.MD5)
	if res.Error != nil || res.RowsAffected > 0 {
		return db.HasYes, res.Error
	}
	var f db.ArchiveFile
	if err := tx.Select("md5sum").Where("id = ?", p.Req.FileID).Take(&f).Error; err != nil {
		return "", err
	}
	if f.MD5Sum != nil && strings.EqualFold(*f.MD5Sum, p.MD5) {
		return db.HasYes, nil
	}
	return db.HasMaybe, nil
}

// completePulls marks the requests of pulls completed, each with its own
// transfer times, in one statement, leaving out those cancelled: a request
// is never both completed and cancelled (CancelCopyRequests, for its part,
// leaves out those completed).
func completePulls(tx *gorm.DB, pulls []Pull) error {
	var started, completed strings.Builder
	var startArgs, endArgs []any
	ids := make([]int64, len(pulls))
	for i, p := range pulls {
		ids[i] = p.Req.ID
		started.WriteString(" WHEN ? THEN ?")
		completed.WriteString(" WHEN ? THEN ?")
		startArgs = append(startArgs, p.Req.ID, db.NewTime(p.Start))
		endArgs = append(endArgs, p.Req.ID, db.NewTime(p.End))
	}
	return tx.Model(&db.ArchiveFileCopyRequest{}).Where("cancelled = ? AND id IN ?", false, ids).Updates(map[string]any{
		"completed":          true,
		"transfer_started":   gorm.Expr("CASE id"+started.String()+" END", startArgs...),
		"transfer_completed": gorm.Expr("CASE id"+completed.String()+" END", endArgs...),
	}).Error
}

// NodeCopiesPresent returns which of the files the data index has present
// ('Y') on node, in one query per IDChunk files.
func NodeCopiesPresent(ctx context.Context, d *db.DB, nodeID int64, fileIDs []int64) (map[int64]bool, error) {
	var present map[int64]bool
	err := d.Retry(ctx, func(g *gorm.DB) (err error) {
		present, err = IDsSelected(g, fileIDs, "SELECT file_id FROM archivefilecopy WHERE node_id = ? AND has_file = ? AND file_id IN ?", nodeID, db.HasYes)
		return err
	})
	return present, err
}

// CancelRequest cancels a pending copy request. Only the cancelled flag is
// written, and only on a request not completed, so that a concurrent
// completion is never undone.
func CancelRequest(ctx context.Context, d *db.DB, id int64) error {
	return d.Retry(ctx, func(g *gorm.DB) error {
		_, err := CancelCopyRequests(g, []int64{id})
		return err
	})
}

// RequestCheck records file's copy on node, found on disk but not in the
// data index, as needing a check ('M', wanted, not ready), creating the
// copy row or updating the one there. The check decides: 'Y' satisfies
// the requests waiting for it, 'X' makes them overwrite the file, 'N'
// makes them normal pulls.
func RequestCheck(ctx context.Context, d *db.DB, fileID, nodeID, size int64) error {
	c := db.ArchiveFileCopy{FileID: fileID, NodeID: nodeID, HasFile: db.HasMaybe, WantsFile: db.WantYes,
		Ready: false, SizeB: &size, LastUpdate: db.Now()}
	err := d.Retry(ctx, func(g *gorm.DB) error { return g.Create(&c).Error })
	if IsDuplicate(err) {
		err = d.Retry(ctx, func(g *gorm.DB) error {
			return g.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", fileID, nodeID).
				Updates(map[string]any{"has_file": db.HasMaybe, "wants_file": db.WantYes, "ready": false, "last_update": db.Now()}).Error
		})
	}
	return err
}

// MarkSourceSuspect records file's copy on node as needing a check ('M'),
// as when a pull from it failed in a way the source may be to blame for:
// requests from it are held back until it has been checked.
func MarkSourceSuspect(ctx context.Context, d *db.DB, fileID, nodeID int64) error {
	return markSuspect(ctx, d, "file_id = ? AND node_id = ?", fileID, nodeID)
}

// RecordCheck records the outcome of a check of a copy on node: its
// has_file (and, when size is not nil, its size_b), nothing else, so that
// a concurrent change of wants_file (a clean request) survives. A good
// copy ('Y') satisfies the pending requests into node's group for its
// file (a cancelled one stays cancelled, never completed too): they are
// completed and the auto-actions of the new copy run (AutoActions), in
// the same transaction, as a finished pull would have
// done. Most come from a pre-pull search that found the file on disk,
// unrecorded: a daemon died after a pull put the file in place and before
// it recorded it. Cancelling them instead (as the next pass otherwise
// would, "already present") would leave the auto-actions undone for ever.
// It reports whether any request was satisfied.
func RecordCheck(ctx context.Context, d *db.DB, node *db.StorageNode, copy *db.ArchiveFileCopy, has db.HasFile, size *int64) (bool, error) {
	updates := map[string]any{"has_file": has}
	if size != nil {
		updates["size_b"] = *size
	}
	updates["last_update"] = db.Now()
	var satisfied int64
	err := d.Transaction(ctx, func(tx *gorm.DB) error {
		satisfied = 0
		if err := tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", copy.ID).Updates(updates).Error; err != nil {
			return err
		}
		if has != db.HasYes {
			return nil
		}
		res := tx.Model(&db.ArchiveFileCopyRequest{}).
			Where("file_id = ? AND group_to_id = ? AND "+pendingRequest(""), copy.FileID, node.GroupID).
			Update("completed", true)
		if res.Error != nil {
			return res.Error
		}
		if satisfied = res.RowsAffected; satisfied == 0 {
			return nil
		}
		return AutoActions(ctx, tx, node, copy.File)
	})
	return satisfied > 0, err
}

// RecordMissing records a copy's file absent from its node ('N'), as a
// check that finds no file does.
func RecordMissing(ctx context.Context, d *db.DB, copyID int64) error {
	return updateCopy(ctx, d, copyID, map[string]any{"has_file": db.HasNo, "last_update": db.Now()})
}

// CopyReady returns whether a copy is marked ready (its file on disk, for
// a node whose files may be released); ok is false when there is no such
// copy.
func CopyReady(ctx context.Context, d *db.DB, copyID int64) (ready, ok bool, err error) {
	var rows []bool
	err = d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Model(&db.ArchiveFileCopy{}).Where("id = ?", copyID).Pluck("ready", &rows).Error
	})
	if err != nil || len(rows) != 1 {
		return false, false, err
	}
	return rows[0], true, nil
}

// SetReady records whether a copy's file is on disk (restored) or not
// (released), on a node whose files may be released: only a ready copy
// can be pulled from.
func SetReady(ctx context.Context, d *db.DB, copyID int64, ready bool) error {
	return updateCopy(ctx, d, copyID, map[string]any{"ready": ready, "last_update": db.Now()})
}

// RecordReleasedMissing records a copy whose file is gone from a node
// whose files may be released: absent ('N') and not ready.
func RecordReleasedMissing(ctx context.Context, d *db.DB, copyID int64) error {
	return updateCopy(ctx, d, copyID, map[string]any{"has_file": db.HasNo, "ready": false, "last_update": db.Now()})
}

func updateCopy(ctx context.Context, d *db.DB, copyID int64, updates map[string]any) error {
	return d.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopy{}).Where("id = ?", copyID).Updates(updates).Error
	})
}

// RestoredCopies returns a page of at most limit copies present and ready
// on node, least recently updated first (then by id), after the copy
// after (nil: from the start): the order files are released in.
func RestoredCopies(ctx context.Context, d *db.DB, nodeID int64, after *db.ArchiveFileCopy, limit int) ([]*db.ArchiveFileCopy, error) {
	where := "c.node_id = ? AND c.has_file = 'Y' AND c.ready = 1"
	args := []any{nodeID}
	if after != nil {
		where += " AND (c.last_update > ? OR (c.last_update = ? AND c.id > ?))"
		args = append(args, after.LastUpdate, after.LastUpdate, after.ID)
	}
	return queryCopies(ctx, d, where, fmt.Sprintf("ORDER BY c.last_update, c.id LIMIT %d", limit), args...)
}

// NodeFileCopy returns file's copy on node, with its file and
// acquisition, or nil when there is none.
func NodeFileCopy(ctx context.Context, d *db.DB, nodeID, fileID int64) (*db.ArchiveFileCopy, error) {
	copies, err := loadCopies(ctx, d, "c.node_id = ? AND c.file_id = ?", nodeID, fileID)
	if err != nil || len(copies) == 0 {
		return nil, err
	}
	return copies[0], nil
}

// AcqNames returns the names of every acquisition, in id order: the
// directories a node's tidy-up looks at.
func AcqNames(ctx context.Context, d *db.DB) ([]string, error) {
	var acqs []string
	err := d.Retry(ctx, func(g *gorm.DB) error {
		acqs = nil
		return g.Model(&db.ArchiveAcq{}).Order("id").Pluck("name", &acqs).Error
	})
	return acqs, err
}
