package cli

import (
	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeListCommand) }

func nodeListCommand(a *App) *cobra.Command {
	var f nodeFilter
	cmd := leaf("list", "List storage nodes", func(cmd *cobra.Command, args []string) error {
		_, nodes, err := f.nodes(a, cmd)
		if a.json && err == nil {
			return a.emit(nodesDoc(nodes))
		}
		if err != nil || len(nodes) == 0 {
			return err
		}
		roles := map[db.StorageType]string{db.StorageArchive: "archive", db.StorageField: "-", db.StorageTransport: "transport"}
		t := format.Table{Headers: []string{"Name", "Group", "Role", "I/O Class", "Host", "Active", "Root", "Notes"}}
		for _, n := range nodes {
			role, ok := roles[n.StorageType]
			if !ok {
				role = "???"
			}
			t.Rows = append(t.Rows, []any{n.Name, n.Group.Name, role, n.IOClass, n.Host, yesNo(n.Active), n.Root, n.Notes})
		}
		a.Echo("%s", t.String())
		return nil
	})
	f.flags(cmd)
	return cmd
}

// nodeFilter is the node selection of node list and node stats.
type nodeFilter struct {
	active      onOffFlags
	group, host string
}

func (f *nodeFilter) flags(cmd *cobra.Command) {
	for _, side := range []struct {
		name, help string
		on         bool
	}{{"active", "only active nodes", true}, {"inactive", "only inactive nodes", false}} {
		flag := cmd.Flags().VarPF(onOffSide{&f.active, side.on}, side.name, "", side.help)
		flag.NoOptDefVal = "true"
	}
	cmd.Flags().StringVar(&f.group, "group", "", "only nodes in `GROUP`")
	cmd.Flags().StringVar(&f.host, "host", "", "only nodes on `HOST`")
}

// nodes opens the data index and returns the session it reads with and
// the selected nodes, with their groups, in database order. When none is
// selected it says so ("no nodes"). An empty --group or --host is ignored,
// as upstream ignores it.
func (f *nodeFilter) nodes(a *App, cmd *cobra.Command) (*gorm.DB, []db.StorageNode, error) {
	d, tx, err := a.read(cmd)
	if err != nil {
		return nil, nil, err
	}
	sel := index.NodeFilter{Host: f.host}
	if f.active.set {
		sel.Active = &f.active.on
	}
	if f.group != "" {
		g, err := resolveGroup(d, tx, f.group, "no such group: %s")
		if err != nil {
			return nil, nil, err
		}
		sel.GroupID = g.ID
	}
	nodes, err := index.ListNodes(tx, sel)
	if err != nil {
		return nil, nil, err
	}
	if len(nodes) == 0 && !a.json {
		a.Echo("no nodes")
	}
	return tx, nodes, nil
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
