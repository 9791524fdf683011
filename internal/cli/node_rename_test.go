package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestNodeRename(t *testing.T) {
	names := func(want string) func(t *testing.T, d *db.DB) { return wantRows(want, "storagenode", "name", "1 = 1") }
	runIndexSteps(t, true, []indexStep{
		{args: words("node rename N1 Nx"), stdout: "Storage node \"N1\" renamed to \"Nx\".\n", check: names("Nx\nN1b\nT1")},
		{args: words("node rename nope nope"), stdout: "No change.\n"},
		{args: words("node rename Nx T1"), code: 1, stderr: "Error: Storage node \"T1\" already exists.\n"},
		// The clash is judged before the node is looked up, and names
		// compare as MySQL's default collation does.
		{args: words("node rename nope t1"), code: 1, stderr: "Error: Storage node \"t1\" already exists.\n"},
		{args: words("node rename nope N9"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node rename Nx " + strings.Repeat("n", 65)), code: 1, stderr: "Error: node name too long: 65 characters (at most 64)\n"},
		{args: words("-q node rename nx N1"), check: names("N1\nN1b\nT1")},
		{args: words("node rename N1"), code: 2, stderr: usageText("node rename", "NODE NEW_NAME", "Missing argument 'NEW_NAME'.")},
	})
}
