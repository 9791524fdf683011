package cli

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeStatsCommand) }

func nodeStatsCommand(a *App) *cobra.Command {
	var f nodeFilter
	var extra bool
	cmd := leaf("stats", "Show how many files storage nodes hold", func(cmd *cobra.Command, args []string) error {
		g, nodes, err := f.nodes(a, cmd)
		if err != nil || (len(nodes) == 0 && !a.json) {
			return err
		}
		stats, err := nodeStats(g, nodes, extra)
		if err != nil {
			return err
		}
		if a.json {
			return a.emit(nodeStatsDoc(nodes, stats, extra))
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
			row := []any{n.Name, s.Count, s.size(), s.percent}
			if extra {
				row = append(row, dashIfZero(s.Corrupt), dashIfZero(s.Suspect), dashIfZero(s.Missing))
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

// nodeStat is what node stats shows of a node (see index.NodeStat).
type nodeStat struct {
	index.NodeStat
	// full is how full the node is, in percent of its max_total_gb; nil
	// when the node has no such limit.
	full *float64
	// percent is full as the text shows it, "-" when nothing is held.
	percent string
}

// size is the pretty total, "-" when nothing (or nothing known) is held.
func (s *nodeStat) size() string {
	if s.TotalB == 0 {
		return "-"
	}
	return format.BytesInt(s.TotalB)
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
	ids := make([]int64, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	counts, err := index.NodeStats(tx, ids, extra)
	if err != nil {
		return nil, err
	}
	stats := make(map[int64]*nodeStat, len(nodes))
	for _, n := range nodes {
		s := &nodeStat{NodeStat: *counts[n.ID], percent: "-"}
		if n.MaxTotalGB != nil && *n.MaxTotalGB > 0 {
			p := 100 * float64(s.TotalB) / math.Exp2(30) / *n.MaxTotalGB
			s.full = &p
			if s.TotalB != 0 {
				s.percent = percentFull(p)
			}
		}
		stats[n.ID] = s
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
