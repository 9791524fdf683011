package cli

import "testing"

func TestGroupList(t *testing.T) {
	runIndexSteps(t, false, []indexStep{
		{args: words("group list"), stdout: "No storage groups found.\n"},
	})
	runIndexSteps(t, true, []indexStep{
		{args: words("group list"), stdout: `Name    I/O Class    Notes
------  -----------  -----------
G1      Default      first group
G2      Transport
G3      Default
`},
		{args: words("-q group list")},
		{args: words("group list G1"), code: 2, stderr: usageText("group list", "", "Got unexpected extra argument (G1)")},
	})
}
