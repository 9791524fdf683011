package cli

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestNodeInit(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("node init N1"), stdout: "Requested initialisation of Node \"N1\".\n",
			check: func(t *testing.T, d *db.DB) { wantInitRequests(t, d, "N1", 1) }},
		// Repeats are queued too; the daemon ignores them.
		{args: words("node init n1"), stdout: "Requested initialisation of Node \"n1\".\n",
			check: func(t *testing.T, d *db.DB) { wantInitRequests(t, d, "N1", 2) }},
		{args: words("node init nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node init"), code: 2, stderr: usageText("node init", "NODE", "Missing argument 'NODE'.")},
	})
}
