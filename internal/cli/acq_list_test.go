package cli

import "testing"

func TestAcqList(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("acq list"), stdout: `Name          Files
----------  -------
2025/01/01        3
acq2              3
emptyacq          0
`},
		// With a filter only present copies count (removable ones too),
		// and only acquisitions having some are listed.
		{args: words("acq list --node N1"), stdout: `Name          Files
----------  -------
2025/01/01        2
`},
		{args: words("acq list --group G1"), stdout: `Name          Files
----------  -------
2025/01/01        3
`},
		{args: words("acq list --group G3"), stdout: "No acquisitions\n"},
		{args: words("-q acq list")},
		{args: words("acq list --node X"), code: 1, stderr: "Error: No such node: X\n"},
		{args: words("acq list --group X"), code: 1, stderr: "Error: No such group: X\n"},
		{args: words("acq list --node N1 --group G1"), code: 2, stderr: usageText("acq list", "", "cannot use both --node and --group")},
		{args: words("acq list extra"), code: 2, stderr: usageText("acq list", "", "Got unexpected extra argument (extra)")},
		{args: words("acq list --node"), code: 2, stderr: "Error: Option '--node' requires an argument.\n"},
	})
}

func TestAcqListEmpty(t *testing.T) {
	runIndexSteps(t, false, []indexStep{
		{args: words("acq list"), stdout: "No acquisitions\n"},
	})
}
