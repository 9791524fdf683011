package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("acq", acqListCommand) }

func acqListCommand(a *App) *cobra.Command {
	var node, group stringValue
	cmd := leaf("list", "List acquisitions", func(cmd *cobra.Command, args []string) error {
		if err := notBoth(cmd, "node", node.v != "", "group", group.v != ""); err != nil {
			return err
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		var nodeID, groupID int64
		switch {
		case group.v != "":
			grp, err := resolveGroup(d, g, group.v, "No such group: %s")
			if err != nil {
				return err
			}
			groupID = grp.ID
		case node.v != "":
			n, err := resolveNode(d, g, node.v, "No such node: %s")
			if err != nil {
				return err
			}
			nodeID = n.ID
		}
		rows, err := index.AcqCounts(g, nodeID, groupID)
		if err != nil {
			return err
		}
		if a.json {
			return a.emit(docs(rows, acqDoc))
		}
		if len(rows) == 0 {
			a.Echo("No acquisitions")
			return nil
		}
		t := format.Table{Headers: []string{"Name", "Files"}}
		for _, r := range rows {
			t.Rows = append(t.Rows, []any{r.Name, r.Files})
		}
		a.Echo("%s", t.String())
		return nil
	})
	cmd.Flags().Var(&group, "group", "list only acquisitions with files present in the group `GROUP`, counting copies there")
	cmd.Flags().Var(&node, "node", "list only acquisitions with files present on the node `NODE`, counting copies there")
	return cmd
}
