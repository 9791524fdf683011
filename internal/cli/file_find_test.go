package cli

import (
	"strings"
	"testing"
)

// fileLines joins output lines, each ended by a newline.
func fileLines(l ...string) string { return strings.Join(l, "\n") + "\n" }

func TestFileFind(t *testing.T) {
	runFileReadOnly(t, []fileCase{
		{name: "healthy by default", args: []string{"file", "find"}, stdout: fileLines(
			"File                   Node    State",
			"---------------------  ------  ---------",
			"2025/01/01/f1.dat      N1      Healthy",
			"2025/01/01/f1.dat      N2      Healthy",
			"2025/01/01/sub/f2.dat  N1      Removable",
			"2025/01/01-b/a.dat     N1      Healthy",
			"acq2/g1.dat            N2      Healthy",
		)},
		// Released and removed copies match no state.
		{name: "every state", args: []string{"file", "find", "--corrupt", "--suspect", "--missing", "--healthy"}, stdout: fileLines(
			"File                   Node    State",
			"---------------------  ------  ---------",
			"2025/01/01/f1.dat      N1      Healthy",
			"2025/01/01/f1.dat      N2      Healthy",
			"2025/01/01/f3.dat      N1      Suspect",
			"2025/01/01/sub/f2.dat  N1      Removable",
			"2025/01/01-b/a.dat     N1      Healthy",
			"acq2/g1.dat            N1      Corrupt",
			"acq2/g1.dat            N2      Healthy",
			"acq2/h1.dat            N1      Missing",
		)},
		{name: "node", args: []string{"file", "find", "--node", "N2", "--node", "n2"}, stdout: fileLines(
			"File               Node    State",
			"-----------------  ------  -------",
			"2025/01/01/f1.dat  N2      Healthy",
			"acq2/g1.dat        N2      Healthy",
		)},
		{name: "group or node", args: []string{"file", "find", "--group", "G1", "--node", "N2", "--corrupt", "--suspect"}, stdout: fileLines(
			"File               Node    State",
			"-----------------  ------  -------",
			"2025/01/01/f3.dat  N1      Suspect",
			"acq2/g1.dat        N1      Corrupt",
		)},
		{name: "acquisition", args: []string{"file", "find", "--acq", "acq2", "--missing", "--acq", "2025/01/01-b"}, stdout: fileLines(
			"File         Node    State",
			"-----------  ------  -------",
			"acq2/h1.dat  N1      Missing",
		)},
		{name: "nothing in group", args: []string{"file", "find", "--group", "G4"}, stdout: "No match.\n"},
		{name: "removed copies are not missing", args: []string{"file", "find", "--node", "N1b", "--missing"}, stdout: "No match.\n"},
		{name: "quiet", args: []string{"-q", "file", "find"}},
		{name: "unknown node", args: []string{"file", "find", "--acq", "nope", "--group", "GX", "--node", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown group", args: []string{"file", "find", "--acq", "nope", "--group", "GX"},
			code: 1, stderr: "Error: no such group: GX\n"},
		{name: "unknown acquisition", args: []string{"file", "find", "--acq", "nope"},
			code: 1, stderr: "Error: No such acquisition: nope\n"},
		{name: "extra argument", args: []string{"file", "find", "acq2/g1.dat"},
			code: 2, stderr: fileUsage("file find", "Got unexpected extra argument (acq2/g1.dat)")},
	})
}
