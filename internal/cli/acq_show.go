package cli

import (
	"sort"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("acq", acqShowCommand) }

// acqShare is how much of an acquisition one node or group holds.
type acqShare struct {
	ID      int64
	Name    string
	GroupID int64
	Count   int64
	Size    *int64
}

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
		var totals struct {
			Count int64
			Size  *int64
		}
		err = g.Table("archivefile").Select("COUNT(id) AS count, SUM(size_b) AS size").
			Where("acq_id = ?", acq.ID).Scan(&totals).Error
		if err != nil {
			return err
		}
		a.Echo("Acquisition: %s", acq.Name)
		a.Echo(" File Count: %d", totals.Count)
		a.Echo(" Total Size: %s", format.Bytes(totals.Size))

		var nodes []acqShare
		if showNodes {
			if nodes, err = acqShares(g, acq.ID, false); err != nil {
				return err
			}
		}
		switch {
		case showGroups:
			groups, err := acqShares(g, acq.ID, true)
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

// acqShares counts the present copies of the acquisition's files and sums
// their sizes per node (in id order) or per group (in name order). Only
// holders of a copy appear.
func acqShares(g *gorm.DB, acqID int64, byGroup bool) ([]acqShare, error) {
	cols, order := "n.id, n.name, n.group_id", "n.id"
	sel := "n.id AS id, n.name AS name, n.group_id AS group_id"
	if byGroup {
		cols, order = "s.id, s.name", "s.name"
		sel = "s.id AS id, s.name AS name, s.id AS group_id"
	}
	var shares []acqShare
	err := g.Table("archivefile AS f").
		Select(sel+", COUNT(f.id) AS count, SUM(f.size_b) AS size").
		Joins("JOIN archivefilecopy AS c ON c.file_id = f.id").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Joins("JOIN storagegroup AS s ON s.id = n.group_id").
		Where("f.acq_id = ? AND c.has_file = 'Y'", acqID).
		Group(cols).Order(order).Scan(&shares).Error
	return shares, err
}

// echoBreakdown prints a breakdown table, or says that no node holds data.
func echoBreakdown(a *App, t format.Table) {
	if len(t.Rows) == 0 {
		a.Echo("No nodes with data")
		return
	}
	a.Echo("%s", t.String())
}
