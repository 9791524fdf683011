package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// copyRow is a copy joined with its file and acquisition, as one query
// returns them.
type copyRow struct {
	ID         int64        `gorm:"column:id"`
	FileID     int64        `gorm:"column:file_id"`
	NodeID     int64        `gorm:"column:node_id"`
	HasFile    db.HasFile   `gorm:"column:has_file"`
	WantsFile  db.WantsFile `gorm:"column:wants_file"`
	Ready      bool         `gorm:"column:ready"`
	SizeB      *int64       `gorm:"column:size_b"`
	LastUpdate db.Time      `gorm:"column:last_update"`
	AcqID      int64        `gorm:"column:acq_id"`
	FileName   string       `gorm:"column:file_name"`
	FileSizeB  *int64       `gorm:"column:file_size_b"`
	MD5Sum     *string      `gorm:"column:md5sum"`
	Registered db.Time      `gorm:"column:registered"`
	AcqName    string       `gorm:"column:acq_name"`
	// ArchiveCount is the number of the file's good copies on archive
	// nodes, for the queries that count them.
	ArchiveCount int64 `gorm:"column:archive_count"`
}

const (
	copyColumns = `SELECT c.id, c.file_id, c.node_id, c.has_file, c.wants_file, c.ready, c.size_b, c.last_update,
 f.acq_id, f.name AS file_name, f.size_b AS file_size_b, f.md5sum, f.registered, a.name AS acq_name`
	copyFrom   = ` FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id JOIN archiveacq a ON a.id = f.acq_id`
	copySelect = copyColumns + copyFrom
	// copySelectMySQL joins in the order written. Every condition of
	// these queries is on the copy; left to itself, MySQL starts from the
	// smallest table (the acquisitions) and goes through every file of the
	// archive to reach a node's copies: 1.3 s instead of 0.1 s for a node
	// of 500,000 copies.
	copySelectMySQL = copyColumns + ` FROM archivefilecopy c STRAIGHT_JOIN archivefile f ON f.id = c.file_id STRAIGHT_JOIN archiveacq a ON a.id = f.acq_id`
)

func (r *copyRow) copy() *db.ArchiveFileCopy {
	return &db.ArchiveFileCopy{
		ID: r.ID, FileID: r.FileID, NodeID: r.NodeID, HasFile: r.HasFile, WantsFile: r.WantsFile,
		Ready: r.Ready, SizeB: r.SizeB, LastUpdate: r.LastUpdate,
		File: &db.ArchiveFile{
			ID: r.FileID, AcqID: r.AcqID, Name: r.FileName, SizeB: r.FileSizeB, MD5Sum: r.MD5Sum,
			Registered: r.Registered, Acq: &db.ArchiveAcq{ID: r.AcqID, Name: r.AcqName},
		},
	}
}

// loadCopies returns, in one query, the copies matching where (a condition
// on the aliases c for the copy, f for its file and a for its acquisition),
// with File and File.Acq filled in, ordered by copy id.
func loadCopies(ctx context.Context, d *db.DB, where string, args ...any) ([]*db.ArchiveFileCopy, error) {
	return queryCopies(ctx, d, where, "ORDER BY c.id", args...)
}

// loadCopiesLimit is loadCopies returning at most limit copies.
func loadCopiesLimit(ctx context.Context, d *db.DB, limit int, where string, args ...any) ([]*db.ArchiveFileCopy, error) {
	return queryCopies(ctx, d, where, fmt.Sprintf("ORDER BY c.id LIMIT %d", limit), args...)
}

// queryCopies is loadCopies with tail (ORDER BY, LIMIT) given by the caller.
func queryCopies(ctx context.Context, d *db.DB, where, tail string, args ...any) ([]*db.ArchiveFileCopy, error) {
	sel := copySelect
	if d.Engine == db.MySQL {
		sel = copySelectMySQL
	}
	var rows []copyRow
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(sel+" WHERE "+where+" "+tail, args...).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]*db.ArchiveFileCopy, len(rows))
	for i := range rows {
		out[i] = rows[i].copy()
	}
	return out, nil
}

// FileCopyState returns the has_file of file's copy on node, or 'N' when
// there is no copy row.
func FileCopyState(ctx context.Context, d *db.DB, fileID, nodeID int64) (db.HasFile, error) {
	var states []db.HasFile
	err := d.Retry(ctx, func(g *gorm.DB) error {
		states = nil
		return g.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", fileID, nodeID).
			Limit(1).Pluck("has_file", &states).Error
	})
	if err != nil {
		return "", err
	}
	if len(states) == 0 {
		return db.HasNo, nil
	}
	return states[0], nil
}

// GroupCopy is one copy of a file in a group, for GroupState.
type GroupCopy struct {
	FileID  int64      `gorm:"column:file_id"`
	NodeID  int64      `gorm:"column:node_id"`
	HasFile db.HasFile `gorm:"column:has_file"`
}

// GroupState reduces the copies of one file in a group, in copy order,
// to the group's state of the file and the node that decides it (0 when
// absent), by the rule of GroupFileState.
func GroupState(copies []GroupCopy) (db.HasFile, int64) {
	var s GroupFileState[int64]
	for _, c := range copies {
		s.Meet(c.HasFile, c.NodeID)
	}
	return s.State(), s.Node
}

// GroupFileCopies returns the copies, on nodes of group, of the files
// with the given ids, in copy order for each file: with GroupState,
// whether the group already has each file. It reads them IDChunk files a
// query, so that the files of a page of requests or a batch of pulls are
// read whatever their number.
func GroupFileCopies(ctx context.Context, d *db.DB, groupID int64, fileIDs []int64) ([]GroupCopy, error) {
	var out []GroupCopy
	for chunk := range slices.Chunk(fileIDs, IDChunk) {
		var rows []GroupCopy
		err := d.Retry(ctx, func(g *gorm.DB) error {
			rows = nil
			return g.Raw(`SELECT c.file_id, c.node_id, c.has_file FROM archivefilecopy c
 JOIN storagenode n ON n.id = c.node_id WHERE n.group_id = ? AND c.file_id IN ? ORDER BY c.id`, groupID, chunk).Scan(&rows).Error
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// TotalGB is the sum of the sizes of the files present ('Y') on a node, in
// GiB. Like upstream it sums the files' sizes, not the copies'.
func TotalGB(ctx context.Context, d *db.DB, nodeID int64) (float64, error) {
	var total struct {
		Sum *float64 `gorm:"column:total"`
	}
	err := d.Retry(ctx, func(g *gorm.DB) error {
		return g.Raw(`SELECT SUM(f.size_b) AS total FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
 WHERE c.node_id = ? AND c.has_file = 'Y'`, nodeID).Scan(&total).Error
	})
	if err != nil || total.Sum == nil {
		return 0, err
	}
	return *total.Sum / math.Exp2(30), nil
}

// OverMax reports whether a node has reached its max_total_gb, and its
// total.
func OverMax(ctx context.Context, d *db.DB, node *db.StorageNode) (bool, float64, error) {
	if node.MaxTotalGB == nil || *node.MaxTotalGB <= 0 {
		return false, 0, nil
	}
	total, err := TotalGB(ctx, d, node.ID)
	if err != nil {
		return false, 0, err
	}
	return total >= *node.MaxTotalGB, total, nil
}

// UpdateAvailGB records a node's free space (ok false: unknown) and returns
// the updated row. Like upstream, an unknown measurement keeps the old
// value, and only avail_gb and avail_gb_last_checked are written, so that
// concurrent edits of other columns survive.
func UpdateAvailGB(ctx context.Context, d *db.DB, node *db.StorageNode, bytes int64, ok bool) (*db.StorageNode, error) {
	n := *node
	if ok {
		gb := float64(bytes) / math.Exp2(30)
		n.AvailGB = &gb
	} else if node.AvailGB != nil {
		logging.FromContext(ctx, logging.LoggerDB).Warnf("Unable to determine available space for \"%s\".", node.Name)
	}
	now := db.Now()
	n.AvailGBLastChecked = &now
	err := d.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.StorageNode{}).Where("id = ?", n.ID).
			Updates(map[string]any{"avail_gb": n.AvailGB, "avail_gb_last_checked": now}).Error
	})
	if err != nil {
		return node, err
	}
	return &n, nil
}

// IsDuplicate reports whether err is a violation of a unique index: the
// sign that another worker or host created the same row first.
func IsDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
