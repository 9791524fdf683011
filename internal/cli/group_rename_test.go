package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestGroupRename(t *testing.T) {
	names := func(want string) func(t *testing.T, d *db.DB) { return wantRows(want, "storagegroup", "name", "1 = 1") }
	runIndexSteps(t, true, []indexStep{
		{args: words("group rename G1 Gx"), stdout: "Storage group \"G1\" renamed to \"Gx\"\n", check: names("Gx\nG2\nG3")},
		{args: words("group rename nope nope"), stdout: "No change.\n"},
		{args: words("group rename Gx G2"), code: 1, stderr: "Error: Storage group \"G2\" already exists.\n"},
		{args: words("group rename nope g3"), code: 1, stderr: "Error: Storage group \"g3\" already exists.\n"},
		{args: words("group rename nope G9"), code: 1, stderr: "Error: No such storage group: nope.\n"},
		{args: words("group rename Gx " + strings.Repeat("g", 65)), code: 1, stderr: "Error: group name too long: 65 characters (at most 64)\n"},
		{args: words("-q group rename gx G1"), check: names("G1\nG2\nG3")},
		{args: words("group rename"), code: 2, stderr: usageText("group rename", "GROUP NEW_NAME", "Missing argument 'GROUP'.")},
	})
}
