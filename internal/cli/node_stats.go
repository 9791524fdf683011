package cli

import (
	"database/sql"
	"fmt"
	"math"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("node", nodeStatsCommand) }

func nodeStatsCommand(a *App) *cobra.Command {
	var f nodeFilter
	var extra bool
	cmd := leaf("stats", "Show how many files storage nodes hold", func(cmd *cobra.Command, args []string) error {
		g, nodes, err := f.nodes(a, cmd)
		if err != nil || len(nodes) == 0 {
			return err
		}
		stats, err := nodeStats(g, nodes, extra)
		if err != nil {
			return err
		}
		t := format.Table{
			Headers:  []string{"Name", "File Count", "Total Size", "% Full"},
			Align:    []format.Alignment{format.AlignLeft, format.AlignRight, format.AlignRight, format.AlignRight},
			FloatFmt: ".2f",
		}
		if extra {
			t.Headers = append(t.Headers, "Corrupt Files", "Suspect Files", "Missing Files")
			t.Align = append(t.Align, format.AlignRight, format.AlignRight, format.AlignRight)
		}
		for _, n := range nodes {
			s := stats[n.ID]
			row := []any{n.Name, s.count, s.size(), s.percent}
			if extra {
				row = append(row, dashIfZero(s.corrupt), dashIfZero(s.suspect), dashIfZero(s.missing))
			}
			t.Rows = append(t.Rows, row)
		}
		a.Echo("%s", t.String())
		return nil
	})
	f.flags(cmd)
	cmd.Flags().BoolVar(&extra, "extra-stats", false, "also count corrupt, suspect and missing files")
	return cmd
}

// nodeStat is what node stats shows of a node. Only copies that are
// present and wanted (has_file and wants_file both 'Y') count as held.
type nodeStat struct {
	count                     int64
	total                     sql.NullInt64
	percent                   string
	corrupt, suspect, missing int64
}

// size is the pretty total, "-" when nothing (or nothing known) is held.
func (s *nodeStat) size() string {
	if s.total.Int64 == 0 {
		return "-"
	}
	return format.BytesInt(s.total.Int64)
}

func dashIfZero(n int64) any {
	if n == 0 {
		return "-"
	}
	return n
}

// nodeStats computes the statistics of nodes, keyed by node id; extra adds
// the corrupt, suspect and missing counts of wanted copies.
func nodeStats(tx *gorm.DB, nodes []db.StorageNode, extra bool) (map[int64]*nodeStat, error) {
	stats := map[int64]*nodeStat{}
	ids := make([]int64, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
		stats[n.ID] = &nodeStat{}
	}
	rows, err := tx.Raw(`SELECT c.node_id, COUNT(c.id), SUM(f.size_b) FROM archivefilecopy c
		JOIN archivefile f ON f.id = c.file_id
		WHERE c.has_file = 'Y' AND c.wants_file = 'Y' AND c.node_id IN ? GROUP BY c.node_id`, ids).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s nodeStat
		if err := rows.Scan(&id, &s.count, &s.total); err != nil {
			return nil, err
		}
		*stats[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if extra {
		rows, err := tx.Raw(`SELECT c.node_id, c.has_file, COUNT(c.id) FROM archivefilecopy c
			WHERE c.wants_file = 'Y' AND c.has_file IN ('X', 'M', 'N') AND c.node_id IN ? GROUP BY c.node_id, c.has_file`, ids).Rows()
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id, n int64
			var has db.HasFile
			if err := rows.Scan(&id, &has, &n); err != nil {
				return nil, err
			}
			switch has {
			case db.HasCorrupt:
				stats[id].corrupt = n
			case db.HasMaybe:
				stats[id].suspect = n
			case db.HasNo:
				stats[id].missing = n
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, n := range nodes {
		s := stats[n.ID]
		s.percent = "-"
		if s.total.Int64 != 0 && n.MaxTotalGB != nil && *n.MaxTotalGB > 0 {
			s.percent = percentFull(float64(100*s.total.Int64) / (1 << 30) / *n.MaxTotalGB)
		}
	}
	return stats, nil
}

// percentFull is Python's "{:5.2f}" of a percentage.
func percentFull(p float64) string {
	if math.IsInf(p, 1) {
		return "  inf"
	}
	return fmt.Sprintf("%5.2f", p)
}
