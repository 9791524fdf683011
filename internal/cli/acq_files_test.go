package cli

import "testing"

func TestAcqFiles(t *testing.T) {
	runIndexSteps(t, true, []indexStep{
		// The hash is shown as stored, upper case included; NULLs are "-"
		// for sizes and empty for hashes.
		{args: words("acq files acq2"), stdout: `Name          Size       MD5
------------  ---------  --------------------------------
g1.dat        4.657 GiB  0123456789ABCDEF0123456789ABCDEF
fromfile.txt  6 B        b1946ac92492d2347c6235b4d2611184
nosize.dat    -
`},
		{args: words("acq files 2025/01/01"), stdout: `Name        Size       MD5
----------  ---------  --------------------------------
f1.dat      1.000 kiB  0123456789abcdef0123456789abcdef
sub/f2.dat  52 B       4f2a66c1ff5eb90a5013522d53ea2e91
f3.dat      2.861 MiB  4c79018e00ddef11af0b9cfc14dd3261
`},
		{args: words("acq files emptyacq"), stdout: "No files.\n"},
		{args: words("acq files acq2 --node N1"), stdout: `Name    Size       Node State    Size on Node    MD5
------  ---------  ------------  --------------  --------------------------------
g1.dat  4.657 GiB  Corrupt       4.657 GiB       0123456789ABCDEF0123456789ABCDEF
`},
		{args: words("acq files acq2 --node N1 --show-removed"), stdout: `Name          Size       Node State    Size on Node    MD5
------------  ---------  ------------  --------------  --------------------------------
g1.dat        4.657 GiB  Corrupt       4.657 GiB       0123456789ABCDEF0123456789ABCDEF
fromfile.txt  6 B        Removed       -               b1946ac92492d2347c6235b4d2611184
`},
		// Missing copies are always listed.
		{args: words("acq files acq2 --node N1b"), stdout: `Name        Size       Node State    Size on Node    MD5
----------  ---------  ------------  --------------  --------------------------------
g1.dat      4.657 GiB  Suspect       4.657 GiB       0123456789ABCDEF0123456789ABCDEF
nosize.dat  -          Missing       -
`},
		{args: words("acq files emptyacq --node N1"), stdout: "No files.\n"},
		// A suspect copy outranks a corrupt one, and names its node.
		{args: words("acq files acq2 --group G1"), stdout: `Name    Size       Group State    Node    MD5
------  ---------  -------------  ------  --------------------------------
g1.dat  4.657 GiB  Needs Check    N1b     0123456789ABCDEF0123456789ABCDEF
`},
		{args: words("acq files acq2 --group G1 --show-removed"), stdout: `Name          Size       Group State    Node    MD5
------------  ---------  -------------  ------  --------------------------------
g1.dat        4.657 GiB  Needs Check    N1b     0123456789ABCDEF0123456789ABCDEF
fromfile.txt  6 B        Removed        -       b1946ac92492d2347c6235b4d2611184
nosize.dat    -          Removed        -
`},
		{args: words("acq files 2025/01/01 --group G1"), stdout: `Name        Size       Group State    Node    MD5
----------  ---------  -------------  ------  --------------------------------
f1.dat      1.000 kiB  Present        N1      0123456789abcdef0123456789abcdef
sub/f2.dat  52 B       Present        N1      4f2a66c1ff5eb90a5013522d53ea2e91
f3.dat      2.861 MiB  Present        N1b     4c79018e00ddef11af0b9cfc14dd3261
`},
		{args: words("acq files 2025/01/01 --group G3"), stdout: "No files.\n"},
		{args: words("-q acq files acq2")},
		{args: words("acq files nope"), code: 1, stderr: "Error: No such Acquisition: nope\n"},
		{args: words("acq files nope --node nope"), code: 1, stderr: "Error: No such Acquisition: nope\n"},
		{args: words("acq files acq2 --node nope"), code: 1, stderr: "Error: No such Storage Node: nope\n"},
		{args: words("acq files acq2 --group nope"), code: 1, stderr: "Error: No such Storage Group: nope\n"},
		{args: words("acq files nope --node N1 --group G1"), code: 2, stderr: usageText("acq files", "ACQ", "cannot use both --node and --group")},
		{args: words("acq files"), code: 2, stderr: usageText("acq files", "ACQ", "Missing argument 'ACQ'.")},
	})
}
