package cli

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeShowCommand) }

func nodeShowCommand(a *App) *cobra.Command {
	var stats, imports, transfers, actions, all bool
	cmd := leaf("show NAME", "Show the details of a storage node", func(cmd *cobra.Command, args []string) error {
		if all {
			stats, imports, transfers, actions = true, true, true, true
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		node, err := resolveNode(d, g, args[0], "no such node: %s")
		if err != nil {
			return err
		}
		groups, err := index.GroupNames(g, []int64{node.GroupID})
		if err != nil {
			return err
		}
		if a.json {
			return a.emitDoc(nodeShowDoc(g, node, groups[node.GroupID], stats, imports, transfers, actions))
		}
		var out report
		showNodeHeader(&out, node, groups[node.GroupID])
		out.add("%s", strings.TrimSuffix(format.IOConfig(node.IOConfig), "\n"))
		if stats {
			all, err := nodeStats(g, []db.StorageNode{*node}, false)
			if err != nil {
				return err
			}
			s := all[node.ID]
			out.add("")
			out.add("Stats:")
			out.add("")
			out.add("    Total Files: %d", s.Count)
			out.add("     Total Size: %s", s.size())
			out.add("          Usage: %s%%", strings.TrimLeft(s.percent, " "))
		}
		if imports {
			reqs, err := index.PendingImportsByTime(g, node.ID)
			if err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Path", "Scan", "Register New", "Request Time"}}
			var others [][]any
			for _, r := range reqs {
				var when any
				if r.Timestamp != nil {
					when = format.PythonDatetime(r.Timestamp.Time)
				}
				if r.Path == db.NodeInitPath {
					t.Rows = append(t.Rows, []any{"[Node Init]", "-", "-", when})
				} else {
					others = append(others, []any{r.Path, yesNo(r.Recurse), yesNo(r.Register), when})
				}
			}
			t.Rows = append(t.Rows, others...)
			out.add("")
			out.add("Pending import requests:")
			out.add("")
			out.add("%s", t.String())
		}
		if transfers {
			rows, err := index.OutboundTransfers(g, node.ID)
			if err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Dest. Group", "Request Count", "Total Size"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []any{r.Name, r.Count, format.Bytes(r.Size)})
			}
			out.add("")
			out.add("Pending outbound transfers:")
			out.add("")
			out.add("%s", t.String())
		}
		if actions {
			edges, err := index.NodeActions(g, node.ID)
			if err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Group", "Action", "Trigger"}}
			for _, e := range edges {
				if e.Autoclean {
					t.Rows = append(t.Rows, []any{e.Name, "Auto-clean", "File added to that group"})
				}
				if e.Autosync {
					t.Rows = append(t.Rows, []any{e.Name, "Auto-sync", "File added to this node"})
				}
			}
			out.add("")
			out.add("Auto-actions:")
			out.add("")
			if len(t.Rows) == 0 {
				out.add("  none")
			} else {
				out.add("%s", t.String())
			}
		}
		a.print(out)
		return nil
	})
	f := cmd.Flags()
	f.BoolVar(&actions, "actions", false, "show the node's auto-actions")
	f.BoolVarP(&all, "all", "a", false, "show everything (--actions --imports --stats --transfers)")
	f.BoolVar(&imports, "imports", false, "show pending import requests")
	f.BoolVar(&stats, "stats", false, "show file statistics")
	f.BoolVar(&transfers, "transfers", false, "show pending outbound transfers")
	return cmd
}

// showNodeHeader adds the node's properties, labels right-aligned.
func showNodeHeader(out *report, n *db.StorageNode, group string) {
	text := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	positive := func(gb *float64) string {
		if gb == nil || !(*gb > 0) {
			return "-"
		}
		return format.GiB(gb)
	}
	kind := map[db.StorageType]string{db.StorageArchive: "Archive", db.StorageTransport: "Transport"}[n.StorageType]
	if kind == "" {
		kind = "-"
	}
	class := "Default"
	if n.IOClass != nil && *n.IOClass != "" {
		class = *n.IOClass
	}
	autoImport := "Off"
	if n.AutoImport {
		autoImport = "On"
	}
	autoVerify := "Off"
	if n.AutoVerify != 0 {
		autoVerify = "On (Size: " + strconv.FormatInt(n.AutoVerify, 10) + ")"
	}
	var checked *time.Time
	if n.AvailGBLastChecked != nil {
		checked = &n.AvailGBLastChecked.Time
	}
	minAvail := n.MinAvailGB
	for _, line := range [][2]string{
		{"Storage Node", n.Name},
		{"Storage Group", group},
		{"Active", yesNo(n.Active)},
		{"Type", kind},
		{"Notes", text(n.Notes)},
		{"I/O Class", class},
		{},
		{"Daemon Host", text(n.Host)},
		{"Log-in Address", text(n.Address)},
		{"Log-in Username", text(n.Username)},
		{},
		{"Auto-Import", autoImport},
		{"Auto-Verify", autoVerify},
		{"Max Total", positive(n.MaxTotalGB)},
		{"Available", positive(n.AvailGB)},
		{"Min Available", positive(&minAvail)},
		{"Last Checked", format.Ctime(checked)},
	} {
		if line[0] == "" {
			out.add("")
			continue
		}
		out.add("%15s: %s", line[0], line[1])
	}
}
