package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestNodeModify(t *testing.T) {
	node := func(group, want string) func(t *testing.T, d *db.DB) {
		return func(t *testing.T, d *db.DB) { t.Helper(); wantNode(t, d, "N1", group, want) }
	}
	updated, noChange := "Node updated.\n", "No change.\n"
	long := strings.Repeat("r", db.MaxRoot+1)
	runIndexSteps(t, true, []indexStep{
		{args: words("node modify N1"), stdout: noChange},
		{args: words("node modify N1 --no-auto-import --host h1 --root /data1 --field"), stdout: noChange},
		{args: words("node modify N1 --auto-import"), stdout: updated,
			check: node("G1", "N1|/data1|h1|NULL|NULL|NULL|0|1|0|F|NULL|0|NULL|NULL|NULL|NULL")},
		// Of --auto-import and --no-auto-import, the last one wins.
		{args: words("node modify N1 --auto-import --no-auto-import"), stdout: updated,
			check: node("G1", "N1|/data1|h1|NULL|NULL|NULL|0|0|0|F|NULL|0|NULL|NULL|NULL|NULL")},
		{args: words("node modify N1 --host= --root /new --username u --address a -i C --notes n"), stdout: updated,
			check: node("G1", "N1|/new|NULL|u|a|C|0|0|0|F|NULL|0|NULL|NULL|n|NULL")},
		{args: []string{"node", "modify", "N1", "--class", "", "--notes="}, stdout: updated,
			check: node("G1", "N1|/new|NULL|u|a|NULL|0|0|0|F|NULL|0|NULL|NULL|NULL|NULL")},
		{args: words("node modify N1 --max-total 1.1 --min-avail 2.5 --auto-verify 4 --archive --group G2"), stdout: updated,
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|4|A|1.1|2.5|NULL|NULL|NULL|NULL")},
		// Re-stating the values changes nothing, although MySQL keeps
		// sizes in single precision.
		{args: words("node modify N1 --max-total 1.1 --min-avail 2.5 --auto-verify 4 --archive --group g2 --username u"), stdout: noChange},
		{args: words("node modify N1 --no-max-total --auto-verify 0 --transport"), stdout: updated,
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|NULL|NULL")},
		{args: words("node modify N1 --no-max-total"), stdout: noChange},
		// A NULL I/O config is edited as an empty one.
		{args: words("node modify N1 --io-var a=1 --io-var b=x"), stdout: updated,
			check: node("G2", `N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|NULL|{"a": 1, "b": "x"}`)},
		{args: words("node modify N1 --io-var a=1"), stdout: noChange},
		{args: words(`node modify N1 --io-config {"a":1,"b":"x"}`), stdout: noChange},
		{args: words("node modify N1 --io-var a= --io-var b="), stdout: updated,
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|NULL|NULL")},
		// A damaged stored config is in the way only of edits that need it.
		{prepare: execSQL("UPDATE storagenode SET io_config = 'bad' WHERE name = 'N1'"),
			args: words("node modify N1 --notes fine"), stdout: updated,
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|fine|bad")},
		{args: words("node modify N1 --io-var c=3"), code: 1, stderr: "Error: Invalid I/O config in database: bad.\n"},
		{args: []string{"node", "modify", "N1", "--io-config="}, stdout: updated,
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|fine|NULL")},
		{args: words("-q node modify N1 --notes quiet"),
			check: node("G2", "N1|/new|NULL|u|a|NULL|0|0|0|T|NULL|2.5|NULL|NULL|quiet|NULL")},
		{args: words("node modify nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node modify nope --group nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node modify N1 --group nope"), code: 1, stderr: "Error: no such group: nope\n"},
		{args: words("node modify N1 --io-config 1"), code: 1, stderr: "Error: Argument to --io-config must be a JSON object literal.\n"},
		{args: words("node modify N1 --io-var x"), code: 1, stderr: "Error: Missing equals sign in \"--io-var=x\"\n"},
		{args: words("node modify N1 --root " + long), code: 1, stderr: "Error: root too long: 256 characters (at most 255)\n"},
		{args: words("node modify N1 --max-total 1 --no-max-total"), code: 2, stderr: usageText("node modify", "NAME", "cannot use both --max-total and --no-max-total")},
		{args: words("node modify N1 --max-total -1"), code: 2, stderr: usageText("node modify", "NAME", "--max-total must be positive")},
		{args: words("node modify N1 --auto-verify -1"), code: 2, stderr: usageText("node modify", "NAME", "--auto-verify must be non-negative")},
		{args: words("node modify N1 --min-avail -0.5"), code: 2, stderr: usageText("node modify", "NAME", "--min-avail must be non-negative")},
		{args: words("node modify N1 --min-avail nan"), code: 2, stderr: usageText("node modify", "NAME", "--min-avail is out of range")},
		{args: words("node modify N1 --field --transport"), code: 2, stderr: usageText("node modify", "NAME", "cannot use both --field and --transport")},
		{args: words("node modify N1 --auto-import=x"), code: 2, stderr: "Error: Option '--auto-import' does not take a value.\n"},
		{args: words("node modify N1 --active"), code: 2, stderr: usageText("node modify", "NAME", "No such option: --active")},
	})
}
