package cli

import (
	"strings"
	"testing"
)

func TestGroupModify(t *testing.T) {
	updated, nothing := "Storage group updated.\n", "Nothing to do.\n"
	runIndexSteps(t, true, []indexStep{
		// Options not given leave their fields alone.
		{args: words("group modify G1"), stdout: nothing},
		{args: []string{"group", "modify", "G1", "--notes", "first group"}, stdout: nothing},
		{args: words("group modify G1 -i Mine"), stdout: updated, check: wantGroup("G1", "G1|Mine|first group|NULL")},
		{args: []string{"group", "modify", "g1", "--notes=", "--class="}, stdout: updated, check: wantGroup("G1", "G1|NULL|NULL|NULL")},
		{args: []string{"group", "modify", "G1", "--notes="}, stdout: nothing},
		// A stored config is rewritten only when it changes.
		{args: words("group modify G3"), stdout: nothing},
		{args: words("group modify G3 --io-var a=1"), stdout: nothing},
		{args: words(`group modify G3 --io-config {"a":1}`), stdout: nothing},
		{args: words("group modify G3 --io-var b=2.50"), stdout: updated, check: wantGroup("G3", `G3|NULL|NULL|{"a": 1, "b": 2.5}`)},
		// An emptied config is stored as NULL.
		{args: words("group modify G3 --io-var a= --io-var b="), stdout: updated, check: wantGroup("G3", "G3|NULL|NULL|NULL")},
		{args: words("group modify G3 --io-var x=1"), stdout: updated, check: wantGroup("G3", `G3|NULL|NULL|{"x": 1}`)},
		// JSON null, which alpenhorn used to store, reads as empty.
		{prepare: execSQL("UPDATE storagegroup SET io_config = 'null' WHERE name = 'G3'"),
			args: words("group modify G3 --io-var y=z"), stdout: updated, check: wantGroup("G3", `G3|NULL|NULL|{"y": "z"}`)},
		// A damaged stored config is in the way only of edits that need it.
		{prepare: execSQL("UPDATE storagegroup SET io_config = '{bad' WHERE name = 'G3'"),
			args: words("group modify G3 --notes n"), stdout: updated, check: wantGroup("G3", "G3|NULL|n|{bad")},
		{args: words("group modify G3 --io-var y=z"), code: 1, stderr: "Error: Invalid I/O config in database: {bad.\n"},
		{args: words("group modify G3 --io-config {}"), stdout: updated, check: wantGroup("G3", "G3|NULL|n|NULL")},
		{args: words("-q group modify G3 --notes quiet"), check: wantGroup("G3", "G3|NULL|quiet|NULL")},
		{args: words("group modify nope"), code: 1, stderr: "Error: Storage group \"nope\" does not exist.\n"},
		{args: words("group modify G1 --io-config [1]"), code: 1, stderr: "Error: Argument to --io-config must be a JSON object literal.\n"},
		{args: words("group modify G1 --io-config {,}"), code: 1, stderr: "Error: Unable to parse --io-config value as JSON.\n"},
		{args: words("group modify G1 --io-var a"), code: 1, stderr: "Error: Missing equals sign in \"--io-var=a\"\n"},
		{args: words("group modify G1 -i " + strings.Repeat("c", 256)), code: 1, stderr: "Error: I/O class too long: 256 characters (at most 255)\n"},
		{args: words("group modify"), code: 2, stderr: usageText("group modify", "GROUP", "Missing argument 'GROUP'.")},
	})
}
