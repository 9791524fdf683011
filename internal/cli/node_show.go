package cli

import (
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
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
		var group db.StorageGroup
		if err := g.First(&group, node.GroupID).Error; err != nil {
			return err
		}
		var out report
		showNodeHeader(&out, node, group.Name)
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
			out.add("    Total Files: %d", s.count)
			out.add("     Total Size: %s", s.size())
			out.add("          Usage: %s%%", strings.TrimLeft(s.percent, " "))
		}
		if imports {
			var reqs []db.ArchiveFileImportRequest
			if err := g.Where("node_id = ? AND completed = 0", node.ID).Order("timestamp").Order("id").Find(&reqs).Error; err != nil {
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
			rows, err := g.Raw(`SELECT g.name, COUNT(r.id), SUM(f.size_b) FROM archivefilecopyrequest r
				JOIN archivefile f ON f.id = r.file_id
				JOIN storagegroup g ON g.id = r.group_to_id
				WHERE r.node_from_id = ? AND r.completed = 0 AND r.cancelled = 0
				GROUP BY r.group_to_id, g.name ORDER BY g.name`, node.ID).Rows()
			if err != nil {
				return err
			}
			defer rows.Close()
			t := format.Table{Headers: []string{"Dest. Group", "Request Count", "Total Size"}}
			for rows.Next() {
				var name string
				var count int64
				var size sql.NullInt64
				if err := rows.Scan(&name, &count, &size); err != nil {
					return err
				}
				var total *int64
				if size.Valid {
					total = &size.Int64
				}
				t.Rows = append(t.Rows, []any{name, count, format.Bytes(total)})
			}
			if err := rows.Err(); err != nil {
				return err
			}
			out.add("")
			out.add("Pending outbound transfers:")
			out.add("")
			out.add("%s", t.String())
		}
		if actions {
			var edges []db.StorageTransferAction
			if err := g.Where("node_from_id = ? AND (autosync = 1 OR autoclean = 1)", node.ID).Order("group_to_id").Find(&edges).Error; err != nil {
				return err
			}
			t := format.Table{Headers: []string{"Group", "Action", "Trigger"}}
			for _, e := range edges {
				var to db.StorageGroup
				if err := g.First(&to, e.GroupToID).Error; err != nil {
					return err
				}
				if e.Autoclean {
					t.Rows = append(t.Rows, []any{to.Name, "Auto-clean", "File added to that group"})
				}
				if e.Autosync {
					t.Rows = append(t.Rows, []any{to.Name, "Auto-sync", "File added to this node"})
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
