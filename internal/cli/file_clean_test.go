package cli

import "testing"

func TestFileClean(t *testing.T) {
	wants := func(path, node, want string) func(*testing.T, *fileFixture) {
		return func(t *testing.T, f *fileFixture) {
			t.Helper()
			if got := f.copyState(t, path, node); got != want {
				t.Errorf("%s on %s: %q, want %q", path, node, got, want)
			}
		}
	}
	runFileCases(t, []fileCase{
		{name: "neither cancel nor node", args: []string{"file", "clean", "acq2/g1.dat"},
			code: 2, stderr: fileUsage("file clean FILE", "missing --cancel or --node")},
		{name: "empty node", args: []string{"file", "clean", "acq2/g1.dat", "--node="},
			code: 2, stderr: fileUsage("file clean FILE", "missing --cancel or --node")},
		{name: "cancel and now", args: []string{"file", "clean", "acq2/g1.dat", "-x", "-n"},
			code: 2, stderr: fileUsage("file clean FILE", "cannot use both --cancel and --now")},
		{name: "no file argument", args: []string{"file", "clean", "--node", "N1"},
			code: 2, stderr: fileUsage("file clean FILE", "Missing argument 'FILE'.")},
		{name: "unknown node", args: []string{"file", "clean", "acq2/g1.dat", "--node", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown file", args: []string{"file", "clean", "acq2//nope.dat", "--node", "N1"},
			code: 1, stderr: "Error: No such file: acq2/nope.dat\n"},
		{name: "mark", args: []string{"file", "clean", "acq2/g1.dat", "--node", "n1"},
			stdout: "Marked \"acq2/g1.dat\" for discretionary cleaning on Node \"N1\".\n",
			check:  wants("acq2/g1.dat", "N1", "X/M")},
		{name: "release now", args: []string{"file", "clean", "--now", "--node=N1", "2025/01/01/./sub/f2.dat"},
			stdout: "Released \"2025/01/01/./sub/f2.dat\" for immediate removal on Node \"N1\".\n",
			check:  wants("2025/01/01/sub/f2.dat", "N1", "Y/N")},
		{name: "mark again is no change", args: []string{"file", "clean", "2025/01/01/sub/f2.dat", "--node", "N1"},
			stdout: "No change.\n"},
		{name: "no copy on node", args: []string{"file", "clean", "2025/01/01/f1.dat", "--node", "N3", "--now"},
			stdout: "No change.\n"},
		{name: "archive node refused", args: []string{"file", "clean", "2025/01/01/f1.dat", "--node", "N2"},
			stdout: "Not done: Node \"N2\" is an archive node.\n"},
		{name: "archive node forced", args: []string{"file", "clean", "2025/01/01/f1.dat", "--node", "N2", "--archive-ok", "-n"},
			stdout: "Node \"N2\" is an archive node: forcing clean.\nReleased \"2025/01/01/f1.dat\" for immediate removal on Node \"N2\".\n",
			check:  wants("2025/01/01/f1.dat", "N2", "Y/N")},
		{name: "archive node forced, unknown file", args: []string{"file", "clean", "acq2/nope", "--node", "N2", "--archive-ok"},
			code: 1, stdout: "Node \"N2\" is an archive node: forcing clean.\n", stderr: "Error: No such file: acq2/nope\n"},
		{name: "cancel on archive node needs no override", args: []string{"file", "clean", "acq2/g1.dat", "--node", "N2", "--cancel"},
			stdout: "No change.\n"},
		{name: "cancel on one node", args: []string{"file", "clean", "2025/01/01-b/a.dat", "--node", "N3", "--cancel"},
			stdout: "Cancelled cleaning for \"2025/01/01-b/a.dat\" on Node \"N3\".\n",
			check:  wants("2025/01/01-b/a.dat", "N3", "Y/Y")},
		{name: "cancel everywhere", args: []string{"file", "clean", "2025/01/01/sub/f2.dat", "-x"},
			stdout: "Cancelled 2 cleaning requests for \"2025/01/01/sub/f2.dat\".\n",
			check: func(t *testing.T, f *fileFixture) {
				wants("2025/01/01/sub/f2.dat", "N1", "Y/Y")(t, f)
				wants("2025/01/01/sub/f2.dat", "N1b", "N/Y")(t, f)
			}},
		{name: "cancel one", args: []string{"file", "clean", "2025/01/01-b/a.dat", "-x"},
			stdout: "Cancelled 1 cleaning request for \"2025/01/01-b/a.dat\".\n",
			check:  wants("2025/01/01-b/a.dat", "N3", "Y/Y")},
		// Copies already wanted are not counted, on SQLite as on MySQL.
		{name: "cancel nothing", args: []string{"file", "clean", "acq2/g1.dat", "--cancel"},
			stdout: "No change.\n"},
		{name: "quiet", args: []string{"-q", "file", "clean", "acq2/g1.dat", "--node", "N1"},
			check: wants("acq2/g1.dat", "N1", "X/M")},
	})
}
