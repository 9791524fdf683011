package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestNodeShow(t *testing.T) {
	const n1 = "" +
		"   Storage Node: N1\n" +
		"  Storage Group: G1\n" +
		"         Active: No\n" +
		"           Type: -\n" +
		"          Notes: \n" +
		"      I/O Class: Default\n" +
		"\n" +
		"    Daemon Host: h1\n" +
		" Log-in Address: \n" +
		"Log-in Username: \n" +
		"\n" +
		"    Auto-Import: Off\n" +
		"    Auto-Verify: Off\n" +
		"      Max Total: -\n" +
		"      Available: -\n" +
		"  Min Available: -\n" +
		"   Last Checked: -\n" +
		"\n" +
		"I/O Config:\n" +
		"\n" +
		"  none\n"
	runBulkCases(t, []bulkCase{
		{name: "plain", args: []string{"node", "show", "N1"}, stdout: n1},
		{name: "all", args: []string{"node", "show", "n1", "-a"}, stdout: n1 +
			"\nStats:\n\n" +
			"    Total Files: 2\n" +
			"     Total Size: 1.051 kiB\n" +
			"          Usage: -%\n" +
			"\nPending import requests:\n\n" +
			"Path         Scan    Register New    Request Time\n" +
			"-----------  ------  --------------  -------------------\n" +
			"[Node Init]  -       -               2025-02-26 22:54:14\n" +
			"acq2         Yes     No              2025-02-27 10:00:00\n" +
			"\nPending outbound transfers:\n\n" +
			"Dest. Group      Request Count  Total Size\n" +
			"-------------  ---------------  ------------\n" +
			"G2                           1  52 B\n" +
			"\nAuto-actions:\n\n" +
			"Group    Action      Trigger\n" +
			"-------  ----------  ------------------------\n" +
			"G2       Auto-sync   File added to this node\n" +
			"GA       Auto-clean  File added to that group\n" +
			"GA       Auto-sync   File added to this node\n"},
		{name: "everything set", args: []string{"node", "show", "N2", "--stats", "--actions"}, stdout: "" +
			"   Storage Node: N2\n" +
			"  Storage Group: G2\n" +
			"         Active: Yes\n" +
			"           Type: -\n" +
			"          Notes: second\n" +
			"      I/O Class: Default\n" +
			"\n" +
			"    Daemon Host: h2\n" +
			" Log-in Address: addr2\n" +
			"Log-in Username: u2\n" +
			"\n" +
			"    Auto-Import: On\n" +
			"    Auto-Verify: On (Size: 3)\n" +
			"      Max Total: 1.048 kiB\n" +
			"      Available: 1.500 GiB\n" +
			"  Min Available: 512.0 MiB\n" +
			"   Last Checked: Wed May  7 21:00:55 2025 UTC\n" +
			"\nI/O Config:\n\n" +
			"  a: 1\n" +
			"  b: x\n" +
			"\nStats:\n\n" +
			"    Total Files: 1\n" +
			"     Total Size: 1.000 kiB\n" +
			"          Usage: 95.37%\n" +
			"\nAuto-actions:\n\n" +
			"  none\n"},
		{name: "empty tables", args: []string{"node", "show", "N3", "--imports", "--transfers"}, stdout: "" +
			"   Storage Node: N3\n" +
			"  Storage Group: G3\n" +
			"         Active: No\n" +
			"           Type: Transport\n" +
			"          Notes: \n" +
			"      I/O Class: Default\n" +
			"\n" +
			"    Daemon Host: h2\n" +
			" Log-in Address: \n" +
			"Log-in Username: \n" +
			"\n" +
			"    Auto-Import: Off\n" +
			"    Auto-Verify: Off\n" +
			"      Max Total: -\n" +
			"      Available: -\n" +
			"  Min Available: -\n" +
			"   Last Checked: -\n" +
			"\nI/O Config:\n\n  none\n" +
			"\nPending import requests:\n\n" +
			"Path    Scan    Register New    Request Time\n" +
			"------  ------  --------------  --------------\n" +
			"\nPending outbound transfers:\n\n" +
			"Dest. Group      Request Count  Total Size\n" +
			"-------------  ---------------  ------------\n" +
			"G2                           1  4.000 kiB\n"},
		{name: "unknown node", args: []string{"node", "show", "NX"}, code: 1, stderr: "Error: no such node: NX\n"},
		{name: "no node", args: []string{"node", "show"}, code: 2, stderr: usageOf("node show NAME", "Missing argument 'NAME'.")},
	})
}

// The I/O config is shown as stored, whatever is stored.
func TestNodeShowIOConfig(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		x := newBulkIndex(t, url)
		for _, c := range []struct {
			stored any
			want   string
		}{
			{nil, "  none"},
			{"", "  none"},
			{"{}", "  empty"},
			{"[1, 2]", "INVALID (JSON decode error)"},
			{"{not json", "INVALID (JSON decode error)"},
			{`{"averyveryveryveryverylongkeyname_more_than_30": true, "n": null, "l": [1, "a"], "f": 1e-07}`,
				"  averyveryveryveryverylongkeyname_more_than_30: True\n" +
					"                               n: None\n" +
					"                               l: [1, 'a']\n" +
					"                               f: 1e-07"},
		} {
			if err := x.d.Gorm.Exec("UPDATE storagenode SET io_config = ? WHERE name = 'N3'", c.stored).Error; err != nil {
				t.Fatal(err)
			}
			r := run(t, url, "", "node", "show", "N3")
			_, section, _ := strings.Cut(r.stdout, "I/O Config:\n\n")
			if r.code != 0 || section != c.want+"\n" {
				t.Errorf("io_config %v: exit %d, I/O config section:\n%s%s\nwant:\n%s", c.stored, r.code, section, r.stderr, c.want)
			}
		}
	})
}
