package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
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
	f.BoolVarP(&s.check, "check", "c", false, checkHelp)
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
func (s *syncRun) phase(d *db.DB, tx *gorm.DB, update, first bool, out *report, track tracker) (bool, error) {
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
	return s.syncPhase(d, tx, node, group, acqIDs(acqs), update, first, out, track)
}

// sizeOf sums file sizes; one unknown size makes the sum unknown.
func sizeOf(files []*index.SyncFile) string {
	var total int64
	for _, f := range files {
		if !f.Size.Valid {
			return "unknown size"
		}
		total += f.Size.Int64
	}
	return format.BytesInt(total)
}

func (s *syncRun) syncPhase(d *db.DB, tx *gorm.DB, node *db.StorageNode, group *db.StorageGroup, acqIDs []int64, update, first bool, out *report, track tracker) (bool, error) {
	targets, err := resolveGroups(d, tx, s.targets, "no such group: %s")
	if err != nil {
		return false, err
	}
	targetIDs := groupIDs(targets)
	progress, done := track("Selecting files")
	all, err := index.PlanSync(tx, index.SyncQuery{NodeID: node.ID, GroupID: group.ID, Targets: targetIDs, AcqIDs: acqIDs,
		Admit: s.listed.admit(), Progress: progress})
	done()
	if err != nil {
		return false, err
	}
	var scheduled, fresh []*index.SyncFile
	for _, f := range all {
		if f.Scheduled {
			scheduled = append(scheduled, f)
		} else {
			fresh = append(fresh, f)
		}
	}

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
		s.listAffected(out, pathsOf(all), pathsOf(fresh), "file", "files")
	}
	if !update {
		return false, nil
	}
	ids := make([]int64, len(fresh))
	for i, f := range fresh {
		ids[i] = f.ID
	}
	progress, done = track("Adding copy requests")
	err = index.CreateCopyRequests(tx, node.ID, group.ID, ids, progress)
	done()
	if err != nil {
		return false, fmt.Errorf("adding copy requests: %w", err)
	}
	out.add("")
	out.add("Added %d new copy %s.", len(fresh), nounFor(int64(len(fresh)), "request", "requests"))
	return false, nil
}

// acqPath is a file or request listed by --show-acqs and --show-files.
type acqPath struct{ acq, path string }

func pathsOf(files []*index.SyncFile) []acqPath {
	out := make([]acqPath, len(files))
	for i, f := range files {
		out[i] = acqPath{f.Acq, f.Path()}
	}
	return out
}

// listAffected prints, after a blank line, what --show-acqs and
// --show-files ask for: the acquisitions of byAcq (with their files), or
// else the sorted paths of files.
func (s *syncRun) listAffected(out *report, byAcq, files []acqPath, one, many string) {
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
func listByAcq(out *report, items []acqPath, one, many string, files bool) {
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

func (s *syncRun) cancelPhase(tx *gorm.DB, node *db.StorageNode, group *db.StorageGroup, acqIDs []int64, update, first bool, out *report) (bool, error) {
	rf := index.RequestFilter{AcqIDs: acqIDs}
	if node != nil {
		rf.NodeFromID = node.ID
	}
	if group != nil {
		rf.GroupToID = group.ID
	}
	pending, err := index.PendingCopyRequests(tx, rf)
	if err != nil {
		return false, err
	}
	var ids []int64
	var reqs []acqPath
	for _, r := range pending {
		if !s.listed.admits(r.FileID) {
			continue
		}
		ids = append(ids, r.ID)
		reqs = append(reqs, acqPath{r.Acq, r.Path()})
	}

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
	n, err := index.CancelCopyRequests(tx, ids)
	if err != nil {
		return false, err
	}
	out.add("")
	out.add("Cancelled %d transfer %s.", n, nounFor(n, "request", "requests"))
	return false, nil
}
