package cli

import "testing"

func TestFileList(t *testing.T) {
	const (
		f1 = "2025/01/01/f1.dat"
		f3 = "2025/01/01/f3.dat"
		f2 = "2025/01/01/sub/f2.dat"
		a  = "2025/01/01-b/a.dat"
		g1 = "acq2/g1.dat"
		h1 = "acq2/h1.dat"
	)
	// Healthy copies: N1 f1 f2 a; N2 f1 g1; none elsewhere.
	list := func(name string, args ...string) func(paths ...string) fileCase {
		return func(paths ...string) fileCase {
			return fileCase{name: name, args: append([]string{"file", "list"}, args...), stdout: fileLines(paths...)}
		}
	}
	usage := func(msg string) string { return fileUsage("file list", msg) }
	runFileReadOnly(t, []fileCase{
		list("everything")(f1, f3, f2, a, g1, h1),
		list("state flags need a place", "--missing")(f1, f3, f2, a, g1, h1),
		list("acquisitions", "--acq", "acq2", "--acq", "2025/01/01-b")(a, g1, h1),
		list("node", "--node", "N1")(f1, f2, a),
		list("any node", "--node", "N1", "--node", "N2")(f1, f2, a, g1),
		list("all nodes", "--node", "N1", "--node", "N2", "--all")(f1),
		list("node or group", "--node", "N1", "--group", "G2")(f1, f2, a, g1),
		list("group", "--group", "G2")(f1, g1),
		list("all groups", "--group", "G1", "-a", "--group", "G2")(f1),
		list("node states", "--node", "N1", "--corrupt", "--suspect")(f3, g1),
		list("missing", "--node", "N1", "--missing")(h1),
		list("absent", "--absent-node", "N1")(f3, g1, h1),
		list("absent from any", "--absent-node", "N1", "--absent-node", "N2")(f3, f2, a, g1, h1),
		list("absent from all", "--absent-node", "N1", "--absent-node", "N2", "--all")(f3, h1),
		list("absent from group", "--absent-group", "G1")(f3, g1, h1),
		list("absent from node or group", "--absent-group", "G1", "--absent-node", "N2")(f3, f2, a, g1, h1),
		list("absent from node and group", "--absent-group", "G1", "--absent-node", "N2", "--all")(f3, h1),
		// A negative constraint matching nothing is no constraint.
		list("absent from empty node", "--absent-node", "N4")(f1, f3, f2, a, g1, h1),
		list("present or absent", "--node", "N2", "--absent-node", "N1")(f1, f3, g1, h1),
		list("present and absent", "--node", "N2", "--absent-node", "N1", "--all")(g1),
		// An empty positive selection lists nothing at all, not even the
		// empty line of an empty result; the acquisitions are not looked up.
		{name: "empty selection", args: []string{"file", "list", "--node", "N4", "--absent-node", "N2", "--acq", "nope"}},
		{name: "empty result", args: []string{"file", "list", "--node", "N2", "--acq", "2025/01/01-b"}, stdout: "\n"},
		list("syncable", "--from", "N1", "--to", "G2")(f2, a),
		{name: "nothing syncable", args: []string{"file", "list", "--from", "N1", "--to", "G1"}},
		list("syncable and absent", "--from", "N1", "--to", "G3", "--absent-node", "N2")(f2, a),
		// Syncability always narrows the list, even in "any" mode.
		{name: "syncable but not absent", args: []string{"file", "list", "--from", "N1", "--to", "G2", "--absent-node", "N1"}, stdout: "\n"},
		list("syncable and present", "--from", "N2", "--to", "G1", "--node", "N2")(g1),
		{name: "details", args: []string{"file", "list", "--details"}, stdout: fileLines(
			"File                   Size       MD5 Hash                          Registration Time",
			"---------------------  ---------  --------------------------------  ----------------------------",
			"2025/01/01/f1.dat      1.000 kiB  0123456789abcdef0123456789abcdef  Fri Feb 21 23:07:08 2025 UTC",
			"2025/01/01/f3.dat      2.861 MiB  4c79018e00ddef11af0b9cfc14dd3261  Wed May  7 21:00:55 2025 UTC",
			"2025/01/01/sub/f2.dat  52 B       4f2a66c1ff5eb90a5013522d53ea2e91  Thu Mar  6 22:54:37 2025 UTC",
			"2025/01/01-b/a.dat     12 B       00000000000000000000000000000001  Wed May  7 21:00:56 2025 UTC",
			"acq2/g1.dat            2.000 kiB  d41d8cd98f00b204e9800998ecf8427e  Thu May  8 01:02:03 2025 UTC",
			"acq2/h1.dat            -          -                                 Fri May  9 04:05:06 2025 UTC",
		)},
		// A hash of decimal digits makes a numeric column, as in alpenhorn.
		{name: "numeric hash", args: []string{"file", "list", "--details", "--acq", "2025/01/01-b"}, stdout: fileLines(
			"File                Size                            MD5 Hash  Registration Time",
			"------------------  ------  --------------------------------  ----------------------------",
			"2025/01/01-b/a.dat  12 B    00000000000000000000000000000001  Wed May  7 21:00:56 2025 UTC",
		)},
		{name: "node details", args: []string{"file", "list", "--details", "--node", "N1"}, stdout: fileLines(
			"File                   Size       MD5 Hash                          Registration Time             State      Size on Node",
			"---------------------  ---------  --------------------------------  ----------------------------  ---------  --------------",
			"2025/01/01/f1.dat      1.000 kiB  0123456789abcdef0123456789abcdef  Fri Feb 21 23:07:08 2025 UTC  Healthy    4.000 kiB",
			"2025/01/01/sub/f2.dat  52 B       4f2a66c1ff5eb90a5013522d53ea2e91  Thu Mar  6 22:54:37 2025 UTC  Removable  52 B",
			"2025/01/01-b/a.dat     12 B       00000000000000000000000000000001  Wed May  7 21:00:56 2025 UTC  Healthy    -",
		)},
		// The state shown is always that of the copy on the node itself.
		{name: "node details with absent files", args: []string{"file", "list", "--details", "--node", "N2", "--absent-node", "N1"}, stdout: fileLines(
			"File               Size       MD5 Hash                          Registration Time             State    Size on Node",
			"-----------------  ---------  --------------------------------  ----------------------------  -------  --------------",
			"2025/01/01/f1.dat  1.000 kiB  0123456789abcdef0123456789abcdef  Fri Feb 21 23:07:08 2025 UTC  Healthy  4.000 kiB",
			"2025/01/01/f3.dat  2.861 MiB  4c79018e00ddef11af0b9cfc14dd3261  Wed May  7 21:00:55 2025 UTC  Absent   -",
			"acq2/g1.dat        2.000 kiB  d41d8cd98f00b204e9800998ecf8427e  Thu May  8 01:02:03 2025 UTC  Healthy  2.000 kiB",
			"acq2/h1.dat        -          -                                 Fri May  9 04:05:06 2025 UTC  Absent   -",
		)},
		{name: "group details", args: []string{"file", "list", "--details", "--group", "G1", "--corrupt", "--healthy", "--missing"}, stdout: fileLines(
			"File                   Size       MD5 Hash                          Registration Time             State    Node",
			"---------------------  ---------  --------------------------------  ----------------------------  -------  ------",
			"2025/01/01/f1.dat      1.000 kiB  0123456789abcdef0123456789abcdef  Fri Feb 21 23:07:08 2025 UTC  Present  N1",
			"2025/01/01/sub/f2.dat  52 B       4f2a66c1ff5eb90a5013522d53ea2e91  Thu Mar  6 22:54:37 2025 UTC  Present  N1",
			"2025/01/01-b/a.dat     12 B       00000000000000000000000000000001  Wed May  7 21:00:56 2025 UTC  Present  N1",
			"acq2/g1.dat            2.000 kiB  d41d8cd98f00b204e9800998ecf8427e  Thu May  8 01:02:03 2025 UTC  Corrupt  N1",
			"acq2/h1.dat            -          -                                 Fri May  9 04:05:06 2025 UTC  Absent   -",
		)},
		// No per-copy columns with two places, or with a sync limit.
		{name: "details of two nodes", args: []string{"file", "list", "--details", "--node", "N2", "--group", "G2"}, stdout: fileLines(
			"File               Size       MD5 Hash                          Registration Time",
			"-----------------  ---------  --------------------------------  ----------------------------",
			"2025/01/01/f1.dat  1.000 kiB  0123456789abcdef0123456789abcdef  Fri Feb 21 23:07:08 2025 UTC",
			"acq2/g1.dat        2.000 kiB  d41d8cd98f00b204e9800998ecf8427e  Thu May  8 01:02:03 2025 UTC",
		)},
		{name: "details of nothing", args: []string{"file", "list", "--details", "--node", "N2", "--acq", "2025/01/01-b"}},
		{name: "quiet", args: []string{"-q", "file", "list", "--node", "N2", "--acq", "2025/01/01-b"}},
		{name: "from without to", args: []string{"file", "list", "--from", "N1"},
			code: 2, stderr: usage("--from and --to must be used together")},
		{name: "to without from", args: []string{"file", "list", "--to", "G1", "--from="},
			code: 2, stderr: usage("--from and --to must be used together")},
		{name: "from with state", args: []string{"file", "list", "--from", "N1", "--to", "G1", "--suspect", "--healthy", "--missing"},
			code: 2, stderr: usage("cannot use both --from and --missing")},
		{name: "all without location", args: []string{"file", "list", "--all", "--acq", "acq2"},
			code: 2, stderr: usage("--all cannot be used without a location constraint (one or more of --absent-group, --absent-node, --group, --node)")},
		{name: "unknown absent node", args: []string{"file", "list", "--node", "NY", "--absent-node", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown absent group", args: []string{"file", "list", "--node", "NY", "--absent-group", "GX"},
			code: 1, stderr: "Error: no such group: GX\n"},
		{name: "unknown node", args: []string{"file", "list", "--group", "GY", "--node", "NY", "--from", "NZ", "--to", "GZ"},
			code: 1, stderr: "Error: no such node: NY\n"},
		{name: "unknown group", args: []string{"file", "list", "--group", "GY", "--from", "NZ", "--to", "GZ"},
			code: 1, stderr: "Error: no such group: GY\n"},
		{name: "unknown source", args: []string{"file", "list", "--from", "NZ", "--to", "GZ"},
			code: 1, stderr: "Error: no such node: NZ\n"},
		{name: "unknown destination", args: []string{"file", "list", "--from", "N1", "--to", "GZ"},
			code: 1, stderr: "Error: no such group: GZ\n"},
		{name: "unknown acquisition", args: []string{"file", "list", "--node", "N1", "--acq", "nope"},
			code: 1, stderr: "Error: No such acquisition: nope\n"},
	})
}
