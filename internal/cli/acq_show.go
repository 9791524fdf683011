package cli

import (
	"sort"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/spf13/cobra"
)

func init() { register("acq", acqShowCommand) }

func acqShowCommand(a *App) *cobra.Command {
	var showGroups, showNodes bool
	cmd := leaf("show ACQ", "Show an acquisition", func(cmd *cobra.Command, args []string) error {
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		acq, err := resolveAcq(d, g, args[0], "No such Acquisition: %s")
		if err != nil {
			return err
		}
		count, size, err := index.AcqTotals(g, acq.ID)
		if err != nil {
			return err
		}
		if a.json {
			return a.emitDoc(acqShowDoc(g, acq, count, size, showGroups, showNodes))
		}
		a.Echo("Acquisition: %s", acq.Name)
		a.Echo(" File Count: %d", count)
		a.Echo(" Total Size: %s", format.Bytes(size))

		var nodes []index.AcqShare
		if showNodes {
			if nodes, err = index.AcqShares(g, acq.ID, false); err != nil {
				return err
			}
		}
		switch {
		case showGroups:
			groups, err := index.AcqShares(g, acq.ID, true)
			if err != nil {
				return err
			}
			header := "Group"
			if showNodes {
				header = "Group/Node"
			}
			a.Echo("\n%s breakdown:\n", header)
			t := format.Table{Headers: []string{header, "Count", "Size"}}
			for _, grp := range groups {
				t.Rows = append(t.Rows, []any{grp.Name, grp.Count, format.Bytes(grp.Size)})
				members := 0
				for _, n := range nodes {
					if n.GroupID == grp.ID {
						t.Rows = append(t.Rows, []any{"-- " + n.Name, n.Count, format.Bytes(n.Size)})
						members++
					}
				}
				// A row of empty cells sets each group apart; it also makes
				// the Count column text, hence left-aligned, as in alpenhorn.
				if members > 0 {
					t.Rows = append(t.Rows, []any{"", "", ""})
				}
			}
			echoBreakdown(a, t)
		case showNodes:
			a.Echo("\nNode breakdown:\n")
			sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
			t := format.Table{Headers: []string{"Node", "Count", "Size"}}
			for _, n := range nodes {
				t.Rows = append(t.Rows, []any{n.Name, n.Count, format.Bytes(n.Size)})
			}
			echoBreakdown(a, t)
		}
		return nil
	})
	cmd.Flags().BoolVar(&showGroups, "show-groups", false, "show the storage groups holding the acquisition's files")
	cmd.Flags().BoolVar(&showNodes, "show-nodes", false, "show the storage nodes holding the acquisition's files")
	return cmd
}

// echoBreakdown prints a breakdown table, or says that no node holds data.
func echoBreakdown(a *App, t format.Table) {
	if len(t.Rows) == 0 {
		a.Echo("No nodes with data")
		return
	}
	a.Echo("%s", t.String())
}
