package cli

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestNodeStats(t *testing.T) {
	runBulkCases(t, []bulkCase{
		// Copies marked removable or released, and copies not present, are
		// not counted; N2 is 95.37% of its 0.000001 GiB.
		{name: "all", args: []string{"node", "stats"}, stdout: "" +
			"Name      File Count    Total Size    % Full\n" +
			"------  ------------  ------------  --------\n" +
			"N1                 2     1.051 kiB         -\n" +
			"N2                 1     1.000 kiB     95.37\n" +
			"N3                 1          52 B         -\n" +
			"A1                 3     1.051 kiB         -\n"},
		{name: "extra", args: []string{"node", "stats", "--extra-stats"}, stdout: "" +
			"Name      File Count    Total Size    % Full    Corrupt Files    Suspect Files    Missing Files\n" +
			"------  ------------  ------------  --------  ---------------  ---------------  ---------------\n" +
			"N1                 2     1.051 kiB         -                1                1                -\n" +
			"N2                 1     1.000 kiB     95.37                -                -                1\n" +
			"N3                 1          52 B         -                -                -                -\n" +
			"A1                 3     1.051 kiB         -                -                -                -\n"},
		{name: "group", args: []string{"node", "stats", "--group", "G2"}, stdout: "" +
			"Name      File Count    Total Size    % Full\n" +
			"------  ------------  ------------  --------\n" +
			"N2                 1     1.000 kiB     95.37\n"},
		{name: "inactive", args: []string{"node", "stats", "--inactive", "--extra-stats"}, stdout: "" +
			"Name      File Count    Total Size    % Full    Corrupt Files    Suspect Files    Missing Files\n" +
			"------  ------------  ------------  --------  ---------------  ---------------  ---------------\n" +
			"N1                 2     1.051 kiB         -                1                1                -\n" +
			"N3                 1          52 B         -                -                -                -\n"},
		{name: "none", args: []string{"node", "stats", "--host", "nowhere"}, stdout: "no nodes\n"},
		{name: "unknown group", args: []string{"node", "stats", "--group", "nope"}, code: 1, stderr: "Error: no such group: nope\n"},
	})
}

// A column of percentages only is numeric, printed with two decimals;
// a node with files of unknown size only shows no size.
func TestNodeStatsPercentages(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		x := newBulkIndex(t, url)
		for node, max := range map[string]float64{"N1": 0.001, "N3": 0.5, "A1": 1e-7} {
			if err := x.d.Gorm.Exec("UPDATE storagenode SET max_total_gb = ? WHERE name = ?", max, node).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := x.d.Gorm.Exec("UPDATE archivefilecopy SET wants_file = 'M' WHERE node_id = ? AND file_id <> ?", x.nodes["A1"], x.files["acq2/nosize.dat"]).Error; err != nil {
			t.Fatal(err)
		}
		r := run(t, url, "", "node", "stats", "--group", "G1", "--group", "GA")
		want := "Name      File Count    Total Size    % Full\n" +
			"------  ------------  ------------  --------\n" +
			"A1                 1             -         -\n"
		if r.code != 0 || r.stdout != want {
			t.Errorf("node stats --group GA: exit %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
		}
		r = run(t, url, "", "node", "stats", "--inactive")
		want = "Name      File Count    Total Size    % Full\n" +
			"------  ------------  ------------  --------\n" +
			"N1                 2     1.051 kiB      0.10\n" +
			"N3                 1          52 B      0.00\n"
		if r.code != 0 || r.stdout != want {
			t.Errorf("node stats --inactive: exit %d\n%s%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
		}
	})
}
