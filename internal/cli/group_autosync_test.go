package cli

import "testing"

func TestGroupAutosync(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("group autosync G2 N1"), stdout: "No change\n"},
		{args: words("group autosync G2 N1 --remove"), stdout: "Auto-sync from \"N1\" stopped.\n",
			check: wantActions("N1|G2|0|1\nN1b|G2|0|0\nT1|G1|0|1")},
		{args: words("group autosync G2 N1 --remove"), stdout: "No change\n"},
		// The node's name is printed as stored.
		{args: words("group autosync g2 n1b"), stdout: "Auto-sync from \"N1b\" started\n",
			check: wantActions("N1|G2|0|1\nN1b|G2|1|0\nT1|G1|0|1")},
		{args: words("group autosync G1 T1"), stdout: "Auto-sync from \"T1\" started\n",
			check: wantActions("N1|G2|0|1\nN1b|G2|1|0\nT1|G1|1|1")},
		{args: words("group autosync G3 T1 --remove"), stdout: "No change\n"},
		{args: words("-q group autosync G3 T1"), check: wantActions("N1|G2|0|1\nN1b|G2|1|0\nT1|G1|1|1\nT1|G3|1|0")},
		{args: words("group autosync g1 n1"), code: 1, stderr: "Error: can't enable autosync: Node \"n1\" is in group \"g1\"\n"},
		{args: words("group autosync G1 N1 --remove"), stdout: "No change\n"},
		{args: words("group autosync nope nope"), code: 1, stderr: "Error: no such group: nope\n"},
		{args: words("group autosync G1 nope"), code: 1, stderr: "Error: no such node: nope\n"},
		{args: words("group autosync G1 N1 --remove=yes"), code: 2, stderr: "Error: Option '--remove' does not take a value.\n"},
		{args: words("group autosync"), code: 2, stderr: usageText("group autosync", "GROUP NODE", "Missing argument 'GROUP'.")},
	})
}
