package daemon

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// pendingReq is a pending copy request with its file, acquisition, source
// node, destination group and the file's copy on the source node (nil when
// there is no copy row).
type pendingReq struct {
	req *db.ArchiveFileCopyRequest
	src *db.ArchiveFileCopy
}

// srcState is the has_file of the source copy ('N' without a copy row).
func (p pendingReq) srcState() db.HasFile {
	if p.src == nil {
		return db.HasNo
	}
	return p.src.HasFile
}

// reqRow is one row of the requests query.
type reqRow struct {
	id, fileID, groupToID, nodeFromID, acqID int64
	fileName                                 string
	fileSizeB                                sql.NullInt64
	md5sum                                   sql.NullString
	srcID                                    sql.NullInt64
	srcHasFile, srcWantsFile                 sql.NullString
	srcReady                                 sql.NullBool
	srcSizeB                                 sql.NullInt64
}

// loadRequests returns the pending copy requests matching where (a
// condition on the alias r), in id order, with everything their handling
// needs, in three queries whatever their number.
//
// A pass reads every pending request, so this is the update loop's
// largest cost: rows are scanned by hand (no reflection), an acquisition
// is made once for all its files, and the three timestamps (the request's,
// the file's registration and the source copy's last update) are not
// read, since no decision on a request needs them; on SQLite, parsing them
// cost as much as the rest of the row. They are zero in what this returns.
func loadRequests(ctx context.Context, d *db.DB, where string, args ...any) ([]pendingReq, error) {
	// MySQL is told to start from the requests: left to itself it may
	// start from the smallest table, the acquisitions, and go through
	// every file of the archive.
	join := "JOIN"
	if d.Engine == db.MySQL {
		join = "STRAIGHT_JOIN"
	}
	var rows []reqRow
	acqNames := map[int64]string{}
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		clear(acqNames)
		res, err := g.Raw(`SELECT r.id, r.file_id, r.group_to_id, r.node_from_id,
 f.acq_id, f.name, f.size_b, f.md5sum, a.name,
 s.id, s.has_file, s.wants_file, s.ready, s.size_b
 FROM archivefilecopyrequest r `+join+` archivefile f ON f.id = r.file_id `+join+` archiveacq a ON a.id = f.acq_id
 LEFT JOIN archivefilecopy s ON s.file_id = r.file_id AND s.node_id = r.node_from_id
 WHERE r.completed = 0 AND r.cancelled = 0 AND `+where+` ORDER BY r.id`, args...).Rows()
		if err != nil {
			return err
		}
		defer res.Close()
		var acqName sql.RawBytes
		for res.Next() {
			var r reqRow
			if err := res.Scan(&r.id, &r.fileID, &r.groupToID, &r.nodeFromID, &r.acqID, &r.fileName, &r.fileSizeB, &r.md5sum, &acqName,
				&r.srcID, &r.srcHasFile, &r.srcWantsFile, &r.srcReady, &r.srcSizeB); err != nil {
				return err
			}
			if _, ok := acqNames[r.acqID]; !ok {
				acqNames[r.acqID] = string(acqName)
			}
			rows = append(rows, r)
		}
		return res.Err()
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}

	nodeIDs, groupIDs := map[int64]bool{}, map[int64]bool{}
	for _, r := range rows {
		nodeIDs[r.nodeFromID] = true
		groupIDs[r.groupToID] = true
	}
	var nodes []db.StorageNode
	var groups []db.StorageGroup
	err = d.Retry(ctx, func(g *gorm.DB) error {
		nodes, groups = nil, nil
		if err := g.Where("id IN ?", keys(nodeIDs)).Find(&nodes).Error; err != nil {
			return err
		}
		return g.Where("id IN ?", keys(groupIDs)).Find(&groups).Error
	})
	if err != nil {
		return nil, err
	}
	nodeByID := map[int64]*db.StorageNode{}
	for i := range nodes {
		nodeByID[nodes[i].ID] = &nodes[i]
	}
	groupByID := map[int64]*db.StorageGroup{}
	for i := range groups {
		groupByID[groups[i].ID] = &groups[i]
	}
	acqs := make(map[int64]*db.ArchiveAcq, len(acqNames))
	for id, name := range acqNames {
		acqs[id] = &db.ArchiveAcq{ID: id, Name: name}
	}

	out := make([]pendingReq, 0, len(rows))
	for _, r := range rows {
		file := &db.ArchiveFile{ID: r.fileID, AcqID: r.acqID, Name: r.fileName, SizeB: nullInt(r.fileSizeB), Acq: acqs[r.acqID]}
		if r.md5sum.Valid {
			file.MD5Sum = &r.md5sum.String
		}
		p := pendingReq{req: &db.ArchiveFileCopyRequest{
			ID: r.id, FileID: r.fileID, GroupToID: r.groupToID, NodeFromID: r.nodeFromID,
			File: file, NodeFrom: nodeByID[r.nodeFromID], GroupTo: groupByID[r.groupToID],
		}}
		if p.req.NodeFrom == nil || p.req.GroupTo == nil {
			// Deleted between the two queries.
			continue
		}
		if r.srcID.Valid {
			p.src = &db.ArchiveFileCopy{ID: r.srcID.Int64, FileID: r.fileID, NodeID: r.nodeFromID, HasFile: db.HasFile(r.srcHasFile.String),
				WantsFile: db.WantsFile(r.srcWantsFile.String), Ready: r.srcReady.Bool, SizeB: nullInt(r.srcSizeB), File: file}
		}
		out = append(out, p)
	}
	return out, nil
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
