package index

import (
	"context"
	"database/sql"
	"strconv"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// PendingRequest is a pending copy request with its file, acquisition,
// source node, destination group and the file's copy on the source node
// (nil when there is no copy row).
type PendingRequest struct {
	Req *db.ArchiveFileCopyRequest
	Src *db.ArchiveFileCopy
}

// SrcState is the has_file of the source copy ('N' without a copy row).
func (p PendingRequest) SrcState() db.HasFile {
	if p.Src == nil {
		return db.HasNo
	}
	return p.Src.HasFile
}

// reqItem holds everything loadPending makes of one row, in one
// allocation. Reading 100,000 requests into rows, then into five objects
// each, allocated 207 MB; this way 69 MB, and a pass takes a sixth less
// CPU.
type reqItem struct {
	req               db.ArchiveFileCopyRequest
	file              db.ArchiveFile
	src               db.ArchiveFileCopy
	md5sum            string
	fileSize, srcSize int64
}

// PendingRequestsInto returns a page of the pending copy requests into a
// group: at most limit, those whose id is above afterID, in id order, each
// with the state of its source copy (see loadPending). A caller walks them
// all by passing the last id of a page as afterID for the next, so that
// what it holds at once stays bounded however many are pending.
func PendingRequestsInto(ctx context.Context, d *db.DB, groupID, afterID int64, limit int) ([]PendingRequest, error) {
	return loadPending(ctx, d, afterID, limit, "r.group_to_id = ?", groupID)
}

// PendingRequestsFrom returns a page of the pending copy requests whose
// source is a node, as PendingRequestsInto does for a group.
func PendingRequestsFrom(ctx context.Context, d *db.DB, nodeID, afterID int64, limit int) ([]PendingRequest, error) {
	return loadPending(ctx, d, afterID, limit, "r.node_from_id = ?", nodeID)
}

// loadPending returns at most limit pending copy requests matching where
// (a condition on the alias r) with an id above afterID, in id order,
// with everything their handling needs, in three queries whatever their
// number. A request whose source node or destination group is gone is
// left out: by the query itself, so that such requests cannot fill pages
// for ever, and, when deleted between the queries, afterwards. A page
// shorter than limit is thus the last one but for such a race, which
// only leaves the rest to the next pass.
//
// A pass reads every pending request, so this is the update loop's
// largest cost: rows are scanned by hand (no reflection) into variables
// reused from row to row, an acquisition is made once for all its files,
// and the three timestamps (the request's, the file's registration and
// the source copy's last update) are not read, since no decision on a
// request needs them; on SQLite, parsing them cost as much as the rest of
// the row. They are zero in what this returns.
func loadPending(ctx context.Context, d *db.DB, afterID int64, limit int, where string, args ...any) ([]PendingRequest, error) {
	// MySQL is told to start from the requests: left to itself it may
	// start from the smallest table, the acquisitions, and go through
	// every file of the archive.
	join := "JOIN"
	if d.Engine == db.MySQL {
		join = "STRAIGHT_JOIN"
	}
	var out []PendingRequest
	acqs := map[int64]*db.ArchiveAcq{}
	err := d.Retry(ctx, func(g *gorm.DB) error {
		out = out[:0]
		clear(acqs)
		res, err := g.Raw(`SELECT r.id, r.file_id, r.group_to_id, r.node_from_id,
 f.acq_id, f.name, f.size_b, f.md5sum, a.name,
 s.id, s.has_file, s.wants_file, s.ready, s.size_b
 FROM archivefilecopyrequest r `+join+` archivefile f ON f.id = r.file_id `+join+` archiveacq a ON a.id = f.acq_id
 `+join+` storagenode sn ON sn.id = r.node_from_id `+join+` storagegroup sg ON sg.id = r.group_to_id
 LEFT JOIN archivefilecopy s ON s.file_id = r.file_id AND s.node_id = r.node_from_id
 WHERE `+pendingRequest("r")+` AND r.id > ? AND `+where+` ORDER BY r.id LIMIT `+strconv.Itoa(limit),
			append([]any{afterID}, args...)...).Rows()
		if err != nil {
			return err
		}
		defer res.Close()
		var (
			id, fileID, groupToID, nodeFromID, acqID int64
			fileName                                 string
			fileSize, srcID, srcSize                 sql.NullInt64
			md5sum, srcHasFile, srcWantsFile         sql.NullString
			srcReady                                 sql.NullBool
			acqName                                  sql.RawBytes
		)
		dest := []any{&id, &fileID, &groupToID, &nodeFromID, &acqID, &fileName, &fileSize, &md5sum, &acqName,
			&srcID, &srcHasFile, &srcWantsFile, &srcReady, &srcSize}
		for res.Next() {
			if err := res.Scan(dest...); err != nil {
				return err
			}
			acq := acqs[acqID]
			if acq == nil {
				acq = &db.ArchiveAcq{ID: acqID, Name: string(acqName)}
				acqs[acqID] = acq
			}
			it := &reqItem{}
			it.file = db.ArchiveFile{ID: fileID, AcqID: acqID, Name: fileName, Acq: acq}
			if fileSize.Valid {
				it.fileSize = fileSize.Int64
				it.file.SizeB = &it.fileSize
			}
			if md5sum.Valid {
				it.md5sum = md5sum.String
				it.file.MD5Sum = &it.md5sum
			}
			it.req = db.ArchiveFileCopyRequest{ID: id, FileID: fileID, GroupToID: groupToID, NodeFromID: nodeFromID, File: &it.file}
			p := PendingRequest{Req: &it.req}
			if srcID.Valid {
				it.src = db.ArchiveFileCopy{ID: srcID.Int64, FileID: fileID, NodeID: nodeFromID, HasFile: db.HasFile(srcHasFile.String),
					WantsFile: db.WantsFile(srcWantsFile.String), Ready: srcReady.Bool, File: &it.file}
				if srcSize.Valid {
					it.srcSize = srcSize.Int64
					it.src.SizeB = &it.srcSize
				}
				p.Src = &it.src
			}
			out = append(out, p)
		}
		return res.Err()
	})
	if err != nil || len(out) == 0 {
		return nil, err
	}

	nodeIDs, groupIDs := map[int64]bool{}, map[int64]bool{}
	for _, p := range out {
		nodeIDs[p.Req.NodeFromID] = true
		groupIDs[p.Req.GroupToID] = true
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
	kept := out[:0]
	for _, p := range out {
		p.Req.NodeFrom, p.Req.GroupTo = nodeByID[p.Req.NodeFromID], groupByID[p.Req.GroupToID]
		if p.Req.NodeFrom == nil || p.Req.GroupTo == nil {
			// Deleted between the two queries.
			continue
		}
		kept = append(kept, p)
	}
	return kept, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// HostNodes returns the active nodes of host, with their groups, in id
// order: the nodes a daemon on host manages.
func HostNodes(ctx context.Context, d *db.DB, host string) ([]db.StorageNode, error) {
	var rows []db.StorageNode
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Where("host = ? AND active = ?", host, true).Preload("Group").Order("id").Find(&rows).Error
	})
	return rows, err
}

// PendingImports returns a node's import requests not yet completed, in
// id order: the order the daemon serves them in.
func PendingImports(ctx context.Context, d *db.DB, nodeID int64) ([]db.ArchiveFileImportRequest, error) {
	var reqs []db.ArchiveFileImportRequest
	err := d.Retry(ctx, func(g *gorm.DB) error {
		reqs = nil
		return importsPending(g, nodeID).Order("id").Find(&reqs).Error
	})
	return reqs, err
}

// PendingInit returns the first request, not yet completed, to initialise
// a node (an import request of db.NodeInitPath), or nil when there is
// none.
func PendingInit(ctx context.Context, d *db.DB, nodeID int64) (*db.ArchiveFileImportRequest, error) {
	var reqs []db.ArchiveFileImportRequest
	err := d.Retry(ctx, func(g *gorm.DB) error {
		reqs = nil
		return importsPending(g, nodeID).Where("path = ?", db.NodeInitPath).Order("id").Limit(1).Find(&reqs).Error
	})
	if err != nil || len(reqs) == 0 {
		return nil, err
	}
	return &reqs[0], nil
}

// CopiesToCheck returns a node's copies to verify: suspect ('M') and not
// released ('N'), in copy order.
func CopiesToCheck(ctx context.Context, d *db.DB, nodeID int64) ([]*db.ArchiveFileCopy, error) {
	return loadCopies(ctx, d, "c.node_id = ? AND c.has_file = 'M' AND c.wants_file != 'N'", nodeID)
}

// CopiesToDelete returns a node's copies to delete, in copy order: those
// released ('N'), and with removable set also those that may be removed
// ('M'), as a node short of space frees them; copies known absent are
// left out. held is the files of these copies that a pending request
// pulls from the node: their copies stay until the pull is done.
func CopiesToDelete(ctx context.Context, d *db.DB, nodeID int64, removable bool) (copies []*db.ArchiveFileCopy, held map[int64]bool, err error) {
	filter := "c.wants_file = 'N'"
	if removable {
		filter = "c.wants_file != 'Y'"
	}
	where := "c.node_id = ? AND c.has_file != 'N' AND " + filter
	copies, err = loadCopies(ctx, d, where, nodeID)
	if err != nil || len(copies) == 0 {
		return nil, nil, err
	}
	var busy []int64
	err = d.Retry(ctx, func(g *gorm.DB) error {
		busy = nil
		return g.Raw(`SELECT DISTINCT r.file_id FROM archivefilecopyrequest r WHERE r.node_from_id = ?
 AND `+pendingRequest("r")+` AND r.file_id IN (SELECT c.file_id FROM archivefilecopy c WHERE `+where+`)`,
			nodeID, nodeID).Scan(&busy).Error
	})
	if err != nil {
		return nil, nil, err
	}
	held = make(map[int64]bool, len(busy))
	for _, id := range busy {
		held[id] = true
	}
	return copies, held, nil
}

// Walk is a selection of a node's copies that a walk goes through a batch
// at a time (see RandomCopy and CopiesFrom).
type Walk string

const (
	// WalkKnown is the copies not known absent: auto-verification.
	WalkKnown Walk = "c.node_id = ? AND c.has_file != 'N'"
	// WalkPresent is the copies present ('Y'): HSM state checks.
	WalkPresent Walk = "c.node_id = ? AND c.has_file = 'Y'"
)

// RandomCopy returns the id of a copy of the walk's selection on node
// picked at random, where a walk starts; 0 when there is none.
func RandomCopy(ctx context.Context, d *db.DB, walk Walk, nodeID int64) (int64, error) {
	random := "RANDOM()"
	if d.Engine == db.MySQL {
		random = "RAND()"
	}
	var ids []int64
	err := d.Retry(ctx, func(g *gorm.DB) error {
		ids = nil
		return g.Raw("SELECT c.id FROM archivefilecopy c WHERE "+string(walk)+" ORDER BY "+random+" LIMIT 1", nodeID).Scan(&ids).Error
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// CopiesFrom returns at most limit copies of the walk's selection on node
// whose id is at least from (0: from the first), in id order.
func CopiesFrom(ctx context.Context, d *db.DB, walk Walk, nodeID, from int64, limit int) ([]*db.ArchiveFileCopy, error) {
	if from == 0 {
		return loadCopiesLimit(ctx, d, limit, string(walk), nodeID)
	}
	return loadCopiesLimit(ctx, d, limit, string(walk)+" AND c.id >= ?", nodeID, from)
}

// MarkCopySuspect records a copy as needing a check ('M'): the next pass
// of its node verifies it.
func MarkCopySuspect(ctx context.Context, d *db.DB, copyID int64) error {
	return markSuspect(ctx, d, "id = ?", copyID)
}

func markSuspect(ctx context.Context, d *db.DB, where string, args ...any) error {
	return d.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopy{}).Where(where, args...).
			Updates(map[string]any{"has_file": db.HasMaybe, "last_update": db.Now()}).Error
	})
}

// importsPending selects a node's import requests not yet completed.
func importsPending(tx *gorm.DB, nodeID int64) *gorm.DB {
	return tx.Where("node_id = ? AND completed = ?", nodeID, false)
}
