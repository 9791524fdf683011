package cli

import "testing"

func TestFileStateReport(t *testing.T) {
	state := func(path, node, want string) fileCase {
		return fileCase{name: path + " on " + node, args: []string{"file", "state", path, node}, stdout: want + "\n"}
	}
	runFileReadOnly(t, []fileCase{
		state("2025/01/01/f1.dat", "N1", "Healthy"),
		state("2025/01/01/sub/f2.dat", "N1", "Healthy Removable"),
		state("2025/01/01/sub/f2.dat", "N1b", "Absent"),
		state("2025/01/01/f3.dat", "N1", "Suspect"),
		state("2025/01/01-b/a.dat", "n1", "Healthy Ready"),
		state("2025/01/01-b/a.dat", "N3", "Healthy Released"),
		state("acq2/g1.dat", "N1", "Corrupt"),
		state("acq2/h1.dat", "N1", "Missing"),
		state("2025/01/01/f1.dat", "N3", "Absent"),
		{name: "empty set reports", args: []string{"file", "state", "acq2/g1.dat", "N1", "--set="}, stdout: "Corrupt\n"},
		{name: "quiet", args: []string{"-q", "file", "state", "acq2/g1.dat", "N1"}},
		{name: "unknown file first", args: []string{"file", "state", "acq2/nope", "NX"},
			code: 1, stderr: "Error: No such file: acq2/nope\n"},
		{name: "unknown node", args: []string{"file", "state", "acq2/g1.dat", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "missing node", args: []string{"file", "state", "acq2/g1.dat"},
			code: 2, stderr: fileUsage("file state FILE NODE", "Missing argument 'NODE'.")},
	})
}

func TestFileStateUpdate(t *testing.T) {
	const updated, same = "State updated.", "No change."
	// Without a change, the runner checks that the index is untouched.
	update := func(name, path, node string, opts []string, out, want string) fileCase {
		if out == same {
			return fileCase{name: name, args: append([]string{"file", "state", path, node}, opts...), stdout: out + "\n"}
		}
		return fileCase{
			name:   name,
			args:   append([]string{"file", "state", path, node}, opts...),
			stdout: out + "\n",
			check: func(t *testing.T, f *fileFixture) {
				if got := f.copyState(t, path, node); got != want {
					t.Errorf("%s on %s: %q, want %q", path, node, got, want)
				}
			},
		}
	}
	usage := func(msg string) string { return fileUsage("file state FILE NODE", msg) }
	runFileCases(t, []fileCase{
		{name: "ready and unready", args: []string{"file", "state", "acq2/g1.dat", "N1", "--ready", "--unready"},
			code: 2, stderr: usage("cannot use both --ready and --unready")},
		{name: "bad state", args: []string{"file", "state", "acq2/g1.dat", "N1", "--set", "Gone"},
			code: 2, stderr: usage("invalid state for --set: Gone")},
		{name: "ready but not healthy", args: []string{"file", "state", "acq2/g1.dat", "N1", "--set", "suspect", "--ready"},
			code: 1, stderr: "Error: can't set ready bit: file not present.\n"},
		{name: "ready on suspect copy", args: []string{"file", "state", "2025/01/01/f3.dat", "N1", "--ready"},
			code: 1, stderr: "Error: can't set ready bit: file not present.\n"},
		{name: "ready without copy", args: []string{"file", "state", "2025/01/01/f1.dat", "N3", "--ready"},
			code: 1, stderr: "Error: can't set ready bit: file not present.\n"},
		{name: "unknown node", args: []string{"file", "state", "acq2/g1.dat", "NX", "--set", "healthy"},
			code: 1, stderr: "Error: no such node: NX\n"},
		update("healthy", "2025/01/01/f3.dat", "N1", []string{"--set", "HEALTHY"}, updated, "Y/Y"),
		update("healthy and ready", "acq2/g1.dat", "N1", []string{"--set", "healthy", "--ready"}, updated, "Y/Y ready"),
		update("corrupt keeps removable", "2025/01/01/sub/f2.dat", "N1", []string{"--set", "Corrupt"}, updated, "X/M"),
		update("present again is wanted", "2025/01/01-b/a.dat", "N3", []string{"--set", "suspect"}, updated, "M/Y"),
		update("same state", "2025/01/01/f1.dat", "N1", []string{"--set", "healthy"}, same, "Y/Y"),
		update("absent", "2025/01/01/f1.dat", "N1", []string{"--set", "absent"}, updated, "N/N"),
		update("missing", "2025/01/01/sub/f2.dat", "N1b", []string{"--set", "missing"}, updated, "N/Y"),
		update("already absent", "2025/01/01/sub/f2.dat", "N1b", []string{"--set", "absent"}, same, "N/N"),
		update("new copy", "2025/01/01/f1.dat", "N3", []string{"--set", "healthy"}, updated, "Y/Y"),
		update("new ready copy", "2025/01/01/f1.dat", "N4", []string{"--set", "healthy", "--ready"}, updated, "Y/Y ready"),
		update("new missing copy", "acq2/g1.dat", "N3", []string{"--set", "missing"}, updated, "N/Y"),
		update("no absent copy made", "2025/01/01/f1.dat", "N3", []string{"--set", "absent"}, same, ""),
		update("nothing to unready", "2025/01/01/f1.dat", "N3", []string{"--unready"}, same, ""),
		update("ready", "2025/01/01/f1.dat", "N1", []string{"--ready"}, updated, "Y/Y ready"),
		update("unready", "2025/01/01-b/a.dat", "N1", []string{"--unready"}, updated, "Y/Y"),
		update("not ready", "2025/01/01/f1.dat", "N1", []string{"--unready"}, same, "Y/Y"),
		update("healthy and unready", "2025/01/01-b/a.dat", "N1", []string{"--set", "healthy", "--unready"}, updated, "Y/Y"),
	})
}
