package cli

import (
	"database/sql"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("node", nodeVerifyCommand) }

// nodeVerify is one node verify: a bulk change of has_file on a node.
type nodeVerify struct {
	name                      string
	acqs                      []string
	fileList                  string
	all, cancel, check, force bool
	corrupt, healthy, missing bool

	selection string // SQL condition on the copy c
	goal      db.HasFile
	listed    *listedFiles
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
	f.BoolVar(&v.check, "check", false, "only report what would be done")
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
	// its remaining option checks.
	v.check = stdinCheck(v.check, v.force, v.fileList == "-")
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
		v.selection = copyStates{suspect: true}.where("c")
		switch {
		case v.healthy:
			v.goal = db.HasYes
		case v.missing:
			v.goal = db.HasNo
		default:
			v.goal = db.HasCorrupt
		}
	} else {
		states := copyStates{corrupt: v.corrupt, healthy: v.healthy, missing: v.missing}
		switch {
		case v.all:
			states = copyStates{corrupt: true, healthy: true, missing: true}
		case !states.any():
			states = copyStates{corrupt: true, missing: true}
		}
		v.selection = states.where("c")
		v.goal = db.HasMaybe
	}
	v.listed = newListedFiles(cmd, v.fileList)
	return a.runBulk(cmd, v.listed, v.check, v.force, false, v.phase)
}

func (v *nodeVerify) phase(d *db.DB, tx *gorm.DB, update, _ bool, out *report) (bool, error) {
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
	q := `SELECT c.id, c.file_id, f.size_b FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
	WHERE c.node_id = ? AND ` + v.selection
	args := []any{node.ID}
	if len(acqs) > 0 {
		q += ` AND f.acq_id IN ?`
		args = append(args, acqIDs(acqs))
	}
	rows, err := tx.Raw(q+` ORDER BY c.id`, args...).Rows()
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var ids []int64
	var total int64
	known := false
	for rows.Next() {
		var id, fileID int64
		var size sql.NullInt64
		if err := rows.Scan(&id, &fileID, &size); err != nil {
			return false, err
		}
		if !v.listed.admits(fileID) {
			continue
		}
		ids = append(ids, id)
		// Like SQL's SUM: unknown sizes are left out, and the total is
		// unknown only when every size is.
		if size.Valid {
			total += size.Int64
			known = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	rows.Close()

	if len(ids) == 0 {
		out.add("No matching files found.")
		return true, nil
	}
	size := "unknown size"
	if known {
		size = format.BytesInt(total)
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
	n, err := execByIDs(tx, "UPDATE archivefilecopy SET has_file = ? WHERE has_file <> ? AND id IN ?", ids, v.goal, v.goal)
	if err != nil {
		return false, err
	}
	out.add("Updated %d %s.", n, nounFor(n, "file", "files"))
	return false, nil
}
