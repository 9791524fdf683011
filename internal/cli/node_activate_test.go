package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestNodeActivate(t *testing.T) {
	long := strings.Repeat("u", db.MaxUsername+1)
	runIndexSteps(t, true, []indexStep{
		{args: words("node activate N1 --host=h9 --root /mnt --username u --address a"), stdout: "Storage node \"N1\" activated.\n",
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "N1", "G1", "N1|/mnt|h9|u|a|NULL|1|0|0|F|NULL|0|NULL|NULL|NULL|NULL")
			}},
		// An active node keeps its location, whatever was asked.
		{args: words("node activate N1 --host other"), stdout: "No change: node \"N1\" already active.\n"},
		{args: words("node deactivate N1"), stdout: "Storage node \"N1\" deactivated.\n",
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "N1", "G1", "N1|/mnt|h9|u|a|NULL|0|0|0|F|NULL|0|NULL|NULL|NULL|NULL")
			}},
		// Names are matched as MySQL does, and printed as typed.
		{args: []string{"node", "activate", "n1", "--root=", "--address", ""}, stdout: "Storage node \"n1\" activated.\n",
			check: func(t *testing.T, d *db.DB) {
				wantNode(t, d, "N1", "G1", "N1|NULL|h9|u|NULL|NULL|1|0|0|F|NULL|0|NULL|NULL|NULL|NULL")
			}},
		{args: words("node activate nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node activate N1b --username " + long), code: 1, stderr: "Error: username too long: 65 characters (at most 64)\n"},
		{args: words("node activate"), code: 2, stderr: usageText("node activate", "NODE", "Missing argument 'NODE'.")},
		{args: words("node activate N1 --host"), code: 2, stderr: "Error: Option '--host' requires an argument.\n"},
	})
}
