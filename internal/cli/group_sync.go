package cli

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("group", groupSyncCommand) }

func groupSyncCommand(a *App) *cobra.Command {
	s := &syncRun{what: "NODE"}
	cmd := leaf("sync GROUP [NODE]", "Copy files from a node into a group, or cancel such copies", func(cmd *cobra.Command, args []string) error {
		s.group = &args[0]
		if len(args) > 1 {
			s.node = &args[1]
		}
		return a.runSync(cmd, s)
	})
	s.flags(cmd, "cancel every pending copy into GROUP, whatever its source (with --cancel, instead of NODE)")
	return cmd
}

// syncRun is one group sync or node sync: the same operation, with the
// positional arguments in the other order.
type syncRun struct {
	// what names the positional argument that --all stands in for.
	what        string
	group, node *string

	acqs, targets             []string
	fileList                  string
	all, cancel, check, force bool
	showAcqs, showFiles       bool
	listed                    *listedFiles
}

func (s *syncRun) flags(cmd *cobra.Command, allHelp string) {
	f := cmd.Flags()
	f.StringArrayVar(&s.acqs, "acq", nil, "only files in acquisition `ACQ` (repeatable)")
	f.BoolVarP(&s.all, "all", "a", false, allHelp)
	f.BoolVarP(&s.cancel, "cancel", "x", false, "cancel pending copy requests instead of making new ones")
	f.BoolVarP(&s.check, "check", "c", false, "only report what would be done")
	addFileListFlag(cmd, &s.fileList)
	f.BoolVar(&s.force, "force", false, "do it without asking for confirmation")
	f.BoolVar(&s.showAcqs, "show-acqs", false, "list the acquisitions affected")
	f.BoolVar(&s.showFiles, "show-files", false, "list the files affected")
	f.StringArrayVar(&s.targets, "target", nil, "skip files already in `GROUP` (repeatable; not with --cancel)")
}

func (a *App) runSync(cmd *cobra.Command, s *syncRun) error {
	if err := checkFileListPath(cmd, s.fileList); err != nil {
		return err
	}
	if err := notBoth(cmd, "check", s.check, "force", s.force); err != nil {
		return err
	}
	if err := requires(cmd, "all", s.all, "cancel", s.cancel); err != nil {
		return err
	}
	if err := notBoth(cmd, "cancel", s.cancel, "target", len(s.targets) > 0); err != nil {
		return err
	}
	omitted := s.group == nil
	if s.what == "NODE" {
		omitted = s.node == nil
	}
	if !s.all && omitted {
		return usageErrorf(cmd, "%s or --all must be provided.", s.what)
	}
	if s.all && !omitted {
		return usageErrorf(cmd, "Can't use --all with %s.", s.what)
	}
	s.listed = newListedFiles(cmd, s.fileList)
	return a.runBulk(cmd, s.listed, s.check, s.force, s.fileList == "-", s.phase)
}

// phase is one pass of the check/confirm/update flow, in one transaction.
func (s *syncRun) phase(d *db.DB, tx *gorm.DB, update, first bool, out *report) (bool, error) {
	if err := s.listed.resolve(d, tx, s.node); err != nil {
		return false, err
	}
	var node *db.StorageNode
	var group *db.StorageGroup
	var err error
	if s.node != nil {
		if node, err = resolveNode(d, tx, *s.node, "No such node: %s"); err != nil {
			return false, err
		}
	}
	if s.group != nil {
		if group, err = resolveGroup(d, tx, *s.group, "No such group: %s"); err != nil {
			return false, err
		}
	}
	acqs, err := resolveAcqs(d, tx, s.acqs, "No such acquisition: %s")
	if err != nil {
		return false, err
	}
	if s.cancel {
		return s.cancelPhase(tx, node, group, acqIDs(acqs), update, first, out)
	}
	return s.syncPhase(d, tx, node, group, acqIDs(acqs), update, first, out)
}

// syncFile is a file that a sync would copy.
type syncFile struct {
	id        int64
	acq, path string
	size      sql.NullInt64
}

// sizeOf sums file sizes; one unknown size makes the sum unknown.
func sizeOf(files []*syncFile) string {
	var total int64
	for _, f := range files {
		if !f.size.Valid {
			return "unknown size"
		}
		total += f.size.Int64
	}
	return format.BytesInt(total)
}

func (s *syncRun) syncPhase(d *db.DB, tx *gorm.DB, node *db.StorageNode, group *db.StorageGroup, acqIDs []int64, update, first bool, out *report) (bool, error) {
	targets, err := resolveGroups(d, tx, s.targets, "no such group: %s")
	if err != nil {
		return false, err
	}
	// A file is skipped when it is on some node of the destination group
	// (in any state of wants_file) or healthy in any target group.
	q := `SELECT f.id, a.name, f.name, f.size_b
	FROM archivefilecopy c
	JOIN archivefile f ON f.id = c.file_id
	JOIN archiveacq a ON a.id = f.acq_id
	WHERE c.node_id = ? AND c.has_file = 'Y'
	  AND NOT EXISTS (SELECT 1 FROM archivefilecopy dc JOIN storagenode dn ON dn.id = dc.node_id
	                  WHERE dc.file_id = f.id AND dn.group_id = ? AND dc.has_file = 'Y')`
	args := []any{node.ID, group.ID}
	if len(targets) > 0 {
		var ids []int64
		for _, g := range targets {
			ids = append(ids, g.ID)
		}
		q += ` AND NOT EXISTS (SELECT 1 FROM archivefilecopy tc JOIN storagenode tn ON tn.id = tc.node_id
		                  WHERE tc.file_id = f.id AND tn.group_id IN ? AND ` + healthyCopy("tc") + `)`
		args = append(args, ids)
	}
	if len(acqIDs) > 0 {
		q += ` AND f.acq_id IN ?`
		args = append(args, acqIDs)
	}
	// Files with a pending request from node to group are already
	// scheduled.
	var pending []int64
	if err := tx.Raw(`SELECT file_id FROM archivefilecopyrequest WHERE node_from_id = ? AND group_to_id = ? AND cancelled = 0 AND completed = 0`,
		node.ID, group.ID).Scan(&pending).Error; err != nil {
		return false, err
	}
	scheduledIDs := make(map[int64]bool, len(pending))
	for _, id := range pending {
		scheduledIDs[id] = true
	}
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var all, scheduled, fresh []*syncFile
	for rows.Next() {
		f := &syncFile{}
		var name string
		if err := rows.Scan(&f.id, &f.acq, &name, &f.size); err != nil {
			return false, err
		}
		if !s.listed.admits(f.id) {
			continue
		}
		f.path = f.acq + "/" + name
		all = append(all, f)
		if scheduledIDs[f.id] {
			scheduled = append(scheduled, f)
		} else {
			fresh = append(fresh, f)
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()
	// New requests go in file order. Sorting here is much cheaper than
	// having the server sort every candidate.
	slices.SortFunc(fresh, func(a, b *syncFile) int { return cmp.Compare(a.id, b.id) })

	if len(all) == 0 {
		out.add("No files to sync.")
		return true, nil
	}
	if len(scheduled) > 0 {
		out.add("%d %s (%s) already scheduled for sync from Node \"%s\" to Group \"%s\"",
			len(scheduled), nounFor(int64(len(scheduled)), "file", "files"), sizeOf(scheduled), node.Name, group.Name)
	}
	if len(fresh) == 0 {
		out.add("No additional files to sync.")
		return true, nil
	}
	verb := "Would sync"
	if update {
		verb = "Syncing"
	}
	listing := first && (s.showAcqs || s.showFiles)
	stop := "."
	if listing {
		stop = ":"
	}
	out.add("%s %d %s (%s) from Node \"%s\" to Group \"%s\"%s", verb, len(fresh), nounFor(int64(len(fresh)), "file", "files"),
		sizeOf(fresh), node.Name, group.Name, stop)
	if listing {
		s.listAffected(out, all, fresh, "file", "files")
	}
	if !update {
		return false, nil
	}
	if err := insertCopyRequests(tx, fresh, node.ID, group.ID); err != nil {
		return false, err
	}
	out.add("")
	out.add("Added %d new copy %s.", len(fresh), nounFor(int64(len(fresh)), "request", "requests"))
	return false, nil
}

// listAffected prints, after a blank line, what --show-acqs and
// --show-files ask for: the acquisitions of byAcq (with their files), or
// else the sorted paths of files.
func (s *syncRun) listAffected(out *report, byAcq, files []*syncFile, one, many string) {
	out.add("")
	if s.showAcqs {
		listByAcq(out, byAcq, one, many, s.showFiles)
		return
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	sort.Strings(paths)
	*out = append(*out, paths...)
}

// listByAcq prints, per acquisition in name order, "{acq} [{k} {noun}]"
// and, with files, the sorted paths indented by four spaces.
func listByAcq(out *report, items []*syncFile, one, many string, files bool) {
	byAcq := map[string][]string{}
	var names []string
	for _, f := range items {
		if _, ok := byAcq[f.acq]; !ok {
			names = append(names, f.acq)
		}
		byAcq[f.acq] = append(byAcq[f.acq], "    "+f.path)
	}
	sort.Strings(names)
	for _, acq := range names {
		paths := byAcq[acq]
		out.add("%s [%d %s]", acq, len(paths), nounFor(int64(len(paths)), one, many))
		if files {
			sort.Strings(paths)
			*out = append(*out, paths...)
		}
	}
}

// requestChunk rows go into each multi-row INSERT: few statements for a
// large sync, each well within the engines' statement size limits.
const requestChunk = 1000

// insertCopyRequests makes one pending copy request per file, all with
// the same timestamp, in multi-row INSERTs. The values are written into
// the statement rather than bound: they are ids and a timestamp formatted
// here, never text from the user, and the SQLite driver binds parameters
// in time quadratic in their number.
func insertCopyRequests(tx *gorm.DB, files []*syncFile, nodeID, groupID int64) error {
	row := fmt.Sprintf(",%d,%d,0,0,'%s')", groupID, nodeID, db.Now().Format())
	for start := 0; start < len(files); start += requestChunk {
		chunk := files[start:min(start+requestChunk, len(files))]
		b := []byte("INSERT INTO archivefilecopyrequest (file_id, group_to_id, node_from_id, completed, cancelled, timestamp) VALUES ")
		for i, f := range chunk {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = strconv.AppendInt(b, f.id, 10)
			b = append(b, row...)
		}
		if err := tx.Exec(string(b)).Error; err != nil {
			return fmt.Errorf("adding copy requests: %w", err)
		}
	}
	return nil
}

func (s *syncRun) cancelPhase(tx *gorm.DB, node *db.StorageNode, group *db.StorageGroup, acqIDs []int64, update, first bool, out *report) (bool, error) {
	q := `SELECT r.id, r.file_id, a.name, f.name FROM archivefilecopyrequest r
	JOIN archivefile f ON f.id = r.file_id
	JOIN archiveacq a ON a.id = f.acq_id
	WHERE r.cancelled = 0 AND r.completed = 0`
	var args []any
	if node != nil {
		q += ` AND r.node_from_id = ?`
		args = append(args, node.ID)
	}
	if group != nil {
		q += ` AND r.group_to_id = ?`
		args = append(args, group.ID)
	}
	if len(acqIDs) > 0 {
		q += ` AND f.acq_id IN ?`
		args = append(args, acqIDs)
	}
	q += ` ORDER BY r.id`
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var ids []int64
	var reqs []*syncFile
	for rows.Next() {
		var id int64
		var name string
		f := &syncFile{}
		if err := rows.Scan(&id, &f.id, &f.acq, &name); err != nil {
			return false, err
		}
		if !s.listed.admits(f.id) {
			continue
		}
		f.path = f.acq + "/" + name
		ids = append(ids, id)
		reqs = append(reqs, f)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()

	if len(ids) == 0 {
		out.add("No requests to cancel.")
		return true, nil
	}
	verb := "Would cancel"
	if update {
		verb = "Cancelling"
	}
	listing := first && (s.showAcqs || s.showFiles)
	stop := "."
	if listing {
		stop = ":"
	}
	out.add("%s %d pending transfer %s%s", verb, len(ids), nounFor(int64(len(ids)), "request", "requests"), stop)
	if listing {
		s.listAffected(out, reqs, reqs, "request", "requests")
	}
	if !update {
		return false, nil
	}
	n, err := execByIDs(tx, "UPDATE archivefilecopyrequest SET cancelled = 1 WHERE cancelled = 0 AND id IN ?", ids)
	if err != nil {
		return false, err
	}
	out.add("")
	out.add("Cancelled %d transfer %s.", n, nounFor(n, "request", "requests"))
	return false, nil
}
