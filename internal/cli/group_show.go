package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("group", groupShowCommand) }

func groupShowCommand(a *App) *cobra.Command {
	var all, details, stats, transfers, actions bool
	cmd := leaf("show GROUP", "Show a storage group", func(cmd *cobra.Command, args []string) error {
		if all {
			details, stats, transfers, actions = true, true, true, true
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		group, err := resolveGroup(d, g, args[0], "no such group: %s")
		if err != nil {
			return err
		}
		if a.json {
			return a.emitDoc(groupShowDoc(g, group, transfers, actions))
		}
		a.Echo("Storage Group: %s", group.Name)
		a.Echo("        Notes: %s", orDefault(group.Notes, ""))
		a.Echo("    I/O Class: %s", orDefault(group.IOClass, "Default"))
		a.Echo("%s", strings.TrimSuffix(format.IOConfig(group.IOConfig), "\n"))

		a.Echo("\nNodes:\n")
		nodes, err := index.GroupNodes(g, group.ID)
		if err != nil {
			return err
		}
		switch {
		case len(nodes) == 0:
			a.Echo("  none")
		case details || stats:
			t, err := groupNodeTable(g, nodes, details, stats)
			if err != nil {
				return err
			}
			a.Echo("%s", t.String())
		default:
			for _, n := range nodes {
				a.Echo("  %s", n.Name)
			}
		}

		if transfers {
			a.Echo("\nPending inbound transfers:\n")
			rows, err := index.InboundTransfers(g, group.ID)
			if err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Source Node", "Request Count", "Total Size"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []any{r.Name, r.Count, format.Bytes(r.Size)})
			}
			a.Echo("%s", t.String())
		}

		if actions {
			a.Echo("\nAuto-actions:\n")
			rows, err := index.GroupActions(g, group.ID)
			if err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Node", "Action", "Trigger"}}
			for _, r := range rows {
				if r.Autoclean {
					t.Rows = append(t.Rows, []any{r.Name, "Auto-clean", "File added to this group"})
				}
				if r.Autosync {
					t.Rows = append(t.Rows, []any{r.Name, "Auto-sync", "File added to that node"})
				}
			}
			if len(t.Rows) == 0 {
				a.Echo("  none")
			} else {
				a.Echo("%s", t.String())
			}
		}
		return nil
	})
	f := cmd.Flags()
	f.BoolVar(&actions, "actions", false, "show the auto-actions that involve the group")
	f.BoolVarP(&all, "all", "a", false, "show everything (all the other options)")
	f.BoolVar(&details, "node-details", false, "show details of the group's nodes")
	f.BoolVar(&stats, "node-stats", false, "show how full the group's nodes are")
	f.BoolVar(&transfers, "transfers", false, "show pending transfers into the group")
	return cmd
}

// orDefault returns *s, or def when s is NULL or empty.
func orDefault(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

// groupNodeTable tabulates a group's nodes with their details, their
// usage as node stats counts it, or both.
func groupNodeTable(g *gorm.DB, nodes []db.StorageNode, details, stats bool) (format.Table, error) {
	var t format.Table
	if details {
		t.Headers = append(t.Headers, "Name", "Host", "Active", "I/O Class")
	} else {
		t.Headers = append(t.Headers, "Name")
	}
	var usage map[int64]*nodeStat
	if stats {
		t.Headers = append(t.Headers, "File Count", "Total Size", "% Full")
		var err error
		if usage, err = nodeStats(g, nodes, false); err != nil {
			return t, err
		}
	}
	for i := range nodes {
		n := &nodes[i]
		row := []any{n.Name}
		if details {
			active := "No"
			if n.Active {
				active = "Yes"
			}
			row = append(row, n.Host, active, orDefault(n.IOClass, "Default"))
		}
		if stats {
			u := usage[n.ID]
			row = append(row, u.Count, u.size(), u.percent)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
