package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// nodeColumns are the storagenode columns the node tests look at.
const nodeColumns = "name, root, host, username, address, io_class, active, auto_import, auto_verify, storage_type, max_total_gb, min_avail_gb, avail_gb, avail_gb_last_checked, notes, io_config"

// wantNode checks a node's row (nodeColumns) and the name of its group.
func wantNode(t *testing.T, d *db.DB, name, group, want string) {
	t.Helper()
	if got := tableRows(t, d, "storagenode", nodeColumns, "name = ? AND group_id = (SELECT id FROM storagegroup WHERE name = ?)", name, group); got != want {
		t.Errorf("node %s in %s:\n got %s\nwant %s", name, group, got, want)
	}
}

// wantInitRequests checks the node's pending init requests, one line each.
func wantInitRequests(t *testing.T, d *db.DB, node string, n int) {
	t.Helper()
	got := tableRows(t, d, "archivefileimportrequest", "path, recurse, register, completed, timestamp IS NOT NULL",
		"node_id = (SELECT id FROM storagenode WHERE name = ?)", node)
	want := strings.TrimSuffix(strings.Repeat("ALPENHORN_NODE|0|0|0|1\n", n), "\n")
	if got != want {
		t.Errorf("init requests of %s:\n got %q\nwant %q", node, got, want)
	}
}

func TestNodeCreate(t *testing.T) {
	long := strings.Repeat("n", db.MaxNodeName+1)
	runIndexSteps(t, true, []indexStep{
		{args: words("node create X --group G1 --root /r --host h --address a --username u -i C --notes n --auto-import --auto-verify 3 --max-total 2.5 --min-avail 1 --archive --init --activate --io-var a=1"),
			stdout: "Created storage node \"X\".\n",
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "X", "G1", `X|/r|h|u|a|C|1|1|3|A|2.5|1|NULL|NULL|n|{"a": 1}`)
				wantInitRequests(t, d, "X", 1)
			}},
		// Defaults: a field node, inactive, NULL strings; empty strings
		// are stored as given.
		{args: []string{"node", "create", "Y", "--create-group", "--notes", "", "--class="},
			stdout: "Created storage group \"Y\".\nCreated storage node \"Y\".\n",
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "Y", "Y", `Y|NULL|NULL|NULL|NULL||0|0|0|F|NULL|0|NULL|NULL||NULL`)
				wantInitRequests(t, d, "Y", 0)
				wantGroup("Y", "Y|NULL|NULL|NULL")(t, d)
			}},
		{args: words("-q node create Q --group G2 --transport --io-config {\"k\":[1,2.50]} --io-var k2=v"),
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "Q", "G2", `Q|NULL|NULL|NULL|NULL|NULL|0|0|0|T|NULL|0|NULL|NULL|NULL|{"k": [1, 2.5], "k2": "v"}`)
			}},
		{args: words("node create N1 --group G1"), code: 1, stderr: "Error: node \"N1\" already exists.\n"},
		{args: words("node create n1 --create-group"), code: 1, stderr: "Error: node \"n1\" already exists.\n"},
		{args: words("node create G2 --create-group"), code: 1, stderr: "Error: group \"G2\" already exists.\n"},
		{args: words("node create Z --group nope"), code: 1, stderr: "Error: no such group: nope\n"},
		{args: words("node create Z --group G1 --io-config [1]"), code: 1, stderr: "Error: Argument to --io-config must be a JSON object literal.\n"},
		{args: words("node create Z --group G1 --io-var a"), code: 1, stderr: "Error: Missing equals sign in \"--io-var=a\"\n"},
		// I/O config errors come before storage-type ones, as in alpenhorn.
		{args: words("node create Z --group G1 --io-config x --archive --field"), code: 1, stderr: "Error: Unable to parse --io-config value as JSON.\n"},
		{args: words("node create " + long + " --create-group"), code: 1, stderr: "Error: node name too long: 65 characters (at most 64)\n"},
		{args: words("node create Z --group G1 --host " + long), code: 1, stderr: "Error: host too long: 65 characters (at most 64)\n"},
		{args: words("node create Z"), code: 2, stderr: usageText("node create", "NAME", "missing --create-group or --group")},
		{args: []string{"node", "create", "Z", "--group="}, code: 2, stderr: usageText("node create", "NAME", "missing --create-group or --group")},
		{args: words("node create Z --group G1 --create-group"), code: 2, stderr: usageText("node create", "NAME", "cannot use both --create-group and --group")},
		{args: words("node create Z --group G1 --max-total 0"), code: 2, stderr: usageText("node create", "NAME", "--max-total must be positive")},
		{args: words("node create Z --group G1 --auto-verify -1"), code: 2, stderr: usageText("node create", "NAME", "--auto-verify must be non-negative")},
		{args: words("node create Z --group G1 --min-avail -1"), code: 2, stderr: usageText("node create", "NAME", "--min-avail must be non-negative")},
		{args: words("node create Z --group G1 --max-total nan"), code: 2, stderr: usageText("node create", "NAME", "--max-total is out of range")},
		{args: words("node create Z --group G1 --max-total 1e39"), code: 2, stderr: usageText("node create", "NAME", "--max-total is out of range")},
		{args: words("node create Z --group G1 --min-avail inf"), code: 2, stderr: usageText("node create", "NAME", "--min-avail is out of range")},
		{args: words("node create Z --group G1 --auto-verify 2147483648"), code: 2, stderr: usageText("node create", "NAME", "--auto-verify is out of range")},
		{args: words("node create Z --group G1 --max-total x"), code: 2, stderr: usageText("node create", "NAME", "Invalid value for '--max-total': 'x' is not a valid float.")},
		{args: words("node create Z --group G1 --archive --field"), code: 2, stderr: usageText("node create", "NAME", "cannot use both --archive and --field")},
		{args: words("node create Z --group G1 --archive --transport"), code: 2, stderr: usageText("node create", "NAME", "cannot use both --archive and --transport")},
		{args: words("node create Z --group G1 --transport --field"), code: 2, stderr: usageText("node create", "NAME", "cannot use both --field and --transport")},
		{args: words("node create --create-group"), code: 2, stderr: usageText("node create", "NAME", "Missing argument 'NAME'.")},
	})
}
