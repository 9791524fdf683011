package cli

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// nobody is the unprivileged user the read-only test runs the CLI as when
// the tests run as root, whom file permissions do not stop.
const nobody = "65534"

// TestReadOnlyIndex: the read commands work on an SQLite data index whose
// file and directory the user may not write, whether or not a writer has
// it open; a write command fails without changing it.
func TestReadOnlyIndex(t *testing.T) {
	var prefix []string
	if os.Getuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("SKIPPED LOUDLY: running as root without setpriv, so no user for whom the data index is read-only")
		}
		prefix = []string{setpriv, "--reuid=" + nobody, "--regid=" + nobody, "--clear-groups"}
	}
	bin := daemontest.Build(t, "./cmd/alpenhorn", false)
	// Every directory on the way must let the other user in.
	base, err := os.MkdirTemp("", "alpenhorn-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(base)
	})
	for _, dir := range []string{base, filepath.Dir(bin), filepath.Dir(filepath.Dir(bin))} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	for _, writer := range []bool{false, true} {
		name := "closed"
		if writer {
			name = "writer open"
		}
		t.Run(name, func(t *testing.T) {
			dir, err := os.MkdirTemp(base, "index-")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "index.db")
			url := "sqlite:///" + path
			f := newFileFixture(t, url)
			// db init left the file in WAL mode.
			if header, err := os.ReadFile(path); err != nil || len(header) < 20 || header[18] != 2 {
				t.Fatalf("data index not in WAL mode after db init (%v)", err)
			}
			if !writer {
				// The last connection gone, SQLite removes the -wal and
				// -shm files, which a reader may not create here.
				f.d.Close()
			}
			before := snapshotFile(t, path)
			conf := filepath.Join(base, name+".conf")
			if err := os.WriteFile(conf, []byte("database:\n  url: "+url+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (string, error) {
				cmd := append(append(prefix[:len(prefix):len(prefix)], bin, "--test-isolation", "--conf", conf), args...)
				out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
				return string(out), err
			}
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"node", "list"}, "N1b"},
				{[]string{"node", "show", "N1"}, "Storage Node: N1"},
				{[]string{"node", "stats"}, "N2"},
				{[]string{"file", "list", "--details"}, "acq2/g1.dat"},
				{[]string{"file", "show", "acq2/h1.dat", "--transfers"}, "Cancelled"},
				{[]string{"group", "list"}, "G4"},
				{[]string{"group", "show", "G1"}, "Storage Group: G1"},
				{[]string{"acq", "list"}, "acq2"},
			} {
				out, err := run(c.args...)
				if err != nil || !strings.Contains(out, c.want) {
					t.Errorf("alpenhorn %s: %v\n%s", strings.Join(c.args, " "), err, out)
				}
			}
			if out, err := run("group", "create", "G5"); err == nil || !strings.Contains(out, "readonly database") {
				t.Errorf("group create on a read-only data index: %v\n%s", err, out)
			}
			if after := snapshotFile(t, path); after != before {
				t.Errorf("the data index changed")
			}
		})
	}
}

// snapshotFile is the content of a file.
func snapshotFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestMistypedIndex: only db init creates an SQLite file; every other
// command names the missing file or directory, or the unknown URL scheme,
// in one line.
func TestMistypedIndex(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	for _, c := range []struct {
		url, stderr string
	}{
		{"sqlite:///" + missing, "Error: SQLite data index " + missing + " does not exist (alpenhorn db init creates it).\n"},
		{"sqlite:///" + filepath.Join(dir, "no", "index.db"),
			"Error: SQLite data index " + filepath.Join(dir, "no", "index.db") + ": directory " + filepath.Join(dir, "no") + " does not exist.\n"},
		{"sqlit:///" + missing, "Error: Unable to connect to the database: Unknown database type \"sqlit\" in the URL (sqlite or mysql): Database connect failed.\n" +
			"See --help-config for more details.\n"},
	} {
		for _, args := range [][]string{{"node", "list"}, {"group", "create", "G"}} {
			r := run(t, c.url, "", args...)
			if r.code != 1 || r.stdout != "" || r.stderr != c.stderr {
				t.Errorf("%s, alpenhorn %s: exit %d\nstdout: %s\nstderr: %s\nwant: %s", c.url, strings.Join(args, " "), r.code, r.stdout, r.stderr, c.stderr)
			}
			if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s created by alpenhorn %s", missing, strings.Join(args, " "))
			}
		}
	}
	r := run(t, "sqlite:///"+filepath.Join(dir, "no", "index.db"), "", "db", "init")
	if r.code != 1 || !strings.Contains(r.stderr, "directory "+filepath.Join(dir, "no")+" does not exist.") {
		t.Errorf("db init in a missing directory: exit %d: %s", r.code, r.stderr)
	}
	initIndex(t, testdb.SQLiteURL(t))
}
