package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// fileRegistered checks the archivefile row of acq2/NAME.
func fileRegistered(name string, size int64, md5 string) func(*testing.T, *fileFixture) {
	return func(t *testing.T, f *fileFixture) {
		t.Helper()
		var files []db.ArchiveFile
		err := f.d.Gorm.Joins("Acq").Where("Acq.name = 'acq2' AND archivefile.name = ?", name).Find(&files).Error
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Fatalf("%d files acq2/%s", len(files), name)
		}
		got := files[0]
		if got.SizeB == nil || *got.SizeB != size || got.MD5Sum == nil || *got.MD5Sum != md5 {
			t.Errorf("size %v md5 %v, want %d %s", got.SizeB, got.MD5Sum, size, md5)
		}
		if age := time.Since(got.Registered.Time); age < 0 || age > time.Hour {
			t.Errorf("registered at %v", got.Registered)
		}
	}
}

func TestFileCreate(t *testing.T) {
	prefix := t.TempDir()
	if err := os.MkdirAll(filepath.Join(prefix, "acq2", "dir.dat"), 0o755); err != nil {
		t.Fatal(err)
	}
	// MD5 of "0 1 2 3 4 5\n", as in the alpenhorn demo.
	if err := os.WriteFile(filepath.Join(prefix, "acq2", "new.dat"), []byte("0 1 2 3 4 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefix, "acq2", "empty.dat"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	const hash = "4C79018E00DDEF11AF0B9CFC14DD3261"
	usage := func(msg string) string { return fileUsage("file create NAME ACQ", msg) }
	runFileCases(t, []fileCase{
		{name: "md5 without size", args: []string{"file", "create", "new.dat", "acq2", "--md5", hash},
			code: 2, stderr: usage("--md5 and --size must be used together")},
		{name: "size without md5", args: []string{"file", "create", "new.dat", "acq2", "--size", "0"},
			code: 2, stderr: usage("--md5 and --size must be used together")},
		{name: "from-file and md5", args: []string{"file", "create", "new.dat", "acq2", "--from-file", "--md5", hash, "--size", "1"},
			code: 2, stderr: usage("cannot use both --from-file and --md5")},
		{name: "nothing", args: []string{"file", "create", "new.dat", "acq2"},
			code: 2, stderr: usage("missing either --from-file or both --md5 and --size")},
		{name: "prefix without from-file", args: []string{"file", "create", "new.dat", "acq2", "--md5", hash, "--size", "1", "--prefix", "/x"},
			code: 2, stderr: usage("--prefix may only be used with --from_file")},
		{name: "bad size", args: []string{"file", "create", "new.dat", "acq2", "--md5", hash, "--size", "1.5"},
			code: 2, stderr: usage("Invalid value for '--size': '1.5' is not a valid integer.")},
		{name: "negative size", args: []string{"file", "create", "new.dat", "acq2", "--md5", hash, "--size", "-1"},
			code: 1, stderr: "Error: negative file size.\n"},
		{name: "absolute name", args: []string{"file", "create", "/new.dat", "acq2", "--md5", hash, "--size", "1"},
			code: 1, stderr: "Error: invalid name: invalid start\n"},
		{name: "repeated slash", args: []string{"file", "create", "a//new.dat", "acq2", "--md5", hash, "--size", "1"},
			code: 1, stderr: "Error: invalid name: repeated /\n"},
		{name: "name too long", args: []string{"file", "create", strings.Repeat("n", 256), "acq2", "--md5", hash, "--size", "1"},
			code: 1, stderr: "Error: file name too long: 256 characters (at most 255)\n"},
		{name: "short hash", args: []string{"file", "create", "new.dat", "acq2", "--md5", "abc", "--size", "1"},
			code: 1, stderr: "Error: invalid hash: abc.  Expected 32 hex digits.\n"},
		{name: "hex prefix", args: []string{"file", "create", "new.dat", "acq2", "--md5", "0x" + hash[2:], "--size", "1"},
			code: 1, stderr: "Error: invalid hash: 0x" + hash[2:] + ".  Expected 32 hex digits.\n"},
		{name: "empty hash", args: []string{"file", "create", "new.dat", "acq2", "--md5="},
			code: 1, stderr: "Error: invalid hash: .  Expected 32 hex digits.\n"},
		{name: "unknown acquisition", args: []string{"file", "create", "new.dat", "nope", "--md5", hash, "--size", "1"},
			code: 1, stderr: "Error: No such acquisition: nope\n"},
		{name: "existing file", args: []string{"file", "create", "g1.dat", "acq2", "--md5", hash, "--size", "1"},
			code: 1, stderr: "Error: the File \"acq2/g1.dat\" already exists\n"},
		{name: "given", args: []string{"file", "create", "new.dat", "acq2", "--md5", hash, "--size", "12"},
			stdout: "Registered File acq2/new.dat.\n", check: fileRegistered("new.dat", 12, hash)},
		{name: "zero size", args: []string{"file", "create", "sub/new.dat", "acq2", "--md5", hash, "--size", "0"},
			stdout: "Registered File acq2/sub/new.dat.\n", check: fileRegistered("sub/new.dat", 0, hash)},
		{name: "from file", args: []string{"file", "create", "new.dat", "acq2", "--from-file", "--prefix", prefix},
			stdout: "Registered File acq2/new.dat.\n", check: fileRegistered("new.dat", 12, strings.ToLower(hash))},
		{name: "from empty file", args: []string{"file", "create", "empty.dat", "acq2", "--from-file", "--prefix", prefix + "/."},
			stdout: "Registered File acq2/empty.dat.\n", check: fileRegistered("empty.dat", 0, "d41d8cd98f00b204e9800998ecf8427e")},
		{name: "from missing file", args: []string{"file", "create", "gone.dat", "acq2", "--from-file", "--prefix", prefix + "/"},
			code: 1, stderr: "Error: no such file: " + prefix + "/acq2/gone.dat\n"},
		{name: "from directory", args: []string{"file", "create", "dir.dat", "acq2", "--from-file", "--prefix", prefix},
			code: 1, stderr: "Error: " + prefix + "/acq2/dir.dat is not a regular file\n"},
		// Refused before the local file is even looked at.
		{name: "from file, existing", args: []string{"file", "create", "g1.dat", "acq2", "--from-file", "--prefix", prefix},
			code: 1, stderr: "Error: the File \"acq2/g1.dat\" already exists\n"},
		{name: "from file, unknown acquisition", args: []string{"file", "create", "new.dat", "nope", "--from-file", "--prefix", prefix},
			code: 1, stderr: "Error: No such acquisition: nope\n"},
	})
}

// Without --prefix the file is looked for under the current directory.
func TestFileCreateFromCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "acq2", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acq2", "sub", "x.dat"), []byte("0 1 2 3 4 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	runFileCases(t, []fileCase{
		{name: "found", args: []string{"file", "create", "sub/x.dat", "acq2", "--from-file"},
			stdout: "Registered File acq2/sub/x.dat.\n", check: fileRegistered("sub/x.dat", 12, "4c79018e00ddef11af0b9cfc14dd3261")},
		{name: "missing", args: []string{"file", "create", "y.dat", "acq2", "--from-file", "--prefix="},
			code: 1, stderr: "Error: no such file: acq2/y.dat\n"},
	})
}

func TestFileCreateUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	prefix := t.TempDir()
	path := filepath.Join(prefix, "acq2", "locked.dat")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	runFileCases(t, []fileCase{
		{name: "unreadable", args: []string{"file", "create", "locked.dat", "acq2", "--from-file", "--prefix", prefix},
			code: 1, stderr: "Error: failed to hash " + path + ": permission denied\n"},
	})
}
