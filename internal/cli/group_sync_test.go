package cli

import "testing"

// group sync shares node sync's implementation (TestNodeSync); these cases
// cover what differs: the argument order, its usage messages, and --all,
// which cancels every pending copy into GROUP.
func TestGroupSync(t *testing.T) {
	const usage = "group sync GROUP NODE"
	absolute := writeList(t, "/data1/2025/01/01/sub/f2.dat")
	runBulkCases(t, []bulkCase{
		{name: "check", args: []string{"group", "sync", "G2", "N1", "--check", "--show-files"}, code: ExitWorkToDo,
			stdout: "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" +
				"Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\":\n\nacq2/h1.dat\nacq2/h2.dat\n"},
		{name: "nothing to sync", args: []string{"group", "sync", "G1", "N2", "--show-files"}, stdout: "No files to sync.\n"},
		{name: "cancel everything into group", args: []string{"group", "sync", "G2", "--cancel", "--all", "--check", "--show-files"}, code: ExitWorkToDo,
			stdout: "Would cancel 2 pending transfer requests:\n\n2025/01/01/sub/f2.dat\nacq2/h2.dat\n"},
		{name: "cancel listing acquisitions", args: []string{"group", "sync", "G2", "-a", "-x", "-c", "--show-acqs", "--show-files"}, code: ExitWorkToDo,
			stdout: "Would cancel 2 pending transfer requests:\n\n2025/01/01 [1 request]\n    2025/01/01/sub/f2.dat\nacq2 [1 request]\n    acq2/h2.dat\n"},
		{name: "cancel from node", args: []string{"group", "sync", "G2", "N1", "--cancel", "--force"},
			stdout: "Cancelling 1 pending transfer request.\n\nCancelled 1 transfer request.\n",
			check:  wantPending("2025/01/01/f1.dat A1→G3", "acq2/h2.dat N3→G2")},
		{name: "cancel by acquisition", args: []string{"group", "sync", "G2", "--all", "--cancel", "--acq", "acq2"}, stdin: "y\n",
			stdout: "Would cancel 1 pending transfer request.\n\nContinue? [y/N]: \nCancelling 1 pending transfer request.\n\nCancelled 1 transfer request.\n",
			check:  wantPending("2025/01/01/f1.dat A1→G3", "2025/01/01/sub/f2.dat N1→G2")},
		// Without a source node, absolute paths in the list have no root to
		// be taken from.
		{name: "cancel with relative file list", args: []string{"group", "sync", "G2", "--all", "--cancel", "--check", "-F", writeList(t, "2025/01/01/sub/f2.dat")}, code: ExitWorkToDo,
			stdout: "Would cancel 1 pending transfer request.\n"},
		{name: "cancel with absolute file list", args: []string{"group", "sync", "G2", "--all", "--cancel", "--check", "-F", absolute},
			code: 1, stderr: "Error: No such file on line 1 of " + absolute + ": /data1/2025/01/01/sub/f2.dat\n"},
		{name: "cancel nothing", args: []string{"group", "sync", "G1", "--all", "--cancel"}, stdout: "No requests to cancel.\n"},

		{name: "no node", args: []string{"group", "sync", "G2"}, code: 2, stderr: usageOf(usage, "NODE or --all must be provided.")},
		{name: "all with node", args: []string{"group", "sync", "G2", "N1", "--all", "--cancel"}, code: 2,
			stderr: usageOf(usage, "Can't use --all with NODE.")},
		{name: "all without cancel", args: []string{"group", "sync", "G2", "--all"}, code: 2,
			stderr: usageOf(usage, "--all may only be used with --cancel")},
		{name: "no group", args: []string{"group", "sync"}, code: 2, stderr: usageOf(usage, "Missing argument 'GROUP'.")},
		{name: "unknown group", args: []string{"group", "sync", "GX", "N1"}, code: 1, stderr: "Error: No such group: GX\n"},
		{name: "unknown node", args: []string{"group", "sync", "G2", "NX", "--cancel"}, code: 1, stderr: "Error: No such node: NX\n"},
	})
}
