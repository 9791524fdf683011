package cli

import "testing"

func TestAcqShow(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		{args: words("acq show 2025/01/01"), stdout: `Acquisition: 2025/01/01
 File Count: 3
 Total Size: 2.862 MiB
`},
		// A file of unknown size does not count towards the total.
		{args: words("acq show acq2"), stdout: `Acquisition: acq2
 File Count: 3
 Total Size: 4.657 GiB
`},
		{args: words("acq show 2025/01/01 --show-nodes"), stdout: `Acquisition: 2025/01/01
 File Count: 3
 Total Size: 2.862 MiB

Node breakdown:

Node      Count  Size
------  -------  ---------
N1            2  1.051 kiB
N1b           1  2.861 MiB
T1            1  1.000 kiB
`},
		{args: words("acq show 2025/01/01 --show-groups"), stdout: `Acquisition: 2025/01/01
 File Count: 3
 Total Size: 2.862 MiB

Group breakdown:

Group      Count  Size
-------  -------  ---------
G1             3  2.862 MiB
G2             1  1.000 kiB
`},
		// The empty rows make Count a text column; the output ends with
		// the last one, an empty line.
		{args: words("acq show 2025/01/01 --show-groups --show-nodes"), stdout: `Acquisition: 2025/01/01
 File Count: 3
 Total Size: 2.862 MiB

Group/Node breakdown:

Group/Node    Count    Size
------------  -------  ---------
G1            3        2.862 MiB
-- N1         2        1.051 kiB
-- N1b        1        2.861 MiB

G2            1        1.000 kiB
-- T1         1        1.000 kiB

`},
		{args: words("acq show acq2 --show-nodes"), stdout: `Acquisition: acq2
 File Count: 3
 Total Size: 4.657 GiB

Node breakdown:

No nodes with data
`},
		{args: words("acq show acq2 --show-groups"), stdout: `Acquisition: acq2
 File Count: 3
 Total Size: 4.657 GiB

Group breakdown:

No nodes with data
`},
		// alpenhorn crashes here; an empty acquisition is shown as such.
		{args: words("acq show emptyacq --show-nodes --show-groups"), stdout: `Acquisition: emptyacq
 File Count: 0
 Total Size: -

Group/Node breakdown:

No nodes with data
`},
		{args: words("-q acq show 2025/01/01 --show-nodes")},
		{args: words("acq show nope"), code: 1, stderr: "Error: No such Acquisition: nope\n"},
		{args: words("acq show"), code: 2, stderr: usageText("acq show", "ACQ", "Missing argument 'ACQ'.")},
	})
}
