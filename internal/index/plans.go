package index

import (
	"cmp"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

// The CLI's plans: what its bulk and per-file commands select from the
// data index, and the updates that carry them out. Each runs in the
// caller's transaction, so that a plan and its update see the same index.

// Admit narrows a plan to the files it returns true for; nil admits every
// file. (The CLI's -F file lists.)
type Admit func(fileID int64) bool

func (a Admit) admits(fileID int64) bool { return a == nil || a(fileID) }

// Progress is told, as a long selection or update goes on, that done of
// total steps are complete; total is the same on every call of one run,
// and -1 when it is not known ahead (rows read from a query). nil is told
// nothing. (The CLI's progress bars.)
type Progress func(done, total int)

func (p Progress) report(done, total int) {
	if p != nil {
		p(done, total)
	}
}

// CopyOn returns file's copy on node, or nil when there is none.
func CopyOn(tx *gorm.DB, fileID, nodeID int64) (*db.ArchiveFileCopy, error) {
	var rows []db.ArchiveFileCopy
	err := tx.Where("file_id = ? AND node_id = ?", fileID, nodeID).Order("id").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// FileGroupCopies returns file's copies on the nodes of group, in copy
// order.
func FileGroupCopies(tx *gorm.DB, fileID, groupID int64) ([]PlacedCopy, error) {
	return placedCopies(tx, "c.file_id = ? AND n.group_id = ?", fileID, groupID)
}

// SyncQuery is what a group or node sync copies: the files present on
// node NodeID, not present anywhere in group GroupID.
type SyncQuery struct {
	NodeID, GroupID int64
	// Targets: also skip the files healthy in any of these groups.
	Targets []int64
	// AcqIDs: only files in these acquisitions.
	AcqIDs []int64
	Admit  Admit
	// Progress counts the candidate rows read.
	Progress Progress
}

// SyncFile is a file a sync would copy.
type SyncFile struct {
	ID        int64
	Acq, Name string
	Size      sql.NullInt64
	// Scheduled: a pending request from the node to the group exists.
	Scheduled bool
}

// Path is the file as ACQ/FILE.
func (f *SyncFile) Path() string { return f.Acq + "/" + f.Name }

// PlanSync returns the files a sync would copy, in file order: those with
// a present ('Y') copy on the source node and no present copy on any node
// of the destination group (whatever their wants_file), and not healthy in
// any target group. Files already requested (a pending request from the
// node to the group) are marked Scheduled.
func PlanSync(tx *gorm.DB, q SyncQuery) ([]*SyncFile, error) {
	sel := `SELECT f.id, a.name, f.name, f.size_b
	FROM archivefilecopy c
	JOIN archivefile f ON f.id = c.file_id
	JOIN archiveacq a ON a.id = f.acq_id
	WHERE c.node_id = ? AND c.has_file = 'Y'
	  AND NOT EXISTS (SELECT 1 FROM archivefilecopy dc JOIN storagenode dn ON dn.id = dc.node_id
	                  WHERE dc.file_id = f.id AND dn.group_id = ? AND dc.has_file = 'Y')`
	args := []any{q.NodeID, q.GroupID}
	if len(q.Targets) > 0 {
		sel += ` AND NOT EXISTS (SELECT 1 FROM archivefilecopy tc JOIN storagenode tn ON tn.id = tc.node_id
		                  WHERE tc.file_id = f.id AND tn.group_id IN ? AND ` + HealthyCopy("tc") + `)`
		args = append(args, q.Targets)
	}
	if len(q.AcqIDs) > 0 {
		sel += ` AND f.acq_id IN ?`
		args = append(args, q.AcqIDs)
	}
	scheduled, err := PendingRequestFiles(tx, q.NodeID, q.GroupID)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Raw(sel, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*SyncFile
	for read := 1; rows.Next(); read++ {
		f := &SyncFile{}
		if err := rows.Scan(&f.ID, &f.Acq, &f.Name, &f.Size); err != nil {
			return nil, err
		}
		q.Progress.report(read, -1)
		if !q.Admit.admits(f.ID) {
			continue
		}
		f.Scheduled = scheduled[f.ID]
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Sorting here is much cheaper than having the server sort every
	// candidate.
	slices.SortFunc(out, func(a, b *SyncFile) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// healthyInAll is the condition, on the file table f, for a file healthy
// in every one of groups (one argument per group).
func healthyInAll(groups []int64) (string, []any) {
	var cond string
	var args []any
	for _, g := range groups {
		cond += ` AND EXISTS (SELECT 1 FROM archivefilecopy tc JOIN storagenode tn ON tn.id = tc.node_id
		  WHERE tc.file_id = f.id AND tn.group_id = ? AND ` + HealthyCopy("tc") + `)`
		args = append(args, g)
	}
	return cond, args
}

// AnyHealthyInAll reports whether some file is healthy in every one of
// groups (at least one).
func AnyHealthyInAll(tx *gorm.DB, groups []int64) (bool, error) {
	cond, args := healthyInAll(groups)
	// Start from the first group's copies rather than from every file.
	var hit []int64
	err := tx.Raw(`SELECT f.id FROM archivefilecopy fc JOIN storagenode fn ON fn.id = fc.node_id JOIN archivefile f ON f.id = fc.file_id
			WHERE fn.group_id = ?`+cond+` LIMIT 1`, append([]any{groups[0]}, args...)...).Scan(&hit).Error
	return len(hit) > 0, err
}

// CleanQuery is what a node clean changes: the wants_file of copies on
// node NodeID, to Goal (M: mark for cleaning, N: release, Y: cancel).
type CleanQuery struct {
	NodeID int64
	Goal   db.WantsFile
	// IncludeBad: suspect and corrupt copies too, not only present ones.
	IncludeBad bool
	// SizeBytes > 0: stop once copies of this total size are selected,
	// counting those already at the goal.
	SizeBytes int64
	AcqIDs    []int64
	// Cutoff: only files registered before it.
	Cutoff *db.Time
	// Targets: only files healthy in every one of these groups.
	Targets []int64
	Admit   Admit
	// Progress counts the candidate rows read.
	Progress Progress
}

// Tally counts copies and sums their files' sizes (unknown sizes as 0).
type Tally struct {
	Count int
	Size  int64
}

// CleanPlan is the outcome of PlanClean.
type CleanPlan struct {
	// IDs are the copies to change, in copy order.
	IDs []int64
	// ByWants tallies IDs by their current wants_file (Y, M and N).
	ByWants map[db.WantsFile]*Tally
	// Already tallies, under a size limit, the copies already at the goal
	// (or released, when marking) that count towards the limit.
	Already Tally
}

// PlanClean selects the copies a node clean changes, in copy order:
// copies on the node that are present (or, with IncludeBad, anything but
// absent) whose wants_file differs from the goal (for marking: that are
// wanted), narrowed by acquisition, registration cutoff and targets.
// Under a size limit the copies are walked in order, every one counting
// towards the size, until the limit is reached; those already at the goal
// (or released, when marking) count but are not changed.
func PlanClean(tx *gorm.DB, q CleanQuery) (*CleanPlan, error) {
	sel := `SELECT c.id, c.file_id, c.wants_file, f.size_b FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id WHERE c.node_id = ?`
	args := []any{q.NodeID}
	if q.IncludeBad {
		sel += ` AND c.has_file <> 'N'`
	} else {
		sel += ` AND c.has_file = 'Y'`
	}
	// With a size limit every copy counts towards the total, so the
	// wants_file test happens while walking them.
	if q.SizeBytes == 0 {
		if q.Goal == db.WantMaybe {
			sel += ` AND c.wants_file = 'Y'`
		} else {
			sel += ` AND c.wants_file <> ?`
			args = append(args, q.Goal)
		}
	}
	if len(q.AcqIDs) > 0 {
		sel += ` AND f.acq_id IN ?`
		args = append(args, q.AcqIDs)
	}
	if q.Cutoff != nil {
		sel += ` AND f.registered < ?`
		args = append(args, *q.Cutoff)
	}
	inTarget, targetArgs := healthyInAll(q.Targets)
	rows, err := tx.Raw(sel+inTarget+` ORDER BY c.id`, append(args, targetArgs...)...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	p := &CleanPlan{ByWants: map[db.WantsFile]*Tally{db.WantYes: {}, db.WantMaybe: {}, db.WantNo: {}}}
	var total int64
	for read := 1; rows.Next(); read++ {
		var id, fileID int64
		var wants db.WantsFile
		var size sql.NullInt64
		if err := rows.Scan(&id, &fileID, &wants, &size); err != nil {
			return nil, err
		}
		q.Progress.report(read, -1)
		if !q.Admit.admits(fileID) {
			continue
		}
		if q.SizeBytes > 0 {
			total += size.Int64
			if wants == q.Goal || (q.Goal == db.WantMaybe && wants == db.WantNo) {
				p.Already.Count++
				p.Already.Size += size.Int64
				if total >= q.SizeBytes {
					break
				}
				continue
			}
		}
		t := p.ByWants[wants]
		if t == nil {
			continue
		}
		t.Count++
		t.Size += size.Int64
		p.IDs = append(p.IDs, id)
		if q.SizeBytes > 0 && total >= q.SizeBytes {
			break
		}
	}
	return p, rows.Err()
}

// SetWantsFile sets the wants_file of the copies ids to wants, and
// returns how many changed (copies already so are not counted).
func SetWantsFile(tx *gorm.DB, ids []int64, wants db.WantsFile) (int64, error) {
	return execByIDs(tx, "UPDATE archivefilecopy SET wants_file = ? WHERE wants_file <> ? AND id IN ?", ids, wants, wants)
}

// SetHasFile sets the has_file of the copies ids to has, and returns how
// many changed (copies already so are not counted).
func SetHasFile(tx *gorm.DB, ids []int64, has db.HasFile) (int64, error) {
	return execByIDs(tx, "UPDATE archivefilecopy SET has_file = ? WHERE has_file <> ? AND id IN ?", ids, has, has)
}

// SetFileWants sets the wants_file of file's copies, on node nodeID only
// when it is non-zero, to wants, and returns how many changed: only rows
// that really change are counted, as MySQL reports them.
func SetFileWants(tx *gorm.DB, fileID, nodeID int64, wants db.WantsFile) (int64, error) {
	q := tx.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND wants_file <> ?", fileID, wants)
	if nodeID != 0 {
		q = q.Where("node_id = ?", nodeID)
	}
	res := q.Update("wants_file", wants)
	return res.RowsAffected, res.Error
}

// VerifyQuery is what a node verify selects: the copies on node NodeID in
// the given states.
type VerifyQuery struct {
	NodeID int64
	States CopyStates
	AcqIDs []int64
	Admit  Admit
	// Progress counts the candidate rows read.
	Progress Progress
}

// VerifyPlan is the outcome of PlanVerify.
type VerifyPlan struct {
	// IDs are the copies selected, in copy order.
	IDs []int64
	// Size sums the known sizes of their files, as SQL's SUM does;
	// SizeKnown is false when every size is unknown.
	Size      int64
	SizeKnown bool
}

// PlanVerify selects the copies on the node in the query's states, in copy
// order.
func PlanVerify(tx *gorm.DB, q VerifyQuery) (*VerifyPlan, error) {
	sel := `SELECT c.id, c.file_id, f.size_b FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
	WHERE c.node_id = ? AND ` + q.States.Where("c")
	args := []any{q.NodeID}
	if len(q.AcqIDs) > 0 {
		sel += ` AND f.acq_id IN ?`
		args = append(args, q.AcqIDs)
	}
	rows, err := tx.Raw(sel+` ORDER BY c.id`, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := &VerifyPlan{}
	for read := 1; rows.Next(); read++ {
		var id, fileID int64
		var size sql.NullInt64
		if err := rows.Scan(&id, &fileID, &size); err != nil {
			return nil, err
		}
		q.Progress.report(read, -1)
		if !q.Admit.admits(fileID) {
			continue
		}
		p.IDs = append(p.IDs, id)
		if size.Valid {
			p.Size += size.Int64
			p.SizeKnown = true
		}
	}
	return p, rows.Err()
}

// CopyChange is a change of the recorded state of a copy; nil fields stay
// as they are.
type CopyChange struct {
	Has   *db.HasFile
	Wants *db.WantsFile
	Ready *bool
}

// RecordCopyState records ch on file's copy on node, cp (nil when there is
// no copy row), and reports whether anything changed. A copy recorded as
// present, suspect or corrupt becomes wanted (wants_file 'Y') if it was
// released or new; one merely removable ('M') stays so. Without a copy row, one is created only for a
// state other than absent (has_file 'N', wants_file 'N'). Only a real
// change counts, as MySQL reports it.
func RecordCopyState(tx *gorm.DB, fileID, nodeID int64, cp *db.ArchiveFileCopy, ch CopyChange) (bool, error) {
	if ch.Has != nil && *ch.Has != db.HasNo && (cp == nil || cp.WantsFile == db.WantNo) {
		yes := db.WantYes
		ch.Wants = &yes
	}
	if cp == nil {
		if ch.Has == nil || (*ch.Has == db.HasNo && *ch.Wants == db.WantNo) {
			return false, nil
		}
		row := db.ArchiveFileCopy{FileID: fileID, NodeID: nodeID, HasFile: *ch.Has, WantsFile: *ch.Wants, LastUpdate: db.Now()}
		if ch.Ready != nil {
			row.Ready = *ch.Ready
		}
		return true, tx.Create(&row).Error
	}
	set := map[string]any{}
	if ch.Has != nil {
		set["has_file"] = *ch.Has
	}
	if ch.Wants != nil {
		set["wants_file"] = *ch.Wants
	}
	if ch.Ready != nil {
		set["ready"] = *ch.Ready
	}
	var differs []string
	var args []any
	for col, v := range set {
		differs = append(differs, col+" <> ?")
		args = append(args, v)
	}
	res := tx.Model(&db.ArchiveFileCopy{}).
		Where("id = ?", cp.ID).
		Where(strings.Join(differs, " OR "), args...).
		Updates(set)
	return res.RowsAffected > 0, res.Error
}

// archiveCount counts the good ('Y') copies on archive nodes of the file
// of copy c: what the archive rule (RequiredArchiveCopies) counts.
const archiveCount = `(SELECT COUNT(*) FROM archivefilecopy c2 JOIN storagenode n2 ON n2.id = c2.node_id
 WHERE c2.file_id = c.file_id AND c2.has_file = 'Y' AND n2.storage_type = 'A')`

// ArchiveShort counts the copies among ids, on node, that the archive
// rule keeps: their file has fewer good copies on archive nodes (other
// data indexes' confirmed copies included) than RequiredArchiveCopies
// asks for deleting a copy on node. Released, such copies stay until more
// archive copies exist. Confirmations this alpenhorn cannot read count
// for nothing, as in the daemon.
func ArchiveShort(tx *gorm.DB, node *db.StorageNode, ids []int64) (int, error) {
	type archived struct {
		FileID int64
		N      int64
	}
	var rows []archived
	for chunk := range slices.Chunk(ids, IDChunk) {
		var page []archived
		if err := tx.Raw(`SELECT c.file_id, `+archiveCount+` AS n FROM archivefilecopy c WHERE c.id IN ?`, chunk).Scan(&page).Error; err != nil {
			return 0, err
		}
		rows = append(rows, page...)
	}
	fileIDs := make([]int64, len(rows))
	for i, r := range rows {
		fileIDs[i] = r.FileID
	}
	// One call for all the files: it reads the sneakernet version once and
	// splits the ids itself.
	remote, err := sneakernet.ConfirmedRemoteCopies(tx, fileIDs)
	var vm *db.VersionMismatchError
	if errors.As(err, &vm) {
		remote, err = nil, nil
	}
	if err != nil {
		return 0, err
	}
	required := RequiredArchiveCopies(node)
	short := 0
	for _, r := range rows {
		if r.N+int64(remote[r.FileID]) < required {
			short++
		}
	}
	return short, nil
}
