package cli

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("node", nodeCleanCommand) }

// nodeClean is one node clean: a bulk change of wants_file on a node.
type nodeClean struct {
	name                      string
	acqs, targets             []string
	days                      intValue
	size                      floatValue
	fileList                  string
	now, cancel, check, force bool
	includeBad, archiveOK     bool

	goal      db.WantsFile
	sizeBytes int64 // 0: no --size limit
	cutoff    *db.Time
	listed    *listedFiles
}

func nodeCleanCommand(a *App) *cobra.Command {
	c := &nodeClean{}
	cmd := leaf("clean NODE", "Schedule files on a node for removal, or cancel that", func(cmd *cobra.Command, args []string) error {
		c.name = args[0]
		return a.runNodeClean(cmd, c)
	})
	f := cmd.Flags()
	f.StringArrayVar(&c.acqs, "acq", nil, "only files in acquisition `ACQ` (repeatable)")
	f.BoolVar(&c.archiveOK, "archive-ok", false, "allow cleaning an archive node")
	f.BoolVarP(&c.cancel, "cancel", "x", false, "cancel the cleaning of files instead")
	f.BoolVarP(&c.check, "check", "c", false, "only report what would be done")
	f.VarP(&c.days, "days", "d", "only files registered more than `COUNT` days ago")
	addFileListFlag(cmd, &c.fileList)
	f.BoolVar(&c.force, "force", false, "do it without asking for confirmation")
	f.BoolVar(&c.includeBad, "include-bad", false, "also clean suspect and corrupt copies")
	f.BoolVarP(&c.now, "now", "n", false, "release the files for immediate removal")
	f.VarP(&c.size, "size", "s", "stop once `SIZE` GiB are scheduled for cleaning")
	f.StringArrayVar(&c.targets, "target", nil, "only files already in `GROUP` (repeatable; files must be in all of them)")
	return cmd
}

func (a *App) runNodeClean(cmd *cobra.Command, c *nodeClean) error {
	if err := checkFileListPath(cmd, c.fileList); err != nil {
		return err
	}
	if err := notBoth(cmd, "cancel", c.cancel, "now", c.now); err != nil {
		return err
	}
	if err := notBoth(cmd, "cancel", c.cancel, "size", c.size.set); err != nil {
		return err
	}
	if err := notBoth(cmd, "check", c.check, "force", c.force); err != nil {
		return err
	}
	if c.days.set && c.days.v <= 0 {
		return usageErrorf(cmd, "--days must be positive")
	}
	// NaN is not positive either; Python crashes on it further on.
	if c.size.set && !(c.size.v > 0) {
		return usageErrorf(cmd, "--size must be positive")
	}
	switch {
	case c.now:
		c.goal = db.WantNo
	case c.cancel:
		c.goal = db.WantYes
	default:
		c.goal = db.WantMaybe
	}
	if c.size.set {
		// Truncated to whole bytes: a size below one byte sets no limit, as
		// upstream does; infinity never stops.
		if b := c.size.v * (1 << 30); b >= math.MaxInt64 {
			c.sizeBytes = math.MaxInt64
		} else {
			c.sizeBytes = int64(b)
		}
	}
	if c.days.set {
		c.cutoff = daysAgo(c.days.v)
	}
	c.listed = newListedFiles(cmd, c.fileList)
	return a.runBulk(cmd, c.listed, c.check, c.force, c.fileList == "-", c.phase)
}

// daysAgo is the registration cutoff of --days: files registered before
// it are old enough (decision D-days). A count reaching back past year 1
// leaves nothing old enough.
func daysAgo(days int64) *db.Time {
	now := db.Now()
	t := db.NewTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))
	if days < int64(now.Year())*366 {
		if back := now.AddDate(0, 0, -int(days)); back.After(t.Time) {
			t = db.NewTime(back)
		}
	}
	return &t
}

// cleanCopy is a candidate copy of node clean.
type cleanCopy struct {
	id     int64
	fileID int64
	wants  db.WantsFile
	size   int64
}

func (c *nodeClean) phase(d *db.DB, tx *gorm.DB, update, first bool, out *report) (bool, error) {
	if err := c.listed.resolve(d, tx, &c.name); err != nil {
		return false, err
	}
	node, err := resolveNode(d, tx, c.name, "no such node: %s")
	if err != nil {
		return false, err
	}
	if node.Archive() {
		switch {
		case c.archiveOK:
			if first {
				out.add("DANGER: \"%s\" is an archive node. Forcing clean.", c.name)
			}
		case c.goal != db.WantYes:
			// Cancelling cleaning removes nothing, so it needs no
			// --archive-ok (decision D-archcancel).
			return false, fmt.Errorf("Cannot clean archive node \"%s\".", c.name)
		}
	}
	targets, err := resolveGroups(d, tx, c.targets, "no such group: %s")
	if err != nil {
		return false, err
	}
	// A file is in the target when it is healthy in every target group.
	var inTarget string
	var targetArgs []any
	for _, g := range targets {
		inTarget += ` AND EXISTS (SELECT 1 FROM archivefilecopy tc JOIN storagenode tn ON tn.id = tc.node_id
		  WHERE tc.file_id = f.id AND tn.group_id = ? AND ` + healthyCopy("tc") + `)`
		targetArgs = append(targetArgs, g.ID)
	}
	if len(targets) > 0 {
		// Start from the first group's copies rather than from every file.
		var hit []int64
		err := tx.Raw(`SELECT f.id FROM archivefilecopy fc JOIN storagenode fn ON fn.id = fc.node_id JOIN archivefile f ON f.id = fc.file_id
			WHERE fn.group_id = ?`+inTarget+` LIMIT 1`, append([]any{targets[0].ID}, targetArgs...)...).Scan(&hit).Error
		if err != nil {
			return false, err
		}
		if len(hit) == 0 {
			out.add("Nothing to do: no matching files in target.")
			return true, nil
		}
	}
	acqs, err := resolveAcqs(d, tx, c.acqs, "No such acquisition: %s")
	if err != nil {
		return false, err
	}

	q := `SELECT c.id, c.file_id, c.wants_file, f.size_b FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id WHERE c.node_id = ?`
	args := []any{node.ID}
	if c.includeBad {
		q += ` AND c.has_file <> 'N'`
	} else {
		q += ` AND c.has_file = 'Y'`
	}
	// With a size limit every copy counts towards the total, so the
	// wants_file test happens while walking them.
	if c.sizeBytes == 0 {
		if c.goal == db.WantMaybe {
			q += ` AND c.wants_file = 'Y'`
		} else {
			q += ` AND c.wants_file <> ?`
			args = append(args, c.goal)
		}
	}
	if len(acqs) > 0 {
		q += ` AND f.acq_id IN ?`
		args = append(args, acqIDs(acqs))
	}
	if c.cutoff != nil {
		q += ` AND f.registered < ?`
		args = append(args, *c.cutoff)
	}
	q += inTarget + ` ORDER BY c.id`
	args = append(args, targetArgs...)
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return false, err
	}
	defer rows.Close()

	type tally struct {
		count int
		size  int64
	}
	var byWants = map[db.WantsFile]*tally{db.WantYes: {}, db.WantMaybe: {}, db.WantNo: {}}
	var already tally
	var ids []int64
	var total int64
	for rows.Next() {
		var cp cleanCopy
		var size sql.NullInt64
		if err := rows.Scan(&cp.id, &cp.fileID, &cp.wants, &size); err != nil {
			return false, err
		}
		if !c.listed.admits(cp.fileID) {
			continue
		}
		cp.size = size.Int64
		if c.sizeBytes > 0 {
			total += cp.size
			if cp.wants == c.goal || (c.goal == db.WantMaybe && cp.wants == db.WantNo) {
				already.count++
				already.size += cp.size
				if total >= c.sizeBytes {
					break
				}
				continue
			}
		}
		t := byWants[cp.wants]
		if t == nil {
			continue
		}
		t.count++
		t.size += cp.size
		ids = append(ids, cp.id)
		if c.sizeBytes > 0 && total >= c.sizeBytes {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()

	count := len(ids)
	if count == 0 {
		if already.count > 0 {
			out.add("No files to clean (size constraint already satisfied).")
		} else {
			out.add("No files to clean.")
		}
		return true, nil
	}
	size := byWants[db.WantYes].size + byWants[db.WantMaybe].size + byWants[db.WantNo].size

	var breakdown bool
	var verb, gerund string
	switch c.goal {
	case db.WantYes:
		breakdown = count != byWants[db.WantMaybe].count && count != byWants[db.WantNo].count
		verb, gerund = "Would cancel", " for cleaning"
		if update {
			verb = "Cancelling"
		}
	case db.WantMaybe:
		verb, gerund = "Would mark", " for deferred cleaning"
		if update {
			verb = "Marking"
		}
	default:
		breakdown = count != byWants[db.WantMaybe].count && count != byWants[db.WantYes].count
		verb = "Would release"
		if update {
			verb = "Releasing"
		}
	}
	stop := "."
	if breakdown {
		stop = ":"
	}
	out.add("%s %d %s (%s)%s%s", verb, count, nounFor(int64(count), "file", "files"), format.BytesInt(size), gerund, stop)
	if size != 0 && already.count > 0 {
		out.add("%d %s (%s) already contributing to size constraint.", already.count, nounFor(int64(already.count), "file", "files"), format.BytesInt(already.size))
	}
	if breakdown {
		for _, line := range []struct {
			wants db.WantsFile
			adj   string
		}{{db.WantYes, "present"}, {db.WantMaybe, "marked"}, {db.WantNo, "released"}} {
			if t := byWants[line.wants]; t.count > 0 {
				out.add("  %d %s %s (%s)", t.count, line.adj, nounFor(int64(t.count), "file", "files"), format.BytesInt(t.size))
			}
		}
	}
	if !update {
		return false, nil
	}
	n, err := execByIDs(tx, "UPDATE archivefilecopy SET wants_file = ? WHERE wants_file <> ? AND id IN ?", ids, c.goal, c.goal)
	if err != nil {
		return false, err
	}
	out.add("Updated %d %s.", n, nounFor(n, "file", "files"))
	return false, nil
}
