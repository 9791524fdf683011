package cli

import (
	"strings"
	"testing"
)

// wantCopies returns a check that node's copies are these.
func wantCopies(node string, lines ...string) func(t *testing.T, x *bulkIndex) {
	return func(t *testing.T, x *bulkIndex) {
		t.Helper()
		if got, want := x.copies(t, node), strings.Join(lines, "\n"); got != want {
			t.Errorf("copies on %s:\n%s\nwant:\n%s", node, got, want)
		}
	}
}

func TestNodeClean(t *testing.T) {
	const usage = "node clean NODE"
	list := writeList(t, "/data1/2025/01/01/sub/f2.dat")
	runBulkCases(t, []bulkCase{
		{name: "mark", args: []string{"node", "clean", "N1", "--check"}, code: ExitWorkToDo,
			stdout: "Would mark 2 files (1.051 kiB) for deferred cleaning.\n"},
		{name: "release", args: []string{"node", "clean", "N1", "-c", "--now"}, code: ExitWorkToDo,
			stdout: "Would release 3 files (3.051 kiB):\n  2 present files (1.051 kiB)\n  1 marked file (2.000 kiB)\n" +
				"Warning: 3 files have too few archive copies (2 needed) to be deleted; they will stay on N1.\n"},
		{name: "release including bad copies", args: []string{"node", "clean", "N1", "-c", "-n", "--include-bad"}, code: ExitWorkToDo,
			stdout: "Would release 5 files (3.148 kiB):\n  4 present files (1.148 kiB)\n  1 marked file (2.000 kiB)\n" +
				"Warning: 5 files have too few archive copies (2 needed) to be deleted; they will stay on N1.\n"},
		{name: "cancel", args: []string{"node", "clean", "N1", "-c", "--cancel"}, code: ExitWorkToDo,
			stdout: "Would cancel 2 files (6.000 kiB) for cleaning:\n  1 marked file (2.000 kiB)\n  1 released file (4.000 kiB)\n"},
		{name: "size reached", args: []string{"node", "clean", "N1", "-c", "-s", "0.000001"}, code: ExitWorkToDo,
			stdout: "Would mark 2 files (1.051 kiB) for deferred cleaning.\n"},
		{name: "size counts copies already cleaned", args: []string{"node", "clean", "N1", "-c", "--size=0.000004"}, code: ExitWorkToDo,
			stdout: "Would mark 2 files (1.051 kiB) for deferred cleaning.\n2 files (6.000 kiB) already contributing to size constraint.\n"},
		{name: "size release", args: []string{"node", "clean", "N1", "-c", "--now", "-s0.000004"}, code: ExitWorkToDo,
			stdout: "Would release 3 files (3.051 kiB):\n1 file (4.000 kiB) already contributing to size constraint.\n" +
				"  2 present files (1.051 kiB)\n  1 marked file (2.000 kiB)\nWarning: 3 files have too few archive copies (2 needed) to be deleted; they will stay on N1.\n"},
		{name: "size already satisfied", args: []string{"node", "clean", "N1", "-c", "--acq", "acq2", "-s", "0.000001"},
			stdout: "No files to clean (size constraint already satisfied).\n"},
		{name: "size without limit", args: []string{"node", "clean", "N1", "-c", "--now", "--size", "inf"}, code: ExitWorkToDo,
			stdout: "Would release 3 files (3.051 kiB):\n1 file (4.000 kiB) already contributing to size constraint.\n" +
				"  2 present files (1.051 kiB)\n  1 marked file (2.000 kiB)\nWarning: 3 files have too few archive copies (2 needed) to be deleted; they will stay on N1.\n"},
		{name: "archive node", args: []string{"node", "clean", "A1", "-c"}, code: 1,
			stderr: "Error: Cannot clean archive node \"A1\".\n"},
		{name: "archive node allowed", args: []string{"node", "clean", "a1", "-c", "--archive-ok"}, code: ExitWorkToDo,
			stdout: "DANGER: \"a1\" is an archive node. Forcing clean.\nWould mark 3 files (1.051 kiB) for deferred cleaning.\n"},
		{name: "archive node cancel", args: []string{"node", "clean", "A1", "--cancel"}, stdout: "No files to clean.\n"},
		{name: "archive node confirmed", args: []string{"node", "clean", "A1", "--archive-ok"}, stdin: "yes\n",
			stdout: "DANGER: \"A1\" is an archive node. Forcing clean.\nWould mark 3 files (1.051 kiB) for deferred cleaning.\n\n" +
				"Continue? [y/N]: \nMarking 3 files (1.051 kiB) for deferred cleaning.\nUpdated 3 files.\n",
			check: wantCopies("A1", "2025/01/01/f1.dat Y/M", "2025/01/01/sub/f2.dat Y/M", "acq2/nosize.dat Y/M")},
		{name: "target", args: []string{"node", "clean", "N1", "-c", "--target", "G2"}, code: ExitWorkToDo,
			stdout: "Would mark 1 file (1.000 kiB) for deferred cleaning.\n"},
		{name: "targets are all of", args: []string{"node", "clean", "N1", "-c", "--target", "GA", "--target", "G3"}, code: ExitWorkToDo,
			stdout: "Would mark 1 file (52 B) for deferred cleaning.\n"},
		{name: "targets share nothing", args: []string{"node", "clean", "N1", "--target", "G2", "--target", "G3"},
			stdout: "Nothing to do: no matching files in target.\n"},
		{name: "acquisition", args: []string{"node", "clean", "N1", "-c", "--now", "--acq", "acq2"}, code: ExitWorkToDo,
			stdout: "Would release 1 file (2.000 kiB).\nWarning: 1 file has too few archive copies (2 needed) to be deleted; it will stay on N1.\n"},
		{name: "days", args: []string{"node", "clean", "N1", "-c", "--days", "10", "--include-bad"}, code: ExitWorkToDo,
			stdout: "Would mark 1 file (100 B) for deferred cleaning.\n"},
		{name: "days before any time", args: []string{"node", "clean", "N1", "-c", "-d", "99999999999", "--include-bad"},
			stdout: "No files to clean.\n"},
		{name: "file list", args: []string{"node", "clean", "N1", "-c", "-F", list}, code: ExitWorkToDo,
			stdout: "Would mark 1 file (52 B) for deferred cleaning.\n"},
		{name: "declined", args: []string{"node", "clean", "N1"}, stdin: "N\n",
			stdout: "Would mark 2 files (1.051 kiB) for deferred cleaning.\n\nContinue? [y/N]: \nCancelled.\n"},
		{name: "release now", args: []string{"node", "clean", "N1", "--now", "--force"},
			stdout: "Releasing 3 files (3.051 kiB):\n  2 present files (1.051 kiB)\n  1 marked file (2.000 kiB)\n" +
				"Warning: 3 files have too few archive copies (2 needed) to be deleted; they will stay on N1.\nUpdated 3 files.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/N", "2025/01/01/sub/f2.dat Y/N", "acq2/h1.dat Y/N", "acq2/h2.dat Y/N",
				"acq2/nosize.dat X/Y", "acq2/old.dat M/Y")},
		{name: "cancel cleaning", args: []string{"node", "clean", "N1", "-x", "--force"},
			stdout: "Cancelling 2 files (6.000 kiB) for cleaning:\n  1 marked file (2.000 kiB)\n  1 released file (4.000 kiB)\nUpdated 2 files.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/Y", "2025/01/01/sub/f2.dat Y/Y", "acq2/h1.dat Y/Y", "acq2/h2.dat Y/Y",
				"acq2/nosize.dat X/Y", "acq2/old.dat M/Y")},
		// The copies walked past to reach the size are left alone.
		{name: "mark up to a size", args: []string{"node", "clean", "N1", "--force", "--size", "0.000004", "--include-bad"},
			stdout: "Marking 2 files (1.051 kiB) for deferred cleaning.\n2 files (6.000 kiB) already contributing to size constraint.\nUpdated 2 files.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/M", "2025/01/01/sub/f2.dat Y/M", "acq2/h1.dat Y/M", "acq2/h2.dat Y/N",
				"acq2/nosize.dat X/Y", "acq2/old.dat M/Y")},

		{name: "cancel and now", args: []string{"node", "clean", "N1", "--cancel", "--now"}, code: 2,
			stderr: usageOf(usage, "cannot use both --cancel and --now")},
		{name: "cancel and size", args: []string{"node", "clean", "N1", "-x", "-s", "1"}, code: 2,
			stderr: usageOf(usage, "cannot use both --cancel and --size")},
		{name: "check and force", args: []string{"node", "clean", "N1", "--check", "--force"}, code: 2,
			stderr: usageOf(usage, "cannot use both --check and --force")},
		{name: "days zero", args: []string{"node", "clean", "N1", "-d", "0"}, code: 2, stderr: usageOf(usage, "--days must be positive")},
		{name: "size negative", args: []string{"node", "clean", "N1", "--size=-1"}, code: 2, stderr: usageOf(usage, "--size must be positive")},
		{name: "size not a number", args: []string{"node", "clean", "N1", "-s", "nan"}, code: 2, stderr: usageOf(usage, "--size must be positive")},
		{name: "days not an integer", args: []string{"node", "clean", "N1", "-d", "1.5"}, code: 2,
			stderr: usageOf(usage, "Invalid value for '--days' / '-d': '1.5' is not a valid integer.")},
		{name: "size not a float", args: []string{"node", "clean", "N1", "-s", "abc"}, code: 2,
			stderr: usageOf(usage, "Invalid value for '--size' / '-s': 'abc' is not a valid float.")},
		{name: "no node", args: []string{"node", "clean"}, code: 2, stderr: usageOf(usage, "Missing argument 'NODE'.")},
		{name: "unknown node", args: []string{"node", "clean", "NX", "--force"}, code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown target", args: []string{"node", "clean", "N1", "--force", "--target", "nope"}, code: 1,
			stderr: "Error: no such group: nope\n"},
		{name: "unknown acquisition", args: []string{"node", "clean", "N1", "--force", "--acq", "nope"}, code: 1,
			stderr: "Error: No such acquisition: nope\n"},
	})
}
