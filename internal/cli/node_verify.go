package cli

import (
	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeVerifyCommand) }

// nodeVerify is one node verify: a bulk change of has_file on a node.
type nodeVerify struct {
	name                      string
	acqs                      []string
	fileList                  string
	all, cancel, check, force bool
	corrupt, healthy, missing bool

	states index.CopyStates
	goal   db.HasFile
	listed *listedFiles
}

func nodeVerifyCommand(a *App) *cobra.Command {
	v := &nodeVerify{}
	cmd := leaf("verify NODE", "Ask for files on a node to be re-verified, or set the state of suspect files", func(cmd *cobra.Command, args []string) error {
		v.name = args[0]
		return a.runNodeVerify(cmd, v)
	})
	f := cmd.Flags()
	f.StringArrayVar(&v.acqs, "acq", nil, "only files in acquisition `ACQ` (repeatable)")
	f.BoolVarP(&v.all, "all", "a", false, "verify corrupt, healthy and missing files (ignored with --cancel)")
	f.BoolVar(&v.cancel, "cancel", false, "set the state of suspect files instead, ending their verification")
	f.BoolVar(&v.check, "check", false, checkHelp)
	f.BoolVar(&v.corrupt, "corrupt", false, "verify corrupt files; with --cancel, mark suspect files corrupt (the default)")
	addFileListFlag(cmd, &v.fileList)
	f.BoolVar(&v.force, "force", false, "do it without asking for confirmation")
	f.BoolVar(&v.healthy, "healthy", false, "verify healthy files; with --cancel, mark suspect files healthy")
	f.BoolVar(&v.missing, "missing", false, "verify missing files; with --cancel, mark suspect files missing")
	return cmd
}

func (a *App) runNodeVerify(cmd *cobra.Command, v *nodeVerify) error {
	if err := checkFileListPath(cmd, v.fileList); err != nil {
		return err
	}
	if err := notBoth(cmd, "check", v.check, "force", v.force); err != nil {
		return err
	}
	// Unlike the other bulk commands, verify switches to check mode before
	// its remaining option checks. v.check stays as given: only an
	// explicit --check reports work by the exit status.
	check := stdinCheck(v.check, v.force, v.fileList == "-")
	if v.cancel {
		if err := notBoth(cmd, "corrupt", v.corrupt, "healthy", v.healthy); err != nil {
			return err
		}
		if err := notBoth(cmd, "corrupt", v.corrupt, "missing", v.missing); err != nil {
			return err
		}
		if err := notBoth(cmd, "healthy", v.healthy, "missing", v.missing); err != nil {
			return err
		}
		v.states = index.CopyStates{Suspect: true}
		switch {
		case v.healthy:
			v.goal = db.HasYes
		case v.missing:
			v.goal = db.HasNo
		default:
			v.goal = db.HasCorrupt
		}
	} else {
		v.states = index.CopyStates{Corrupt: v.corrupt, Healthy: v.healthy, Missing: v.missing}
		switch {
		case v.all:
			v.states = index.CopyStates{Corrupt: true, Healthy: true, Missing: true}
		case !v.states.Any():
			v.states = index.CopyStates{Corrupt: true, Missing: true}
		}
		v.goal = db.HasMaybe
	}
	v.listed = newListedFiles(cmd, v.fileList)
	return a.runBulk(cmd, v.listed, check, v.force, false, v.phase)
}

func (v *nodeVerify) phase(d *db.DB, tx *gorm.DB, update, _ bool, out *report, track tracker) (bool, error) {
	if err := v.listed.resolve(d, tx, &v.name); err != nil {
		return false, err
	}
	node, err := resolveNode(d, tx, v.name, "no such node: %s")
	if err != nil {
		return false, err
	}
	acqs, err := resolveAcqs(d, tx, v.acqs, "No such acquisition: %s")
	if err != nil {
		return false, err
	}
	progress, done := track("Selecting files")
	plan, err := index.PlanVerify(tx, index.VerifyQuery{NodeID: node.ID, States: v.states, AcqIDs: acqIDs(acqs), Admit: v.listed.admit(), Progress: progress})
	done()
	if err != nil {
		return false, err
	}
	ids := plan.IDs
	if len(ids) == 0 {
		out.add("No matching files found.")
		return true, nil
	}
	size := "unknown size"
	if plan.SizeKnown {
		size = format.BytesInt(plan.Size)
	}
	files := nounFor(int64(len(ids)), "file", "files")
	if v.goal == db.HasMaybe {
		verb := "Would request"
		if update {
			verb = "Requesting"
		}
		out.add("%s verification of %d %s (%s).", verb, len(ids), files, size)
	} else {
		verb := "Would force"
		if update {
			verb = "Forcing"
		}
		state := map[db.HasFile]string{db.HasYes: "healthy", db.HasNo: "missing", db.HasCorrupt: "corrupt"}[v.goal]
		out.add("%s status of %d %s (%s) to %s.", verb, len(ids), files, size, state)
	}
	if !update {
		return false, nil
	}
	n, err := index.SetHasFile(tx, ids, v.goal)
	if err != nil {
		return false, err
	}
	out.add("Updated %d %s.", n, nounFor(n, "file", "files"))
	return false, nil
}
