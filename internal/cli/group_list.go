package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("group", groupListCommand) }

func groupListCommand(a *App) *cobra.Command {
	return leaf("list", "List storage groups", func(cmd *cobra.Command, args []string) error {
		_, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		groups, err := index.ListGroups(g)
		if err != nil {
			return err
		}
		if a.json {
			return a.emit(docs(groups, groupDoc))
		}
		if len(groups) == 0 {
			a.Echo("No storage groups found.")
			return nil
		}
		t := format.Table{Headers: []string{"Name", "I/O Class", "Notes"}}
		for _, g := range groups {
			class := "Default"
			if g.IOClass != nil {
				class = *g.IOClass
			}
			t.Rows = append(t.Rows, []any{g.Name, class, g.Notes})
		}
		a.Echo("%s", t.String())
		return nil
	})
}
