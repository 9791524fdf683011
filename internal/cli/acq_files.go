package cli

import (
	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("acq", acqFilesCommand) }

// acqGroupWords names group-level states in acq files, which has its own
// vocabulary.
var acqGroupWords = map[db.HasFile]string{
	db.HasYes:     "Present",
	db.HasMaybe:   "Needs Check",
	db.HasCorrupt: "Corrupt",
	db.HasNo:      "Removed",
}

func acqFilesCommand(a *App) *cobra.Command {
	var (
		node, group stringValue
		showRemoved bool
	)
	cmd := leaf("files ACQ", "List the files of an acquisition", func(cmd *cobra.Command, args []string) error {
		if err := notBoth(cmd, "node", node.v != "", "group", group.v != ""); err != nil {
			return err
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		acq, err := resolveAcq(d, g, args[0], "No such Acquisition: %s")
		if err != nil {
			return err
		}
		var t format.Table
		switch {
		case node.v != "":
			n, err := resolveNode(d, g, node.v, "No such Storage Node: %s")
			if err != nil {
				return err
			}
			t, err = acqFilesOnNode(g, acq.ID, n.ID, showRemoved)
			if err != nil {
				return err
			}
		case group.v != "":
			grp, err := resolveGroup(d, g, group.v, "No such Storage Group: %s")
			if err != nil {
				return err
			}
			t, err = acqFilesInGroup(g, acq.ID, grp.ID, showRemoved)
			if err != nil {
				return err
			}
		default:
			files, err := index.AcqFiles(g, acq.ID)
			if err != nil {
				return err
			}
			t.Headers = []string{"Name", "Size", "MD5"}
			for _, f := range files {
				t.Rows = append(t.Rows, []any{f.Name, format.Bytes(f.SizeB), f.MD5Sum})
			}
		}
		if len(t.Rows) == 0 {
			a.Echo("No files.")
			return nil
		}
		a.Echo("%s", t.String())
		return nil
	})
	cmd.Flags().Var(&group, "group", "show each file's state in the group `GROUP`")
	cmd.Flags().Var(&node, "node", "show each file's state on the node `NODE`")
	cmd.Flags().BoolVar(&showRemoved, "show-removed", false, "with --node or --group, also list files no longer there")
	return cmd
}

// acqFilesOnNode tabulates the acquisition's copies on a node.
func acqFilesOnNode(g *gorm.DB, acqID, nodeID int64, showRemoved bool) (format.Table, error) {
	t := format.Table{Headers: []string{"Name", "Size", "Node State", "Size on Node", "MD5"}}
	copies, err := index.AcqCopiesOnNode(g, acqID, nodeID)
	if err != nil {
		return t, err
	}
	for _, c := range copies {
		state := c.State()
		if state == "Removed" && !showRemoved {
			continue
		}
		t.Rows = append(t.Rows, []any{c.File.Name, format.Bytes(c.File.SizeB), state, format.Bytes(c.SizeB), c.File.MD5Sum})
	}
	return t, nil
}

// acqFilesInGroup tabulates the state in a group of each file of the
// acquisition that has a copy record there.
func acqFilesInGroup(g *gorm.DB, acqID, groupID int64, showRemoved bool) (format.Table, error) {
	t := format.Table{Headers: []string{"Name", "Size", "Group State", "Node", "MD5"}}
	rows, err := index.AcqCopiesInGroup(g, acqID, groupID)
	if err != nil {
		return t, err
	}
	states, _ := index.FoldGroupStates(rows, byFile)
	files, err := index.AcqFiles(g, acqID)
	if err != nil {
		return t, err
	}
	for _, f := range files {
		s := states[f.ID]
		if s == nil || (s.State() == db.HasNo && !showRemoved) {
			continue
		}
		t.Rows = append(t.Rows, []any{f.Name, format.Bytes(f.SizeB), acqGroupWords[s.State()], nodeName(*s), f.MD5Sum})
	}
	return t, nil
}
