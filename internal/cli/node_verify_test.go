package cli

import "testing"

func TestNodeVerify(t *testing.T) {
	const usage = "node verify NODE"
	list := writeList(t, "2025/01/01/sub/f2.dat")
	runBulkCases(t, []bulkCase{
		{name: "corrupt and missing by default", args: []string{"node", "verify", "N1", "--check"}, code: ExitWorkToDo,
			stdout: "Would request verification of 1 file (unknown size).\n"},
		{name: "healthy", args: []string{"node", "verify", "N1", "--check", "--healthy"}, code: ExitWorkToDo,
			stdout: "Would request verification of 3 files (3.051 kiB).\n"},
		{name: "all leaves unknown sizes out", args: []string{"node", "verify", "N1", "--check", "--all"}, code: ExitWorkToDo,
			stdout: "Would request verification of 4 files (3.051 kiB).\n"},
		{name: "missing", args: []string{"node", "verify", "N2", "--check", "--missing"}, code: ExitWorkToDo,
			stdout: "Would request verification of 1 file (2.000 kiB).\n"},
		{name: "corrupt only", args: []string{"node", "verify", "N2", "--check", "--corrupt"},
			stdout: "No matching files found.\n"},
		{name: "file list", args: []string{"node", "verify", "N1", "--check", "-a", "-F", list}, code: ExitWorkToDo,
			stdout: "Would request verification of 1 file (52 B).\n"},
		{name: "nothing", args: []string{"node", "verify", "N3"}, stdout: "No matching files found.\n"},
		{name: "cancel", args: []string{"node", "verify", "N1", "--check", "--cancel"}, code: ExitWorkToDo,
			stdout: "Would force status of 1 file (100 B) to corrupt.\n"},
		{name: "verify", args: []string{"node", "verify", "N1", "--all", "--acq", "acq2"}, stdin: "y\n",
			stdout: "Would request verification of 2 files (2.000 kiB).\n\nContinue? [y/N]: \n" +
				"Requesting verification of 2 files (2.000 kiB).\nUpdated 2 files.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/Y", "2025/01/01/sub/f2.dat Y/Y", "acq2/h1.dat M/M", "acq2/h2.dat Y/N",
				"acq2/nosize.dat M/Y", "acq2/old.dat M/Y")},
		{name: "cancel to healthy", args: []string{"node", "verify", "N1", "--cancel", "--healthy", "--force"},
			stdout: "Forcing status of 1 file (100 B) to healthy.\nUpdated 1 file.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/Y", "2025/01/01/sub/f2.dat Y/Y", "acq2/h1.dat Y/M", "acq2/h2.dat Y/N",
				"acq2/nosize.dat X/Y", "acq2/old.dat Y/Y")},
		{name: "cancel ignores all", args: []string{"node", "verify", "N1", "--cancel", "--missing", "--all", "--force"},
			stdout: "Forcing status of 1 file (100 B) to missing.\nUpdated 1 file.\n",
			check: wantCopies("N1", "2025/01/01/f1.dat Y/Y", "2025/01/01/sub/f2.dat Y/Y", "acq2/h1.dat Y/M", "acq2/h2.dat Y/N",
				"acq2/nosize.dat X/Y", "acq2/old.dat N/Y")},

		{name: "check and force", args: []string{"node", "verify", "N1", "--check", "--force"}, code: 2,
			stderr: usageOf(usage, "cannot use both --check and --force")},
		{name: "corrupt and healthy", args: []string{"node", "verify", "N1", "--cancel", "--corrupt", "--healthy"}, code: 2,
			stderr: usageOf(usage, "cannot use both --corrupt and --healthy")},
		{name: "corrupt and missing", args: []string{"node", "verify", "N1", "--cancel", "--missing", "--corrupt"}, code: 2,
			stderr: usageOf(usage, "cannot use both --corrupt and --missing")},
		{name: "healthy and missing", args: []string{"node", "verify", "N1", "--cancel", "--missing", "--healthy"}, code: 2,
			stderr: usageOf(usage, "cannot use both --healthy and --missing")},
		{name: "flags combine without cancel", args: []string{"node", "verify", "N1", "--check", "--missing", "--healthy", "--corrupt"}, code: ExitWorkToDo,
			stdout: "Would request verification of 4 files (3.051 kiB).\n"},
		{name: "stdin check comes first", args: []string{"node", "verify", "N1", "-F", "-", "--cancel", "--healthy", "--missing"},
			stdin: "acq2/old.dat\n", code: 2, stderr: stdinWarning + usageOf(usage, "cannot use both --healthy and --missing")},
		{name: "no short check", args: []string{"node", "verify", "N1", "-c"}, code: 2, stderr: usageOf(usage, "No such option: -c")},
		{name: "no short cancel", args: []string{"node", "verify", "N1", "-x"}, code: 2, stderr: usageOf(usage, "No such option: -x")},
		{name: "unknown node", args: []string{"node", "verify", "NX", "--force"}, code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown acquisition", args: []string{"node", "verify", "N1", "--acq", "nope"}, code: 1,
			stderr: "Error: No such acquisition: nope\n"},
	})
}
