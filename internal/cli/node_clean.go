package cli

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
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
	f.BoolVarP(&c.check, "check", "c", false, checkHelp)
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

func (c *nodeClean) phase(d *db.DB, tx *gorm.DB, update, first bool, out *report, track tracker) (bool, error) {
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
	targetIDs := groupIDs(targets)
	if len(targetIDs) > 0 {
		hit, err := index.AnyHealthyInAll(tx, targetIDs)
		if err != nil {
			return false, err
		}
		if !hit {
			out.add("Nothing to do: no matching files in target.")
			return true, nil
		}
	}
	acqs, err := resolveAcqs(d, tx, c.acqs, "No such acquisition: %s")
	if err != nil {
		return false, err
	}
	progress, done := track("Selecting files")
	plan, err := index.PlanClean(tx, index.CleanQuery{NodeID: node.ID, Goal: c.goal, IncludeBad: c.includeBad, SizeBytes: c.sizeBytes,
		AcqIDs: acqIDs(acqs), Cutoff: c.cutoff, Targets: targetIDs, Admit: c.listed.admit(), Progress: progress})
	done()
	if err != nil {
		return false, err
	}
	ids, byWants, already := plan.IDs, plan.ByWants, plan.Already

	count := len(ids)
	if count == 0 {
		if already.Count > 0 {
			out.add("No files to clean (size constraint already satisfied).")
		} else {
			out.add("No files to clean.")
		}
		return true, nil
	}
	size := byWants[db.WantYes].Size + byWants[db.WantMaybe].Size + byWants[db.WantNo].Size

	var breakdown bool
	var verb, gerund string
	switch c.goal {
	case db.WantYes:
		breakdown = count != byWants[db.WantMaybe].Count && count != byWants[db.WantNo].Count
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
		breakdown = count != byWants[db.WantMaybe].Count && count != byWants[db.WantYes].Count
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
	if size != 0 && already.Count > 0 {
		out.add("%d %s (%s) already contributing to size constraint.", already.Count, nounFor(int64(already.Count), "file", "files"), format.BytesInt(already.Size))
	}
	if breakdown {
		for _, line := range []struct {
			wants db.WantsFile
			adj   string
		}{{db.WantYes, "present"}, {db.WantMaybe, "marked"}, {db.WantNo, "released"}} {
			if t := byWants[line.wants]; t.Count > 0 {
				out.add("  %d %s %s (%s)", t.Count, line.adj, nounFor(int64(t.Count), "file", "files"), format.BytesInt(t.Size))
			}
		}
	}
	if c.goal == db.WantNo {
		// Released copies the archive rule keeps would otherwise stay
		// on the node with nothing said until the daemon refuses them.
		short, err := index.ArchiveShort(tx, node, ids)
		if err != nil {
			return false, err
		}
		if short > 0 {
			out.add("Warning: %d %s too few archive copies (%d needed) to be deleted; %s will stay on %s.", short,
				nounFor(int64(short), "file has", "files have"), index.RequiredArchiveCopies(node), nounFor(int64(short), "it", "they"), node.Name)
		}
	}
	if !update {
		return false, nil
	}
	n, err := index.SetWantsFile(tx, ids, c.goal)
	if err != nil {
		return false, err
	}
	out.add("Updated %d %s.", n, nounFor(n, "file", "files"))
	return false, nil
}
