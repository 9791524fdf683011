package cli

import "testing"

func TestFileVerify(t *testing.T) {
	// The check looks the copy up by the stored names; the message
	// echoes the path as typed.
	typed := func(name string, args []string, out, path, node, want string) fileCase {
		return fileCase{
			name:   name,
			args:   append([]string{"file", "verify"}, args...),
			stdout: out + "\n",
			check: func(t *testing.T, f *fileFixture) {
				if got := f.copyState(t, path, node); got != want {
					t.Errorf("%s on %s: %q, want %q", path, node, got, want)
				}
			},
		}
	}
	verify := func(name, path, node, out, want string) fileCase {
		return typed(name, []string{path, node}, out, path, node, want)
	}
	runFileCases(t, []fileCase{
		typed("healthy", []string{"2025/01/01/./f1.dat", "n1"}, "Requesting verification of file \"2025/01/01/./f1.dat\".", "2025/01/01/f1.dat", "N1", "M/Y"),
		verify("corrupt", "acq2/g1.dat", "N1", "Requesting verification of corrupt file \"acq2/g1.dat\".", "M/Y"),
		typed("missing", []string{"acq2//h1.dat", "N1"}, "Requesting verification of missing file \"acq2//h1.dat\".", "acq2/h1.dat", "N1", "M/Y"),
		verify("released", "2025/01/01-b/a.dat", "N3", "Requesting verification of file \"2025/01/01-b/a.dat\".", "M/N"),
		verify("removable", "2025/01/01/sub/f2.dat", "N1", "Requesting verification of file \"2025/01/01/sub/f2.dat\".", "M/M"),
		{name: "already suspect", args: []string{"file", "verify", "2025/01/01/f3.dat", "N1"},
			stdout: "File already scheduled for verification.\n"},
		{name: "removed", args: []string{"file", "verify", "2025/01/01/sub/f2.dat", "N1b"},
			code: 1, stderr: "Error: File not present on node.\n"},
		{name: "no copy", args: []string{"file", "verify", "2025/01/01/f1.dat", "N3"},
			code: 1, stderr: "Error: File not present on node.\n"},
		{name: "unknown file first", args: []string{"file", "verify", "acq2/nope", "NX"},
			code: 1, stderr: "Error: No such file: acq2/nope\n"},
		{name: "unknown node", args: []string{"file", "verify", "acq2/g1.dat", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "missing node", args: []string{"file", "verify", "acq2/g1.dat"},
			code: 2, stderr: fileUsage("file verify FILE NODE", "Missing argument 'NODE'.")},
	})
}
