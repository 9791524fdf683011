package index

import (
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// The read side of the data index as the CLI reports it: listings,
// totals and counts. Every function reads through tx, a session or a
// transaction of the caller.

// NodeFilter selects nodes: Active, when set, by their active flag;
// GroupID and Host, when non-zero, by group and host.
type NodeFilter struct {
	Active  *bool
	GroupID int64
	Host    string
}

// ListNodes returns the nodes f selects, with their groups, in id order.
func ListNodes(tx *gorm.DB, f NodeFilter) ([]db.StorageNode, error) {
	q := tx.Preload("Group").Order("id")
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	if f.GroupID != 0 {
		q = q.Where("group_id = ?", f.GroupID)
	}
	if f.Host != "" {
		q = q.Where("host = ?", f.Host)
	}
	var nodes []db.StorageNode
	return nodes, q.Find(&nodes).Error
}

// GroupNodes returns the nodes of a group, in id order.
func GroupNodes(tx *gorm.DB, groupID int64) ([]db.StorageNode, error) {
	var nodes []db.StorageNode
	return nodes, tx.Where("group_id = ?", groupID).Order("id").Find(&nodes).Error
}

// ListGroups returns every group, in id order.
func ListGroups(tx *gorm.DB) ([]db.StorageGroup, error) {
	var groups []db.StorageGroup
	return groups, tx.Order("id").Find(&groups).Error
}

// GroupNames maps the ids of groups to their names.
func GroupNames(tx *gorm.DB, ids []int64) (map[int64]string, error) {
	var groups []db.StorageGroup
	if err := tx.Where("id IN ?", ids).Find(&groups).Error; err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}

// NodeStat is what a node holds. Only copies present and wanted (has_file
// and wants_file both 'Y') count as held: Count of them, TotalB the sum of
// their files' sizes (0 when none is known). Corrupt, Suspect and Missing
// count the wanted copies in states 'X', 'M' and 'N'.
type NodeStat struct {
	Count, TotalB             int64
	Corrupt, Suspect, Missing int64
}

// NodeStats returns the statistics of the nodes with the given ids, keyed
// by id, every id present; extra adds the Corrupt, Suspect and Missing
// counts.
func NodeStats(tx *gorm.DB, ids []int64, extra bool) (map[int64]*NodeStat, error) {
	stats := make(map[int64]*NodeStat, len(ids))
	for _, id := range ids {
		stats[id] = &NodeStat{}
	}
	var held []struct {
		NodeID int64  `gorm:"column:node_id"`
		Count  int64  `gorm:"column:count"`
		Total  *int64 `gorm:"column:total"`
	}
	err := tx.Raw(`SELECT c.node_id, COUNT(c.id) AS count, SUM(f.size_b) AS total FROM archivefilecopy c
 JOIN archivefile f ON f.id = c.file_id
 WHERE c.has_file = 'Y' AND c.wants_file = 'Y' AND c.node_id IN ? GROUP BY c.node_id`, ids).Scan(&held).Error
	if err != nil {
		return nil, err
	}
	for _, h := range held {
		stats[h.NodeID].Count = h.Count
		if h.Total != nil {
			stats[h.NodeID].TotalB = *h.Total
		}
	}
	if !extra {
		return stats, nil
	}
	var bad []struct {
		NodeID  int64      `gorm:"column:node_id"`
		HasFile db.HasFile `gorm:"column:has_file"`
		Count   int64      `gorm:"column:count"`
	}
	err = tx.Raw(`SELECT c.node_id, c.has_file, COUNT(c.id) AS count FROM archivefilecopy c
 WHERE c.wants_file = 'Y' AND c.has_file IN ('X', 'M', 'N') AND c.node_id IN ? GROUP BY c.node_id, c.has_file`, ids).Scan(&bad).Error
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		switch b.HasFile {
		case db.HasCorrupt:
			stats[b.NodeID].Corrupt = b.Count
		case db.HasMaybe:
			stats[b.NodeID].Suspect = b.Count
		case db.HasNo:
			stats[b.NodeID].Missing = b.Count
		}
	}
	return stats, nil
}

// PendingImportsByTime returns a node's import requests not yet
// completed, in the order they were made, as `node show --imports` lists
// them.
func PendingImportsByTime(tx *gorm.DB, nodeID int64) ([]db.ArchiveFileImportRequest, error) {
	var reqs []db.ArchiveFileImportRequest
	return reqs, importsPending(tx, nodeID).Order("timestamp").Order("id").Find(&reqs).Error
}

// TransferTotal is the number of pending copy requests between a node and
// a group, and their files' total size (nil when none is known), labelled
// with the other end's name.
type TransferTotal struct {
	Name  string `gorm:"column:name"`
	Count int64  `gorm:"column:count"`
	Size  *int64 `gorm:"column:size"`
}

// OutboundTransfers totals the pending copy requests (neither completed
// nor cancelled) from a node, per destination group, by group name.
func OutboundTransfers(tx *gorm.DB, nodeID int64) ([]TransferTotal, error) {
	return pendingTransfers(tx, "storagegroup", "r.group_to_id", "r.node_from_id", nodeID)
}

// InboundTransfers totals the pending copy requests into a group, per
// source node, by node name.
func InboundTransfers(tx *gorm.DB, groupID int64) ([]TransferTotal, error) {
	return pendingTransfers(tx, "storagenode", "r.node_from_id", "r.group_to_id", groupID)
}

// pendingTransfers totals the pending requests whose end column is id per
// other end, a row of table.
func pendingTransfers(tx *gorm.DB, table, other, end string, id int64) ([]TransferTotal, error) {
	var rows []TransferTotal
	err := tx.Raw(`SELECT o.name AS name, COUNT(r.id) AS count, SUM(f.size_b) AS size FROM archivefilecopyrequest r
 JOIN archivefile f ON f.id = r.file_id JOIN `+table+` o ON o.id = `+other+`
 WHERE `+end+` = ? AND `+pendingRequest("r")+`
 GROUP BY `+other+`, o.name ORDER BY o.name`, id).Scan(&rows).Error
	return rows, err
}

// ActionRow is an auto-action edge with at least one action on, labelled
// with the other end's name.
type ActionRow struct {
	Name      string `gorm:"column:name"`
	Autosync  bool   `gorm:"column:autosync"`
	Autoclean bool   `gorm:"column:autoclean"`
}

// NodeActions returns the auto-actions from a node, in destination group
// id order.
func NodeActions(tx *gorm.DB, nodeID int64) ([]ActionRow, error) {
	return actions(tx, "storagegroup", "t.group_to_id", "t.node_from_id", nodeID)
}

// GroupActions returns the auto-actions into a group, in source node id
// order.
func GroupActions(tx *gorm.DB, groupID int64) ([]ActionRow, error) {
	return actions(tx, "storagenode", "t.node_from_id", "t.group_to_id", groupID)
}

func actions(tx *gorm.DB, table, other, end string, id int64) ([]ActionRow, error) {
	var rows []ActionRow
	err := tx.Raw(`SELECT o.name AS name, t.autosync, t.autoclean FROM storagetransferaction t
 JOIN `+table+` o ON o.id = `+other+`
 WHERE `+end+` = ? AND (t.autosync = 1 OR t.autoclean = 1) ORDER BY `+other, id).Scan(&rows).Error
	return rows, err
}

// AcqCount is an acquisition and a number of its files.
type AcqCount struct {
	Name  string `gorm:"column:name"`
	Files int64  `gorm:"column:files"`
}

// AcqCounts lists the acquisitions, in id order, with their number of
// files. With a node or group (non-zero id), only acquisitions with files
// present ('Y') there are listed, and the count is of those copies, so
// that a file on two nodes of a group counts twice.
func AcqCounts(tx *gorm.DB, nodeID, groupID int64) ([]AcqCount, error) {
	q := tx.Table("archiveacq AS a").Select("a.name AS name, COUNT(f.id) AS files").
		Joins("LEFT JOIN archivefile AS f ON f.acq_id = a.id")
	switch {
	case groupID != 0:
		q = q.Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
			Joins("JOIN storagenode AS n ON n.id = c.node_id").
			Where("n.group_id = ? AND c.has_file = 'Y'", groupID)
	case nodeID != 0:
		q = q.Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
			Where("c.node_id = ? AND c.has_file = 'Y'", nodeID)
	}
	var rows []AcqCount
	return rows, q.Group("a.id, a.name").Order("a.id").Scan(&rows).Error
}

// AcqTotals returns the number of files of an acquisition and the sum of
// their sizes (nil when none is known).
func AcqTotals(tx *gorm.DB, acqID int64) (int64, *int64, error) {
	var totals struct {
		Count int64  `gorm:"column:count"`
		Size  *int64 `gorm:"column:size"`
	}
	err := tx.Table("archivefile").Select("COUNT(id) AS count, SUM(size_b) AS size").
		Where("acq_id = ?", acqID).Scan(&totals).Error
	return totals.Count, totals.Size, err
}

// AcqShare is how much of an acquisition one node or group holds.
type AcqShare struct {
	ID      int64  `gorm:"column:id"`
	Name    string `gorm:"column:name"`
	GroupID int64  `gorm:"column:group_id"`
	Count   int64  `gorm:"column:count"`
	Size    *int64 `gorm:"column:size"`
}

// AcqShares counts the present ('Y') copies of an acquisition's files and
// sums their sizes per node (in id order) or per group (in name order).
// Only holders of a copy appear.
func AcqShares(tx *gorm.DB, acqID int64, byGroup bool) ([]AcqShare, error) {
	cols, order := "n.id, n.name, n.group_id", "n.id"
	sel := "n.id AS id, n.name AS name, n.group_id AS group_id"
	if byGroup {
		cols, order = "s.id, s.name", "s.name"
		sel = "s.id AS id, s.name AS name, s.id AS group_id"
	}
	var shares []AcqShare
	err := tx.Table("archivefile AS f").
		Select(sel+", COUNT(f.id) AS count, SUM(f.size_b) AS size").
		Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Joins("JOIN storagegroup AS s ON s.id = n.group_id").
		Where("f.acq_id = ? AND c.has_file = 'Y'", acqID).
		Group(cols).Order(order).Scan(&shares).Error
	return shares, err
}

// AcqFiles returns the files of an acquisition, in id order.
func AcqFiles(tx *gorm.DB, acqID int64) ([]db.ArchiveFile, error) {
	var files []db.ArchiveFile
	return files, tx.Where("acq_id = ?", acqID).Order("id").Find(&files).Error
}

// AcqCopiesOnNode returns the copy records, whatever their state, of an
// acquisition's files on a node, with their files, in copy order.
func AcqCopiesOnNode(tx *gorm.DB, acqID, nodeID int64) ([]db.ArchiveFileCopy, error) {
	var copies []db.ArchiveFileCopy
	err := tx.Joins("File").Where("File.acq_id = ? AND archivefilecopy.node_id = ?", acqID, nodeID).
		Order("archivefilecopy.id").Find(&copies).Error
	return copies, err
}

// PlacedCopy is a copy record with the group and the name of its node.
type PlacedCopy struct {
	FileID  int64      `gorm:"column:file_id"`
	GroupID int64      `gorm:"column:group_id"`
	HasFile db.HasFile `gorm:"column:has_file"`
	Node    string     `gorm:"column:node"`
}

// FileCopiesByGroup returns every copy record of a file, whatever its
// state, in copy order.
func FileCopiesByGroup(tx *gorm.DB, fileID int64) ([]PlacedCopy, error) {
	return placedCopies(tx, "c.file_id = ?", fileID)
}

// AcqCopiesInGroup returns the copy records of an acquisition's files on
// the nodes of a group, in copy order.
func AcqCopiesInGroup(tx *gorm.DB, acqID, groupID int64) ([]PlacedCopy, error) {
	return placedCopies(tx, "n.group_id = ? AND c.file_id IN (SELECT id FROM archivefile WHERE acq_id = ?)", groupID, acqID)
}

// SetCopiesInGroup returns the copy records of the files of s on the nodes
// of a group, in copy order.
func SetCopiesInGroup(tx *gorm.DB, s *FileSet, groupID int64) ([]PlacedCopy, error) {
	return placedCopies(tx, "n.group_id = ? AND c.file_id IN (SELECT archivefile.id FROM archivefile WHERE "+s.cond+")",
		append([]any{groupID}, s.args...)...)
}

func placedCopies(tx *gorm.DB, cond string, args ...any) ([]PlacedCopy, error) {
	var rows []PlacedCopy
	err := tx.Table("archivefilecopy AS c").
		Select("c.file_id AS file_id, n.group_id AS group_id, c.has_file AS has_file, n.name AS node").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Where(cond, args...).
		Order("c.id").
		Scan(&rows).Error
	return rows, err
}

// FileCopies returns every copy record of a file, with its node, in copy
// order.
func FileCopies(tx *gorm.DB, fileID int64) ([]db.ArchiveFileCopy, error) {
	var copies []db.ArchiveFileCopy
	return copies, tx.Joins("Node").Where("archivefilecopy.file_id = ?", fileID).Order("archivefilecopy.id").Find(&copies).Error
}

// FileTransfers returns every copy request of a file, whatever its state,
// with its source node and destination group, in request order.
func FileTransfers(tx *gorm.DB, fileID int64) ([]db.ArchiveFileCopyRequest, error) {
	var reqs []db.ArchiveFileCopyRequest
	err := tx.Joins("GroupTo").Joins("NodeFrom").
		Where("archivefilecopyrequest.file_id = ?", fileID).
		Order("archivefilecopyrequest.id").Find(&reqs).Error
	return reqs, err
}

// FoundCopy is a copy found by FindCopies.
type FoundCopy struct {
	Acq       string       `gorm:"column:acq"`
	File      string       `gorm:"column:file"`
	Node      string       `gorm:"column:node"`
	HasFile   db.HasFile   `gorm:"column:has_file"`
	WantsFile db.WantsFile `gorm:"column:wants_file"`
}

// FindCopies returns the copies in the given states, in no particular
// order. Non-empty acqIDs keep the copies of those acquisitions' files;
// non-empty nodeIDs and groupIDs keep the copies on those nodes or on
// nodes of those groups (either, when both are given).
func FindCopies(tx *gorm.DB, states CopyStates, acqIDs, nodeIDs, groupIDs []int64) ([]FoundCopy, error) {
	q := tx.Table("archivefilecopy AS c").
		Select("a.name AS acq, f.name AS file, n.name AS node, c.has_file AS has_file, c.wants_file AS wants_file").
		Joins("JOIN archivefile AS f ON f.id = c.file_id").
		Joins("JOIN archiveacq AS a ON a.id = f.acq_id").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Where(states.Where("c"))
	if len(acqIDs) > 0 {
		q = q.Where("f.acq_id IN ?", acqIDs)
	}
	switch {
	case len(groupIDs) > 0 && len(nodeIDs) > 0:
		q = q.Where("(c.node_id IN ? OR n.group_id IN ?)", nodeIDs, groupIDs)
	case len(groupIDs) > 0:
		q = q.Where("n.group_id IN ?", groupIDs)
	case len(nodeIDs) > 0:
		q = q.Where("c.node_id IN ?", nodeIDs)
	}
	var found []FoundCopy
	return found, q.Scan(&found).Error
}

// PresentCopy is a copy present on a node, with its file.
type PresentCopy struct {
	CopyID     int64   `gorm:"column:copy_id"`
	FileID     int64   `gorm:"column:file_id"`
	AcqName    string  `gorm:"column:acq_name"`
	Name       string  `gorm:"column:name"`
	SizeB      *int64  `gorm:"column:size_b"`
	MD5        *string `gorm:"column:md5sum"`
	Registered db.Time `gorm:"column:registered"`
}

// PresentCopies returns the copies on a node that are present (has_file
// 'Y', whether wanted or not), in no particular order: what a manifest of
// the node lists.
func PresentCopies(tx *gorm.DB, nodeID int64) ([]PresentCopy, error) {
	var copies []PresentCopy
	err := tx.Raw(`SELECT c.id AS copy_id, c.file_id, a.name AS acq_name, f.name, f.size_b, f.md5sum, f.registered
 FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id JOIN archiveacq a ON a.id = f.acq_id
 WHERE c.node_id = ? AND c.has_file = 'Y'`, nodeID).Scan(&copies).Error
	return copies, err
}

// FileSet is a set of archive files, kept as an SQL condition on
// archivefile.id so that large sets never travel as id lists. A nil
// *FileSet means "no constraint of this kind".
type FileSet struct {
	cond string
	args []any
}

// AllFiles is the set of every file.
func AllFiles() *FileSet { return &FileSet{"1 = 1", nil} }

// FilesOnNode is the set of files with a copy on a node in the given
// states.
func FilesOnNode(nodeID int64, states CopyStates) *FileSet {
	return &FileSet{"archivefile.id IN (SELECT c.file_id FROM archivefilecopy AS c WHERE c.node_id = ? AND " + states.Where("c") + ")", []any{nodeID}}
}

// FilesInGroup is the set of files with a copy on a node of a group in the
// given states.
func FilesInGroup(groupID int64, states CopyStates) *FileSet {
	return &FileSet{"archivefile.id IN (SELECT c.file_id FROM archivefilecopy AS c JOIN storagenode AS n ON n.id = c.node_id WHERE n.group_id = ? AND " + states.Where("c") + ")", []any{groupID}}
}

// FilesInAcqs is the set of files of the acquisitions with the given ids.
func FilesInAcqs(acqIDs []int64) *FileSet { return &FileSet{"archivefile.acq_id IN ?", []any{acqIDs}} }

// Union is the union of sets; nil sets are skipped, and nothing left gives
// nil.
func Union(sets ...*FileSet) *FileSet { return combineSets("OR", sets) }

// Intersection is the intersection of sets; nil sets are skipped, and
// nothing left gives nil.
func Intersection(sets ...*FileSet) *FileSet { return combineSets("AND", sets) }

func combineSets(op string, sets []*FileSet) *FileSet {
	var conds []string
	var args []any
	for _, s := range sets {
		if s != nil {
			conds = append(conds, "("+s.cond+")")
			args = append(args, s.args...)
		}
	}
	if len(conds) == 0 {
		return nil
	}
	return &FileSet{strings.Join(conds, " "+op+" "), args}
}

// Without is s minus o.
func (s *FileSet) Without(o *FileSet) *FileSet {
	return &FileSet{"(" + s.cond + ") AND NOT (" + o.cond + ")", append(append([]any{}, s.args...), o.args...)}
}

// Complement is every file not in s.
func (s *FileSet) Complement() *FileSet { return &FileSet{"NOT (" + s.cond + ")", s.args} }

// Empty reports whether no file is in s.
func (s *FileSet) Empty(tx *gorm.DB) (bool, error) {
	var ids []int64
	err := tx.Table("archivefile").Where(s.cond, s.args...).Limit(1).Pluck("archivefile.id", &ids).Error
	return len(ids) == 0, err
}

// FileRow is a file of a listing; HasFile, WantsFile and CopySize are
// those of its copy on the node FilesWithCopy looks at ("" and nil
// without a copy there).
type FileRow struct {
	ID         int64        `gorm:"column:id"`
	Acq        string       `gorm:"column:acq"`
	Name       string       `gorm:"column:name"`
	SizeB      *int64       `gorm:"column:size_b"`
	MD5Sum     *string      `gorm:"column:md5sum"`
	Registered db.Time      `gorm:"column:registered"`
	HasFile    db.HasFile   `gorm:"column:has_file"`
	WantsFile  db.WantsFile `gorm:"column:wants_file"`
	CopySize   *int64       `gorm:"column:copy_size"`
}

const fileRowColumns = "archivefile.id AS id, archiveacq.name AS acq, archivefile.name AS name, archivefile.size_b AS size_b, archivefile.md5sum AS md5sum, archivefile.registered AS registered"

// listFiles selects the files of s in acquisition, then file, name order.
func listFiles(tx *gorm.DB, s *FileSet) *gorm.DB {
	return tx.Table("archivefile").
		Select(fileRowColumns).
		Joins("JOIN archiveacq ON archiveacq.id = archivefile.acq_id").
		Where(s.cond, s.args...).
		Order("archiveacq.name, archivefile.name")
}

// EachFilePath calls fn with the acquisition and name of each file of s,
// in acquisition, then file, name order, as the rows arrive.
func EachFilePath(tx *gorm.DB, s *FileSet, fn func(acq, name string)) error {
	rows, err := listFiles(tx, s).Select("archiveacq.name, archivefile.name").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var acq, name string
		if err := rows.Scan(&acq, &name); err != nil {
			return err
		}
		fn(acq, name)
	}
	return rows.Err()
}

// Files returns the files of s, in acquisition, then file, name order.
func Files(tx *gorm.DB, s *FileSet) ([]FileRow, error) {
	var files []FileRow
	return files, listFiles(tx, s).Scan(&files).Error
}

// FilesWithCopy is Files with each file's copy on a node, if any.
func FilesWithCopy(tx *gorm.DB, s *FileSet, nodeID int64) ([]FileRow, error) {
	var files []FileRow
	err := listFiles(tx, s).
		Select(fileRowColumns+", dc.has_file AS has_file, dc.wants_file AS wants_file, dc.size_b AS copy_size").
		Joins("LEFT JOIN archivefilecopy AS dc ON dc.file_id = archivefile.id AND dc.node_id = ?", nodeID).
		Scan(&files).Error
	return files, err
}
