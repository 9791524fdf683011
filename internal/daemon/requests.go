package daemon

import (
	"context"

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

type reqRow struct {
	ID            int64         `gorm:"column:id"`
	FileID        int64         `gorm:"column:file_id"`
	GroupToID     int64         `gorm:"column:group_to_id"`
	NodeFromID    int64         `gorm:"column:node_from_id"`
	Timestamp     *db.Time      `gorm:"column:timestamp"`
	AcqID         int64         `gorm:"column:acq_id"`
	FileName      string        `gorm:"column:file_name"`
	FileSizeB     *int64        `gorm:"column:file_size_b"`
	MD5Sum        *string       `gorm:"column:md5sum"`
	Registered    db.Time       `gorm:"column:registered"`
	AcqName       string        `gorm:"column:acq_name"`
	SrcID         *int64        `gorm:"column:src_id"`
	SrcHasFile    *db.HasFile   `gorm:"column:src_has_file"`
	SrcWantsFile  *db.WantsFile `gorm:"column:src_wants_file"`
	SrcReady      *bool         `gorm:"column:src_ready"`
	SrcSizeB      *int64        `gorm:"column:src_size_b"`
	SrcLastUpdate *db.Time      `gorm:"column:src_last_update"`
}

// loadRequests returns the pending copy requests matching where (a
// condition on the alias r), in id order, with everything their handling
// needs, in three queries whatever their number.
func loadRequests(ctx context.Context, d *db.DB, where string, args ...any) ([]pendingReq, error) {
	var rows []reqRow
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(`SELECT r.id, r.file_id, r.group_to_id, r.node_from_id, r.timestamp,
 f.acq_id, f.name AS file_name, f.size_b AS file_size_b, f.md5sum, f.registered, a.name AS acq_name,
 s.id AS src_id, s.has_file AS src_has_file, s.wants_file AS src_wants_file, s.ready AS src_ready,
 s.size_b AS src_size_b, s.last_update AS src_last_update
 FROM archivefilecopyrequest r JOIN archivefile f ON f.id = r.file_id JOIN archiveacq a ON a.id = f.acq_id
 LEFT JOIN archivefilecopy s ON s.file_id = r.file_id AND s.node_id = r.node_from_id
 WHERE r.completed = 0 AND r.cancelled = 0 AND `+where+` ORDER BY r.id`, args...).Scan(&rows).Error
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}

	nodeIDs, groupIDs := map[int64]bool{}, map[int64]bool{}
	for _, r := range rows {
		nodeIDs[r.NodeFromID] = true
		groupIDs[r.GroupToID] = true
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

	out := make([]pendingReq, 0, len(rows))
	for _, r := range rows {
		file := &db.ArchiveFile{ID: r.FileID, AcqID: r.AcqID, Name: r.FileName, SizeB: r.FileSizeB, MD5Sum: r.MD5Sum,
			Registered: r.Registered, Acq: &db.ArchiveAcq{ID: r.AcqID, Name: r.AcqName}}
		p := pendingReq{req: &db.ArchiveFileCopyRequest{
			ID: r.ID, FileID: r.FileID, GroupToID: r.GroupToID, NodeFromID: r.NodeFromID, Timestamp: r.Timestamp,
			File: file, NodeFrom: nodeByID[r.NodeFromID], GroupTo: groupByID[r.GroupToID],
		}}
		if p.req.NodeFrom == nil || p.req.GroupTo == nil {
			// Deleted between the two queries.
			continue
		}
		if r.SrcID != nil {
			p.src = &db.ArchiveFileCopy{ID: *r.SrcID, FileID: r.FileID, NodeID: r.NodeFromID, HasFile: *r.SrcHasFile,
				WantsFile: *r.SrcWantsFile, Ready: *r.SrcReady, SizeB: r.SrcSizeB, File: file}
			if r.SrcLastUpdate != nil {
				p.src.LastUpdate = *r.SrcLastUpdate
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
