package cli

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// wantActions checks every auto-action edge: source node, target group,
// autosync, autoclean.
func wantActions(want string) func(t *testing.T, d *db.DB) {
	return func(t *testing.T, d *db.DB) {
		t.Helper()
		got := tableRows(t, d, "storagetransferaction",
			"(SELECT name FROM storagenode WHERE storagenode.id = node_from_id), (SELECT name FROM storagegroup WHERE storagegroup.id = group_to_id), autosync, autoclean", "1 = 1")
		if got != want {
			t.Errorf("auto-actions:\n got %s\nwant %s", got, want)
		}
	}
}

func TestNodeAutoclean(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("node autoclean N1 G2"), stdout: "No change\n"},
		{args: words("node autoclean N1 G2 --remove"), stdout: "Auto-clean trigger: Group \"G2\" removed.\n",
			check: wantActions("N1|G2|1|0\nN1b|G2|0|0\nT1|G1|0|1")},
		{args: words("node autoclean N1 G2 --remove"), stdout: "No change\n"},
		// The group's name is printed as stored.
		{args: words("node autoclean n1b g2"), stdout: "Auto-clean trigger: Group \"G2\" added\n",
			check: wantActions("N1|G2|1|0\nN1b|G2|0|1\nT1|G1|0|1")},
		{args: words("node autoclean N1 G3"), stdout: "Auto-clean trigger: Group \"G3\" added\n",
			check: wantActions("N1|G2|1|0\nN1b|G2|0|1\nT1|G1|0|1\nN1|G3|0|1")},
		// No edge is made just to say "off".
		{args: words("node autoclean T1 G3 --remove"), stdout: "No change\n"},
		{args: words("-q node autoclean T1 G1 --remove"), check: wantActions("N1|G2|1|0\nN1b|G2|0|1\nT1|G1|0|0\nN1|G3|0|1")},
		{args: words("node autoclean n1 g1"), code: 1, stderr: "Error: can't enable autoclean: Node \"n1\" is in group \"g1\"\n"},
		{args: words("node autoclean N1 G1 --remove"), stdout: "No change\n"},
		{args: words("node autoclean nope nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node autoclean N1 nope"), code: 1, stderr: "Error: no such group: nope\n"},
		{args: words("node autoclean N1"), code: 2, stderr: usageText("node autoclean", "NODE GROUP", "Missing argument 'GROUP'.")},
	})
}
