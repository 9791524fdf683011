package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
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
		// With a filter, the count is of present copies there, so a file
		// on two nodes of a group counts twice, as in alpenhorn.
		q := g.Table("archiveacq AS a").Select("a.name AS name, COUNT(f.id) AS files").
			Joins("LEFT JOIN archivefile AS f ON f.acq_id = a.id")
		switch {
		case group.v != "":
			grp, err := resolveGroup(d, g, group.v, "No such group: %s")
			if err != nil {
				return err
			}
			q = q.Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
				Joins("JOIN storagenode AS n ON n.id = c.node_id").
				Where("n.group_id = ? AND c.has_file = 'Y'", grp.ID)
		case node.v != "":
			n, err := resolveNode(d, g, node.v, "No such node: %s")
			if err != nil {
				return err
			}
			q = q.Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
				Where("c.node_id = ? AND c.has_file = 'Y'", n.ID)
		}
		var rows []struct {
			Name  string
			Files int64
		}
		if err := q.Group("a.id, a.name").Order("a.id").Scan(&rows).Error; err != nil {
			return err
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
