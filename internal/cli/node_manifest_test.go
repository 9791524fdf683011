package cli

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The sneakernet tests use two data indexes of one engine, two "sites":
// the source fills transport node transport1, whose device is a directory;
// the directory is then moved to where the destination's transport1 has
// its root.

// sneakerSite is one data index with a transport node.
type sneakerSite struct {
	url  string
	d    *db.DB
	root string
}

// secondIndex returns the URL of another empty data index on the engine
// of url.
func secondIndex(t *testing.T, url string) string {
	if strings.HasPrefix(url, "sqlite") {
		return testdb.SQLiteURL(t)
	}
	return testdb.MariaDB(t)
}

// newSneakerSite initialises the index at url with group transport_group
// and node transport1 (transport, active) rooted at root, and an archive
// node archive1 rooted in a directory of its own.
func newSneakerSite(t *testing.T, url, root string) *sneakerSite {
	t.Helper()
	initIndex(t, url)
	s := &sneakerSite{url: url, d: testdb.Open(t, url), root: root}
	for _, args := range [][]string{
		{"group", "create", "transport_group", "--class", "Transport"},
		{"node", "create", "transport1", "--transport", "--group", "transport_group", "--root", root, "--activate"},
		{"node", "create", "archive1", "--archive", "--create-group", "--root", t.TempDir(), "--activate"},
	} {
		if r := run(t, url, "", args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	return s
}

// initDevice creates the device directory of node, with its node file.
func initDevice(t *testing.T, root, node string) {
	t.Helper()
	sneakerMust(t, os.MkdirAll(root, 0o755))
	sneakerMust(t, os.WriteFile(filepath.Join(root, db.NodeInitPath), []byte(node+"\n"), 0o644))
}

// sneakerFile is a file of the fixtures.
type sneakerFile struct {
	acq, name, content string
}

func (f sneakerFile) path() string { return f.acq + "/" + f.name }

func (f sneakerFile) md5() string {
	sum := md5.Sum([]byte(f.content))
	return hex.EncodeToString(sum[:])
}

// The files the source's transport node carries.
var sneakerFiles = []sneakerFile{
	{"2025/02/21", "23/1324.dat", "data of 23/1324.dat\n"},
	{"2025/02/21", "meta.txt", "meta 2025/02/21\n"},
	{"2025/02/22", "meta.txt", "meta 2025/02/22, longer\n"},
	{"acq2", "x.dat", "x"},
}

// addFile registers f (size and MD5 of its content unless noMD5) in the
// site's index and, when node is not empty, writes it under the root
// given and records a present copy on node. It returns the file id.
func (s *sneakerSite) addFile(t *testing.T, f sneakerFile, node, root string, noMD5 bool) int64 {
	t.Helper()
	g := s.d.Gorm
	var acq db.ArchiveAcq
	sneakerMust(t, g.Where("name = ?", f.acq).FirstOrCreate(&acq, db.ArchiveAcq{Name: f.acq}).Error)
	size := int64(len(f.content))
	sum := f.md5()
	file := db.ArchiveFile{AcqID: acq.ID, Name: f.name, SizeB: &size, MD5Sum: &sum, Registered: sneakerRegistered}
	if noMD5 {
		file.MD5Sum = nil
	}
	sneakerMust(t, g.Create(&file).Error)
	if node == "" {
		return file.ID
	}
	p := filepath.Join(root, f.acq, f.name)
	sneakerMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
	sneakerMust(t, os.WriteFile(p, []byte(f.content), 0o644))
	alloc, err := fsutil.AllocatedSize(p)
	sneakerMust(t, err)
	var n db.StorageNode
	sneakerMust(t, g.Where("name = ?", node).First(&n).Error)
	sneakerMust(t, g.Create(&db.ArchiveFileCopy{FileID: file.ID, NodeID: n.ID, HasFile: db.HasYes, WantsFile: db.WantYes,
		Ready: true, SizeB: &alloc, LastUpdate: db.Now()}).Error)
	return file.ID
}

var sneakerRegistered = db.NewTime(time.Date(2025, 2, 21, 23, 13, 24, 0, time.UTC))

// rows renders the result of query, one row per line, columns split by |.
func (s *sneakerSite) rows(t *testing.T, query string, args ...any) string {
	t.Helper()
	rows, err := s.d.Gorm.Raw(query, args...).Rows()
	sneakerMust(t, err)
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		sneakerMust(t, rows.Scan(ptrs...))
		var line []string
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
				line = append(line, "NULL")
			case []byte:
				line = append(line, string(x))
			default:
				line = append(line, fmt.Sprint(x))
			}
		}
		out = append(out, strings.Join(line, "|"))
	}
	return strings.Join(out, "\n")
}

// state renders what a failed command must leave alone: every core row,
// and the tables there are.
func (s *sneakerSite) state(t *testing.T) string {
	t.Helper()
	tables, err := s.d.ListTables(context.Background())
	sneakerMust(t, err)
	var ours []string
	for _, name := range tables {
		if strings.HasPrefix(name, "sneakernet_") {
			ours = append(ours, name+": "+s.rows(t, "SELECT COUNT(*) FROM "+name))
		}
	}
	return snapshot(t, s.d) + strings.Join(tables, ",") + "\n" + strings.Join(ours, "\n")
}

func sneakerMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// transportSource is a source site whose transport1 carries sneakerFiles
// (plus one file without an MD5 sum and one suspect copy, neither of which
// a manifest lists), with a copy of every file on archive1.
func transportSource(t *testing.T, url, root string) (*sneakerSite, []int64) {
	t.Helper()
	s := newSneakerSite(t, url, root)
	initDevice(t, root, "transport1")
	archiveRoot := s.rows(t, "SELECT root FROM storagenode WHERE name = 'archive1'")
	var ids []int64
	for _, f := range sneakerFiles {
		id := s.addFile(t, f, "transport1", root, false)
		ids = append(ids, id)
		var n db.StorageNode
		sneakerMust(t, s.d.Gorm.Where("name = 'archive1'").First(&n).Error)
		p := filepath.Join(archiveRoot, f.path())
		sneakerMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
		sneakerMust(t, os.WriteFile(p, []byte(f.content), 0o644))
		sneakerMust(t, s.d.Gorm.Create(&db.ArchiveFileCopy{FileID: id, NodeID: n.ID, HasFile: db.HasYes, WantsFile: db.WantYes,
			Ready: true, LastUpdate: db.Now()}).Error)
	}
	s.addFile(t, sneakerFile{"acq2", "nomd5.dat", "no sum"}, "transport1", root, true)
	suspect := s.addFile(t, sneakerFile{"acq2", "suspect.dat", "suspect"}, "transport1", root, false)
	sneakerMust(t, s.d.Gorm.Model(&db.ArchiveFileCopy{}).Where("file_id = ?", suspect).Update("has_file", db.HasMaybe).Error)
	return s, ids
}

func TestNodeManifest(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		root := filepath.Join(t.TempDir(), "transport")
		s, _ := transportSource(t, url, root)
		backup := filepath.Join(t.TempDir(), "backup.json")

		// Without options, nothing changes but our own tables and their
		// version row.
		before := snapshot(t, s.d) + "dataindexversion id=2 component=sneakernet version=1\n"
		r := run(t, url, "", "node", "manifest", "transport1", "--output", backup)
		device := filepath.Join(root, sneakernet.DeviceManifest)
		m := readManifest(t, device)
		want := "Not listing acq2/nomd5.dat: no MD5 sum recorded.\n" +
			"Wrote manifest " + m.ID + " of 4 files (61 B) on node \"transport1\" to " + device + " and " + backup + ".\n"
		if r.code != 0 || r.stdout != want || r.stderr != "" {
			t.Fatalf("node manifest: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		if after := snapshot(t, s.d); after != before {
			t.Errorf("a plain manifest changed the core tables:\n%s\nwas\n%s", after, before)
		}
		if a, b := readFile(t, device), readFile(t, backup); a != b {
			t.Errorf("the two copies differ:\n%s\n%s", a, b)
		}
		var got []string
		for _, f := range m.Files {
			got = append(got, f.Path()+" "+f.MD5+" "+f.Registered.Format(time.RFC3339Nano))
			if f.Size != int64(len(sneakerFileByPath(f.Path()).content)) {
				t.Errorf("%s: size %d", f.Path(), f.Size)
			}
		}
		var wantFiles []string
		for _, f := range sneakerFiles {
			wantFiles = append(wantFiles, f.path()+" "+f.md5()+" 2025-02-21T23:13:24Z")
		}
		if !slices.Equal(got, wantFiles) || m.Node != "transport1" || m.Destination != "" {
			t.Errorf("manifest lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantFiles, "\n"))
		}
		self, err := sneakernet.Identity(context.Background(), s.d)
		if err != nil || m.Source != self {
			t.Errorf("manifest source %s, data index %s (%v)", m.Source, self, err)
		}
		if got := s.rows(t, "SELECT version FROM dataindexversion WHERE component = 'sneakernet'"); got != "1" {
			t.Errorf("sneakernet version row: %q", got)
		}
		if got := s.rows(t, "SELECT COUNT(*) FROM sneakernet_manifest_file mf JOIN sneakernet_manifest m ON m.id = mf.manifest_id WHERE m.uuid = ? AND mf.unavailable = 0", m.ID); got != "4" {
			t.Errorf("recorded entries: %s", got)
		}

		// With every option: one transaction deactivates the node, records
		// the outgoing files and clears the ready bits.
		r = run(t, url, "", "node", "manifest", "transport1", "--deactivate", "--destination", "siteB", "--mark-unavailable")
		m2 := readManifest(t, device)
		want = "Not listing acq2/nomd5.dat: no MD5 sum recorded.\n" +
			"Wrote manifest " + m2.ID + " of 4 files (61 B) on node \"transport1\" to " + device + ".\n" +
			"Recorded 4 files as outgoing to \"siteB\".\n" +
			"Marked 4 copies on node \"transport1\" unavailable.\n" +
			"Storage node \"transport1\" deactivated.\n"
		if r.code != 0 || r.stdout != want || m2.ID == m.ID || m2.Destination != "siteB" {
			t.Fatalf("node manifest with options: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		if got := s.rows(t, "SELECT active FROM storagenode WHERE name = 'transport1'"); got != "0" {
			t.Errorf("transport1 active = %s", got)
		}
		if got := s.rows(t, `SELECT a.name, f.name, c.has_file, c.ready FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
 JOIN archiveacq a ON a.id = f.acq_id JOIN storagenode n ON n.id = c.node_id WHERE n.name = 'transport1' ORDER BY c.id`); got != strings.Join([]string{
			"2025/02/21|23/1324.dat|Y|0", "2025/02/21|meta.txt|Y|0", "2025/02/22|meta.txt|Y|0", "acq2|x.dat|Y|0",
			"acq2|nomd5.dat|Y|1", "acq2|suspect.dat|M|1"}, "\n") {
			t.Errorf("transport1 copies:\n%s", got)
		}
		if got := s.rows(t, "SELECT m.destination, COUNT(*), SUM(mf.unavailable) FROM sneakernet_manifest m JOIN sneakernet_manifest_file mf ON mf.manifest_id = m.id WHERE m.uuid = ? GROUP BY m.destination", m2.ID); got != "siteB|4|4" {
			t.Errorf("outgoing files: %s", got)
		}

		// Again: nothing left to mark or deactivate.
		r = run(t, url, "", "node", "manifest", "transport1", "--deactivate", "--mark-unavailable")
		if !strings.Contains(r.stdout, "Marked 0 copies on node \"transport1\" unavailable.\nNo change: node \"transport1\" already inactive.\n") {
			t.Errorf("repeated manifest: %s%s", r.stdout, r.stderr)
		}
		// -q silences the report, not the work.
		if r := run(t, url, "", "-q", "node", "manifest", "transport1"); r.code != 0 || r.stdout != "" || readManifest(t, device).ID == m2.ID {
			t.Errorf("quiet manifest: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
	})
}

func TestNodeManifestRefused(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		root := filepath.Join(t.TempDir(), "transport")
		s, _ := transportSource(t, url, root)
		sneakerMust(t, s.d.Gorm.Model(&db.StorageNode{}).Where("name = 'archive1'").Update("root", nil).Error)
		before := s.state(t)
		long := strings.Repeat("d", db.MaxNodeName+1)
		usage := "Usage: alpenhorn node manifest [OPTIONS] NODE\nTry 'alpenhorn node manifest -h' for help.\n\n"
		for _, c := range []struct {
			args   []string
			setup  func()
			code   int
			stderr string
		}{
			{args: []string{"nope"}, code: 1, stderr: "Error: no such node: nope\n"},
			{args: []string{"archive1"}, code: 1, stderr: "Error: node \"archive1\" has no root.\n"},
			{args: []string{"transport1", "--destination="}, code: 2, stderr: usage + "Error: Invalid value for '--destination': must not be empty.\n"},
			{args: []string{"transport1", "--destination", long}, code: 1, stderr: "Error: destination too long: 65 characters (at most 64)\n"},
			{args: []string{"transport1", "--output", t.TempDir()}, code: 2, stderr: "is a directory.\n"},
			{args: []string{"transport1", "--deactivate", "--mark-unavailable", "--output", "/nonexistent/dir/m.json"}, code: 1,
				stderr: "Error: cannot write the manifest to /nonexistent/dir/m.json: no such file or directory\n"},
			// The device is not mounted: the mount point is empty.
			{args: []string{"transport1", "--deactivate"}, code: 1,
				setup:  func() { sneakerMust(t, os.Rename(root, root+".away")); sneakerMust(t, os.Mkdir(root, 0o755)) },
				stderr: "Error: node \"transport1\" is not mounted here: open " + root + "/ALPENHORN_NODE: no such file or directory\n"},
			// Another node's device is.
			{args: []string{"transport1", "--mark-unavailable"}, code: 1,
				setup:  func() { initDevice(t, root, "transport2") },
				stderr: "Error: node \"transport1\" is not mounted here: " + root + "/ALPENHORN_NODE names node \"transport2\"\n"},
		} {
			if c.setup != nil {
				c.setup()
			}
			r := run(t, url, "", append([]string{"node", "manifest"}, c.args...)...)
			if r.code != c.code || !strings.HasSuffix(r.stderr, c.stderr) || r.stdout != "" {
				t.Errorf("%v: exit %d\n%s%s\nwant exit %d, stderr ending\n%s", c.args, r.code, r.stdout, r.stderr, c.code, c.stderr)
			}
			if after := s.state(t); after != before {
				t.Errorf("%v changed the data index:\n%s\nwas\n%s", c.args, after, before)
			}
		}
		for dir, want := range map[string]string{root: "ALPENHORN_NODE", root + ".away": "2025 ALPENHORN_NODE acq2"} {
			var names []string
			entries, err := os.ReadDir(dir)
			sneakerMust(t, err)
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("%s holds %s, want %s", dir, got, want)
			}
		}
	})
}

func readManifest(t *testing.T, path string) *sneakernet.Manifest {
	t.Helper()
	m, err := sneakernet.ReadManifest(path)
	sneakerMust(t, err)
	return m
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	sneakerMust(t, err)
	return string(b)
}

func sneakerFileByPath(p string) sneakerFile {
	for _, f := range sneakerFiles {
		if f.path() == p {
			return f
		}
	}
	return sneakerFile{}
}
