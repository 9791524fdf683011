package cli

import "testing"

func TestNodeDeactivate(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("node deactivate N1"), stdout: "No change: node \"N1\" already inactive.\n"},
		{args: words("node deactivate N1b"), stdout: "Storage node \"N1b\" deactivated.\n",
			check: wantRows("0", "storagenode", "active", "name = 'N1b'")},
		{args: words("-q node deactivate N1b")},
		{args: words("node deactivate nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("node deactivate N1 --host x"), code: 2, stderr: usageText("node deactivate", "NODE", "No such option: --host")},
		{args: words("node deactivate N1 N1b"), code: 2, stderr: usageText("node deactivate", "NODE", "Got unexpected extra argument (N1b)")},
	})
}
