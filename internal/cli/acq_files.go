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
		var rows []acqFileRow
		headers := []string{"Name", "Size", "MD5"}
		switch {
		case node.v != "":
			n, err := resolveNode(d, g, node.v, "No such Storage Node: %s")
			if err != nil {
				return err
			}
			headers = []string{"Name", "Size", "Node State", "Size on Node", "MD5"}
			if rows, err = acqFilesOnNode(g, acq.ID, n.ID, showRemoved); err != nil {
				return err
			}
		case group.v != "":
			grp, err := resolveGroup(d, g, group.v, "No such Storage Group: %s")
			if err != nil {
				return err
			}
			headers = []string{"Name", "Size", "Group State", "Node", "MD5"}
			if rows, err = acqFilesInGroup(g, acq.ID, grp.ID, showRemoved); err != nil {
				return err
			}
		default:
			files, err := index.AcqFiles(g, acq.ID)
			if err != nil {
				return err
			}
			for _, f := range files {
				rows = append(rows, acqFileRow{name: f.Name, size: f.SizeB, md5: f.MD5Sum})
			}
		}
		if a.json {
			return a.emit(acqFilesDoc(rows))
		}
		t := format.Table{Headers: headers}
		for _, r := range rows {
			t.Rows = append(t.Rows, r.cells(node.v != "", group.v != ""))
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

// acqFileRow is a file of acq files and, with --node, its copy's state
// and size there or, with --group, its state in the group and the node
// that state comes from.
type acqFileRow struct {
	name     string
	size     *int64
	md5      *string
	state    string
	nodeSize *int64
	node     string
}

// cells are the row's table cells for the --node or --group columns.
func (r acqFileRow) cells(onNode, inGroup bool) []any {
	switch {
	case onNode:
		return []any{r.name, format.Bytes(r.size), r.state, format.Bytes(r.nodeSize), r.md5}
	case inGroup:
		return []any{r.name, format.Bytes(r.size), r.state, r.node, r.md5}
	}
	return []any{r.name, format.Bytes(r.size), r.md5}
}

// acqFilesOnNode lists the acquisition's copies on a node.
func acqFilesOnNode(g *gorm.DB, acqID, nodeID int64, showRemoved bool) ([]acqFileRow, error) {
	copies, err := index.AcqCopiesOnNode(g, acqID, nodeID)
	if err != nil {
		return nil, err
	}
	var rows []acqFileRow
	for _, c := range copies {
		state := c.State()
		if state == "Removed" && !showRemoved {
			continue
		}
		rows = append(rows, acqFileRow{name: c.File.Name, size: c.File.SizeB, md5: c.File.MD5Sum, state: state, nodeSize: c.SizeB})
	}
	return rows, nil
}

// acqFilesInGroup lists the state in a group of each file of the
// acquisition that has a copy record there.
func acqFilesInGroup(g *gorm.DB, acqID, groupID int64, showRemoved bool) ([]acqFileRow, error) {
	copies, err := index.AcqCopiesInGroup(g, acqID, groupID)
	if err != nil {
		return nil, err
	}
	states, _ := index.FoldGroupStates(copies, byFile)
	files, err := index.AcqFiles(g, acqID)
	if err != nil {
		return nil, err
	}
	var rows []acqFileRow
	for _, f := range files {
		s := states[f.ID]
		if s == nil || (s.State() == db.HasNo && !showRemoved) {
			continue
		}
		rows = append(rows, acqFileRow{name: f.Name, size: f.SizeB, md5: f.MD5Sum, state: acqGroupWords[s.State()], node: nodeName(*s)})
	}
	return rows, nil
}
