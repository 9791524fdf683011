package index

import (
	"context"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// NodeUsage is what the daemon's metrics show of a node's holdings.
type NodeUsage struct {
	// Copies counts the node's copy rows by has_file state; every state
	// is present, zero when the node has no copy in it.
	Copies map[db.HasFile]int64
	// UsedB is the sum of the sizes of the files present ('Y') on the
	// node, the same sum that max_total_gb is compared with.
	UsedB int64
}

// NodeUsages counts, for each of the nodes ids, its copies in each has_file
// state (whatever they want) and the bytes of the files it holds ('Y').
// Every id gets an entry, with zeros for a node without copies.
func NodeUsages(ctx context.Context, d *db.DB, ids []int64) (map[int64]*NodeUsage, error) {
	var rows []struct {
		NodeID  int64
		HasFile db.HasFile
		N       int64
		Bytes   *int64
	}
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		if len(ids) == 0 {
			return nil
		}
		return g.Raw(`SELECT c.node_id AS node_id, c.has_file AS has_file, COUNT(*) AS n, SUM(f.size_b) AS bytes
 FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
 WHERE c.node_id IN ? GROUP BY c.node_id, c.has_file`, ids).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*NodeUsage, len(ids))
	for _, id := range ids {
		out[id] = &NodeUsage{Copies: map[db.HasFile]int64{db.HasYes: 0, db.HasMaybe: 0, db.HasCorrupt: 0, db.HasNo: 0}}
	}
	for _, r := range rows {
		u := out[r.NodeID]
		u.Copies[r.HasFile] += r.N
		if r.HasFile == db.HasYes && r.Bytes != nil {
			u.UsedB += *r.Bytes
		}
	}
	return out, nil
}

// PendingRequestsByGroup counts the pending copy requests (neither
// completed nor cancelled) into each group, by group name. Every group of
// the data index is present, with zero when nothing is queued for it.
func PendingRequestsByGroup(ctx context.Context, d *db.DB) (map[string]int64, error) {
	var rows []struct {
		Name string
		N    int64
	}
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(`SELECT sg.name AS name, COUNT(r.id) AS n FROM storagegroup sg
 LEFT JOIN archivefilecopyrequest r ON r.group_to_id = sg.id AND ` + pendingRequest("r") + `
 GROUP BY sg.id, sg.name`).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Name] = r.N
	}
	return out, nil
}
