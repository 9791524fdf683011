package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestNodeScan(t *testing.T) {
	var want []string
	// queued adds the request a step makes to those the index must hold.
	queued := func(req string) func(t *testing.T, d *db.DB) {
		want = append(want, req)
		expect := strings.Join(want, "\n")
		return func(t *testing.T, d *db.DB) {
			t.Helper()
			got := tableRows(t, d, "archivefileimportrequest",
				"(SELECT name FROM storagenode WHERE storagenode.id = node_id), path, recurse, register, completed, timestamp IS NOT NULL", "1 = 1")
			if got != expect {
				t.Errorf("import requests:\n got %s\nwant %s", got, expect)
			}
		}
	}
	runIndexSteps(t, true, []indexStep{
		{args: words("node scan N1"), stdout: "Added request for scan of \".\" on Node \"N1\".\n", check: queued("N1|.|1|0|0|1")},
		{args: words("node scan n1 -n 2025//02/21/"), stdout: "Added request for scan of \"2025/02/21\" on Node \"N1\".\n", check: queued("N1|2025/02/21|1|1|0|1")},
		{args: words("node scan N1 --register-new /data1/x/./y"), stdout: "Added request for scan of \"x/y\" on Node \"N1\".\n", check: queued("N1|x/y|1|1|0|1")},
		{args: words("node scan N1 /data1/"), stdout: "Added request for scan of \".\" on Node \"N1\".\n", check: queued("N1|.|1|0|0|1")},
		// ".." is kept, as alpenhorn does; the daemon stays inside the root.
		{args: words("node scan N1 /data1/../x"), stdout: "Added request for scan of \"../x\" on Node \"N1\".\n", check: queued("N1|../x|1|0|0|1")},
		{args: []string{"node", "scan", "N1", ""}, stdout: "Added request for scan of \".\" on Node \"N1\".\n", check: queued("N1|.|1|0|0|1")},
		{prepare: execSQL("UPDATE storagenode SET root = '/' WHERE name = 'T1'"),
			args: words("node scan T1 /a//b"), stdout: "Added request for scan of \"a/b\" on Node \"T1\".\n", check: queued("T1|a/b|1|0|0|1")},
		{args: words("-q node scan T1 /"), check: queued("T1|.|1|0|0|1")},
		{args: words("node scan N1 /data10/x"), code: 1, stderr: "Error: absolute path \"/data10/x\" outside node root: /data1\n"},
		{args: words("node scan N1 //data2/x/"), code: 1, stderr: "Error: absolute path \"/data2/x\" outside node root: /data1\n"},
		{args: words("node scan N1b /x"), code: 1, stderr: "Error: PATH can't be absolute: Node \"N1b\" has no root.\n"},
		{args: words("node scan nope x"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node scan N1 " + strings.Repeat("p/", 512) + "x"), code: 1, stderr: "Error: path too long: 1025 characters (at most 1024)\n"},
		{args: words("node scan"), code: 2, stderr: usageText("node scan", "NODE PATH", "Missing argument 'NODE'.")},
		{args: words("node scan N1 a b"), code: 2, stderr: usageText("node scan", "NODE PATH", "Got unexpected extra argument (b)")},
	})
}
