package index

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// pendingRequest is the condition for a pending copy request (neither
// completed nor cancelled), on the request table called alias ("" for an
// unqualified column name).
func pendingRequest(alias string) string {
	if alias != "" {
		alias += "."
	}
	return alias + "completed = 0 AND " + alias + "cancelled = 0"
}

// CompleteImportRequest marks import request id completed. It reports
// whether this call completed it: of several daemons finishing the same
// request, only one logs and counts it.
func CompleteImportRequest(ctx context.Context, d *db.DB, id int64) (bool, error) {
	var n int64
	err := d.Retry(ctx, func(g *gorm.DB) error {
		res := g.Model(&db.ArchiveFileImportRequest{}).Where("id = ? AND completed = ?", id, false).Update("completed", true)
		n = res.RowsAffected
		return res.Error
	})
	return n > 0, err
}

// CreateImportRequest asks the daemon of node to import path (relative to
// the node's root), a whole tree when recurse is set, registering unknown
// files when register is set. The request is pending until a daemon
// completes it.
func CreateImportRequest(tx *gorm.DB, nodeID int64, path string, recurse, register bool) error {
	req := db.ArchiveFileImportRequest{NodeID: nodeID, Path: path, Recurse: recurse, Register: register, Timestamp: db.TimePtr(db.Now())}
	return tx.Create(&req).Error
}

// RequestNodeInit asks the daemon of node to initialise it: an import
// request for the reserved path db.NodeInitPath. Repeats are harmless: the
// daemon ignores them once the node is set up.
func RequestNodeInit(tx *gorm.DB, nodeID int64) error {
	return CreateImportRequest(tx, nodeID, db.NodeInitPath, false, false)
}

// CreateCopyRequests makes one pending copy request per file, from node
// nodeFromID into group groupToID, in the order given and all with the
// same timestamp. Existing requests are not looked at: a destination
// handles one request per file per pass, so a duplicate costs nothing.
//
// tx may be a transaction, so that the requests commit with whatever
// decided them. The rows go in multi-row INSERTs of IDChunk rows, their
// values written into the statement rather than bound: they are ids and a
// timestamp formatted here, never text from a user, and the SQLite driver
// binds parameters in time quadratic in their number. progress, when not
// nil, is told how many requests are written after each INSERT.
func CreateCopyRequests(tx *gorm.DB, nodeFromID, groupToID int64, fileIDs []int64, progress Progress) error {
	row := fmt.Sprintf(",%d,%d,0,0,'%s')", groupToID, nodeFromID, db.Now().Format())
	for start := 0; start < len(fileIDs); start += IDChunk {
		b := []byte("INSERT INTO archivefilecopyrequest (file_id, group_to_id, node_from_id, completed, cancelled, timestamp) VALUES ")
		for i, id := range fileIDs[start:min(start+IDChunk, len(fileIDs))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = strconv.AppendInt(b, id, 10)
			b = append(b, row...)
		}
		if err := tx.Exec(string(b)).Error; err != nil {
			return err
		}
		progress.report(min(start+IDChunk, len(fileIDs)), len(fileIDs))
	}
	return nil
}

// RequestFilter narrows a selection of copy requests; zero fields do not
// narrow.
type RequestFilter struct {
	FileID, NodeFromID, GroupToID int64
	// AcqIDs: only requests for files in these acquisitions.
	AcqIDs []int64
}

// where returns the condition for a pending request that rf selects, on
// the request table called alias ("" for unqualified names) and, for
// AcqIDs, the file table f.
func (rf RequestFilter) where(alias string) (string, []any) {
	cond := pendingRequest(alias)
	if alias != "" {
		alias += "."
	}
	var args []any
	add := func(term string, arg any) {
		cond += " AND " + term
		args = append(args, arg)
	}
	if rf.FileID != 0 {
		add(alias+"file_id = ?", rf.FileID)
	}
	if rf.NodeFromID != 0 {
		add(alias+"node_from_id = ?", rf.NodeFromID)
	}
	if rf.GroupToID != 0 {
		add(alias+"group_to_id = ?", rf.GroupToID)
	}
	if len(rf.AcqIDs) > 0 {
		add("f.acq_id IN ?", rf.AcqIDs)
	}
	return cond, args
}

// RequestedFile is a pending copy request with its file's names.
type RequestedFile struct {
	ID     int64  `gorm:"column:id"`
	FileID int64  `gorm:"column:file_id"`
	Acq    string `gorm:"column:acq_name"`
	Name   string `gorm:"column:file_name"`
}

// Path is the request's file as ACQ/FILE.
func (r RequestedFile) Path() string { return r.Acq + "/" + r.Name }

// PendingCopyRequests returns the pending copy requests that rf selects,
// in request order.
func PendingCopyRequests(tx *gorm.DB, rf RequestFilter) ([]RequestedFile, error) {
	cond, args := rf.where("r")
	var out []RequestedFile
	err := tx.Raw(`SELECT r.id, r.file_id, a.name AS acq_name, f.name AS file_name FROM archivefilecopyrequest r
 JOIN archivefile f ON f.id = r.file_id JOIN archiveacq a ON a.id = f.acq_id
 WHERE `+cond+` ORDER BY r.id`, args...).Scan(&out).Error
	return out, err
}

// CancelCopyRequests cancels those of the copy requests ids that are still
// pending, and returns how many it cancelled.
func CancelCopyRequests(tx *gorm.DB, ids []int64) (int64, error) {
	return execByIDs(tx, "UPDATE archivefilecopyrequest SET cancelled = 1 WHERE "+pendingRequest("")+" AND id IN ?", ids)
}

// LiveRequests returns which of the copy requests ids are still pending
// (neither completed nor cancelled), in one query per IDChunk ids. A pull
// asks just before it transfers: a request cancelled while its pull was
// queued is not served, and one completed meanwhile (by a check that
// found its file) is not served twice.
func LiveRequests(ctx context.Context, d *db.DB, ids []int64) (map[int64]bool, error) {
	var live map[int64]bool
	err := d.Retry(ctx, func(g *gorm.DB) (err error) {
		live, err = IDsSelected(g, ids, "SELECT id FROM archivefilecopyrequest WHERE "+pendingRequest("")+" AND id IN ?")
		return err
	})
	return live, err
}

// CancelFileCopyRequests cancels the pending copy requests for file,
// limited to a source node and a destination group when they are given
// (non-zero), and returns how many it cancelled.
func CancelFileCopyRequests(tx *gorm.DB, fileID, nodeFromID, groupToID int64) (int64, error) {
	cond, args := RequestFilter{FileID: fileID, NodeFromID: nodeFromID, GroupToID: groupToID}.where("")
	res := tx.Exec("UPDATE archivefilecopyrequest SET cancelled = 1 WHERE "+cond, args...)
	return res.RowsAffected, res.Error
}

// PendingRequestFiles returns which files have a pending copy request from
// node nodeFromID into group groupToID.
func PendingRequestFiles(tx *gorm.DB, nodeFromID, groupToID int64) (map[int64]bool, error) {
	cond, args := RequestFilter{NodeFromID: nodeFromID, GroupToID: groupToID}.where("")
	var ids []int64
	if err := tx.Raw("SELECT file_id FROM archivefilecopyrequest WHERE "+cond, args...).Scan(&ids).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// idList spells ids for an IN list, written into the statement: they are
// numbers from the database, so nothing needs binding.
func idList(ids []int64) string {
	b := make([]byte, 0, 8*len(ids))
	for i, id := range ids {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// execByIDs runs an UPDATE whose WHERE clause ends in "id IN ?" once per
// IDChunk ids, and returns the total number of rows changed. The ids are
// written into the statement rather than bound (they are numbers from the
// database, and the SQLite driver binds parameters in quadratic time).
func execByIDs(tx *gorm.DB, sql string, ids []int64, args ...any) (int64, error) {
	var total int64
	for start := 0; start < len(ids); start += IDChunk {
		list := "(" + idList(ids[start:min(start+IDChunk, len(ids))]) + ")"
		res := tx.Exec(strings.TrimSuffix(sql, "?")+list, args...)
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
	}
	return total, nil
}
