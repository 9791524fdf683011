package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// importRequested checks that the only import request is for path on N1.
func importRequested(path string, register bool) func(*testing.T, *fileFixture) {
	return func(t *testing.T, f *fileFixture) {
		t.Helper()
		var reqs []db.ArchiveFileImportRequest
		if err := f.d.Gorm.Joins("Node").Find(&reqs).Error; err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 {
			t.Fatalf("%d import requests, want 1", len(reqs))
		}
		r := reqs[0]
		if r.Node.Name != "N1" || r.Path != path || r.Register != register || r.Recurse || r.Completed {
			t.Errorf("request %+v, want %s on N1, register %v", r, path, register)
		}
		if r.Timestamp == nil || time.Since(r.Timestamp.Time) > time.Hour {
			t.Errorf("request time %v", r.Timestamp)
		}
	}
}

func TestFileImport(t *testing.T) {
	usage := func(msg string) string { return fileUsage("file import PATH NODE", msg) }
	runFileCases(t, []fileCase{
		{name: "import", args: []string{"file", "import", "2025/02/21/23/1330.dat", "N1"},
			stdout: "Added new import request.\n", check: importRequested("2025/02/21/23/1330.dat", false)},
		{name: "register new", args: []string{"file", "import", "--register-new", "a/./b/../c", "n1"},
			stdout: "Added new import request.\n", check: importRequested("a/./b/../c", true)},
		{name: "short option", args: []string{"file", "import", "x.dat", "-n", "N1"},
			stdout: "Added new import request.\n", check: importRequested("x.dat", true)},
		{name: "absolute", args: []string{"file", "import", "/data1/x.dat", "N1"},
			code: 2, stderr: usage("PATH may not be absolute")},
		{name: "missing node", args: []string{"file", "import", "x.dat"},
			code: 2, stderr: usage("Missing argument 'NODE'.")},
		{name: "unknown node", args: []string{"file", "import", "x.dat", "NX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "path too long", args: []string{"file", "import", strings.Repeat("p", 1025), "N1"},
			code: 1, stderr: "Error: path too long: 1025 characters (at most 1024)\n"},
	})
}
