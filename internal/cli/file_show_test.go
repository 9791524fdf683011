package cli

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestFileShow(t *testing.T) {
	f1 := []string{
		"       Name: f1.dat",
		"Acquisition: 2025/01/01",
		"       Path: 2025/01/01/f1.dat",
		"",
		"       Size: 1.000 kiB",
		"   MD5 Hash: 0123456789abcdef0123456789abcdef",
		" Registered: Fri Feb 21 23:07:08 2025 UTC",
	}
	with := func(head []string, more ...string) string {
		return fileLines(append(append([]string{}, head...), more...)...)
	}
	runFileReadOnly(t, []fileCase{
		{name: "plain", args: []string{"file", "show", "2025/01/01/f1.dat"}, stdout: with(f1)},
		{name: "all", args: []string{"file", "show", "2025//01/01/f1.dat/", "-a"}, stdout: with(f1,
			"",
			"Group status",
			"",
			"Group    State    Node",
			"-------  -------  ------",
			"G1       Present  N1",
			"G2       Present  N2",
			"",
			"Node status:",
			"",
			"Node    State    Size on Node",
			"------  -------  --------------",
			"N1      Healthy  4.000 kiB",
			"N2      Healthy  4.000 kiB",
			"",
			"Transfer requests:",
			"",
			"Source Node    Dest. Group    Status    Request Time                  Start Time                    Completion Time",
			"-------------  -------------  --------  ----------------------------  ----------------------------  ----------------------------",
			"N1             G3             Complete  Mon May 12 01:00:00 2025 UTC  Mon May 12 01:00:05 2025 UTC  Mon May 12 01:00:09 2025 UTC",
		)},
		{name: "unknown size and hash", args: []string{"file", "show", "acq2/h1.dat", "--transfers", "--nodes", "--groups"}, stdout: fileLines(
			"       Name: h1.dat",
			"Acquisition: acq2",
			"       Path: acq2/h1.dat",
			"",
			"       Size: unknown",
			"   MD5 Hash: -",
			" Registered: Fri May  9 04:05:06 2025 UTC",
			"",
			"Group status",
			"",
			"Group    State    Node",
			"-------  -------  ------",
			"G1       Absent   -",
			"",
			"Node status:",
			"",
			"Node    State    Size on Node",
			"------  -------  --------------",
			"N1      Missing  -",
			"",
			"Transfer requests:",
			"",
			"Source Node    Dest. Group    Status     Request Time                  Start Time    Completion Time",
			"-------------  -------------  ---------  ----------------------------  ------------  -----------------",
			"N1             G2             Cancelled  Sun May 11 22:23:12 2025 UTC  -             -",
			"N1             G2             Pending    Sun May 11 22:24:43 2025 UTC  -             -",
		)},
		{name: "corrupt", args: []string{"file", "show", "acq2/g1.dat", "--groups", "--nodes"}, stdout: fileLines(
			"       Name: g1.dat",
			"Acquisition: acq2",
			"       Path: acq2/g1.dat",
			"",
			"       Size: 2.000 kiB",
			"   MD5 Hash: d41d8cd98f00b204e9800998ecf8427e",
			" Registered: Thu May  8 01:02:03 2025 UTC",
			"",
			"Group status",
			"",
			"Group    State    Node",
			"-------  -------  ------",
			"G1       Corrupt  N1",
			"G2       Present  N2",
			"",
			"Node status:",
			"",
			"Node    State    Size on Node",
			"------  -------  --------------",
			"N1      Corrupt  -",
			"N2      Healthy  2.000 kiB",
		)},
		// A present copy outranks a removed one in the same group.
		{name: "removable and removed", args: []string{"file", "show", "2025/01/01/sub/f2.dat", "--groups", "--nodes"}, stdout: fileLines(
			"       Name: sub/f2.dat",
			"Acquisition: 2025/01/01",
			"       Path: 2025/01/01/sub/f2.dat",
			"",
			"       Size: 52 B",
			"   MD5 Hash: 4f2a66c1ff5eb90a5013522d53ea2e91",
			" Registered: Thu Mar  6 22:54:37 2025 UTC",
			"",
			"Group status",
			"",
			"Group    State    Node",
			"-------  -------  ------",
			"G1       Present  N1",
			"",
			"Node status:",
			"",
			"Node    State      Size on Node",
			"------  ---------  --------------",
			"N1      Removable  52 B",
			"N1b     Removed    -",
		)},
		{name: "suspect", args: []string{"file", "show", "2025/01/01/f3.dat", "--nodes", "--groups"}, stdout: fileLines(
			"       Name: f3.dat",
			"Acquisition: 2025/01/01",
			"       Path: 2025/01/01/f3.dat",
			"",
			"       Size: 2.861 MiB",
			"   MD5 Hash: 4c79018e00ddef11af0b9cfc14dd3261",
			" Registered: Wed May  7 21:00:55 2025 UTC",
			"",
			"Group status",
			"",
			"Group    State    Node",
			"-------  -------  ------",
			"G1       Suspect  N1",
			"",
			"Node status:",
			"",
			"Node    State    Size on Node",
			"------  -------  --------------",
			"N1      Suspect  2.861 MiB",
		)},
		{name: "released", args: []string{"file", "show", "2025/01/01-b/a.dat", "--nodes", "--transfers"}, stdout: fileLines(
			"       Name: a.dat",
			"Acquisition: 2025/01/01-b",
			"       Path: 2025/01/01-b/a.dat",
			"",
			"       Size: 12 B",
			"   MD5 Hash: 00000000000000000000000000000001",
			" Registered: Wed May  7 21:00:56 2025 UTC",
			"",
			"Node status:",
			"",
			"Node    State     Size on Node",
			"------  --------  --------------",
			"N1      Healthy   -",
			"N3      Released  12 B",
			"",
			"Transfer requests:",
			"",
			"No transfers",
		)},
		{name: "quiet", args: []string{"-q", "file", "show", "acq2/g1.dat", "-a"}},
		{name: "unknown file", args: []string{"file", "show", "acq2/nope.dat"},
			code: 1, stderr: "Error: No such file: acq2/nope.dat\n"},
		{name: "absolute path", args: []string{"file", "show", "/acq2/g1.dat"},
			code: 1, stderr: "Error: No such file: /acq2/g1.dat\n"},
		{name: "no acquisition", args: []string{"file", "show", "g1.dat"},
			code: 1, stderr: "Error: No such file: g1.dat\n"},
		{name: "no file", args: []string{"file", "show"},
			code: 2, stderr: fileUsage("file show FILE", "Missing argument 'FILE'.")},
	})
}

func TestFileShowNoCopies(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		newFileFixture(t, url)
		if r := run(t, url, "", "file", "create", "lonely.dat", "acq2", "--md5", "4F2A66C1FF5EB90A5013522D53EA2E91", "--size", "0"); r.code != 0 {
			t.Fatalf("file create: %+v", r)
		}
		r := run(t, url, "", "file", "show", "acq2/lonely.dat", "--all")
		want := fileLines(
			"       Name: lonely.dat",
			"Acquisition: acq2",
			"       Path: acq2/lonely.dat",
			"",
			"       Size: 0 B",
			"   MD5 Hash: 4f2a66c1ff5eb90a5013522d53ea2e91",
		)
		tail := fileLines(
			"",
			"Group status",
			"",
			"No extant copies.",
			"",
			"Node status:",
			"",
			"No extant copies.",
			"",
			"Transfer requests:",
			"",
			"No transfers",
		)
		// The registration time is the time of the test; only its place is checked.
		if r.code != 0 || len(r.stdout) < len(want)+len(tail) || r.stdout[:len(want)] != want || r.stdout[len(r.stdout)-len(tail):] != tail {
			t.Errorf("exit %d\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
}
