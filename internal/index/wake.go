package index

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// RequestMarks are the highest ids of the copy and import requests: a
// request written later has a higher id than the mark of its table.
type RequestMarks struct {
	Copy, Import int64
}

// newestRequests reads both maxima from the primary keys' ends, whatever
// the tables' sizes. It is kept short: SQLite compiles it at every run,
// and the compilation is most of its cost (COALESCE alone cost a quarter).
const newestRequests = `SELECT (SELECT MAX(id) FROM archivefilecopyrequest), (SELECT MAX(id) FROM archivefileimportrequest)`

// NewestRequests returns the marks of the request tables (0 for an empty
// one). The daemon asks several times a second, from every host: it goes
// straight to the connection pool, without gorm's statement building,
// and without Retry, so that a caller that can do without the answer
// (the daemon waiting for its next pass) is not held up by an outage.
func NewestRequests(ctx context.Context, d *db.DB) (RequestMarks, error) {
	// An empty table's MAX is NULL: then its mark is 0.
	var c, i sql.NullInt64
	err := d.Gorm.ConnPool.QueryRowContext(ctx, newestRequests).Scan(&c, &i)
	return RequestMarks{Copy: c.Int64, Import: i.Int64}, err
}

// PendingRequestsAfter reports whether a pending request newer than the
// marks exists: a copy request into one of groupIDs, or an import request
// on one of nodeIDs. Only the rows above the marks are read: each table is
// walked along its primary key from its mark, never through the
// group_to_id or node_id index, which would lead through every request
// the group or node ever had (completed ones stay). Like NewestRequests,
// it does without Retry.
func PendingRequestsAfter(ctx context.Context, d *db.DB, after RequestMarks, groupIDs, nodeIDs []int64) (bool, error) {
	query := pendingAfter(d.Engine, after, groupIDs, nodeIDs)
	if query == "" {
		return false, nil
	}
	var found bool
	err := d.Gorm.ConnPool.QueryRowContext(ctx, query).Scan(&found)
	return found, err
}

// pendingAfter is PendingRequestsAfter's statement ("" when there is
// nothing to look for).
func pendingAfter(engine db.Engine, after RequestMarks, groupIDs, nodeIDs []int64) string {
	// SQLite cannot be told to use its primary key; a unary + keeps it
	// from using the index on the column instead.
	force, column := "", "+"
	if engine == db.MySQL {
		force, column = " FORCE INDEX (PRIMARY)", ""
	}
	var parts []string
	if len(groupIDs) > 0 {
		parts = append(parts, "EXISTS (SELECT 1 FROM archivefilecopyrequest"+force+" WHERE id > "+strconv.FormatInt(after.Copy, 10)+
			" AND "+column+"group_to_id IN ("+idList(groupIDs)+") AND "+pendingRequest("")+")")
	}
	if len(nodeIDs) > 0 {
		parts = append(parts, "EXISTS (SELECT 1 FROM archivefileimportrequest"+force+" WHERE id > "+strconv.FormatInt(after.Import, 10)+
			" AND "+column+"node_id IN ("+idList(nodeIDs)+") AND completed = 0)")
	}
	if len(parts) == 0 {
		return ""
	}
	return "SELECT " + strings.Join(parts, " OR ")
}
