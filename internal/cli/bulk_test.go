package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The tests of the bulk commands (group/node sync, node clean, node verify)
// and of node list/show/stats share one data index:
//
//	group G1: N1 (field, root /data1, host h1, inactive)
//	group G2: N2 (field, host h2, active, class Default, max 0.000001 GiB)
//	group G3: N3 (transport, root /mnt/t, host h2, inactive)
//	group GA: A1 (archive, root /arch, host h1, active)
//
//	file (size)                  copies (has/wants)
//	2025/01/01/f1.dat (1024)     N1 Y/Y, N2 Y/Y, A1 Y/Y
//	2025/01/01/sub/f2.dat (52)   N1 Y/Y, N3 Y/Y, A1 Y/Y
//	acq2/h1.dat (2048)           N1 Y/M, N2 N/Y
//	acq2/h2.dat (4096)           N1 Y/N, N3 Y/N
//	acq2/nosize.dat (NULL)       N1 X/Y, A1 Y/Y
//	acq2/old.dat (100)           N1 M/Y            (registered 30 days ago)
//
// Copy requests: f2 N1→G2 pending, h1 N1→G2 cancelled, f1 N1→G3
// completed, h2 N3→G2 pending, f1 A1→G3 pending. Every other file was
// registered an hour ago.
type bulkIndex struct {
	url            string
	d              *db.DB
	groups, nodes  map[string]int64
	files          map[string]int64
	acqs           map[string]int64
	registeredLast time.Time
}

func newBulkIndex(t *testing.T, url string) *bulkIndex {
	t.Helper()
	initIndex(t, url)
	x := &bulkIndex{url: url, d: testdb.Open(t, url), groups: map[string]int64{}, nodes: map[string]int64{}, files: map[string]int64{}, acqs: map[string]int64{}}
	g := x.d.Gorm
	must := fatalIf(t)
	str := func(s string) *string { return &s }
	num := func(f float64) *float64 { return &f }
	for _, name := range []string{"G1", "G2", "G3", "GA"} {
		row := db.StorageGroup{Name: name}
		must(g.Create(&row).Error)
		x.groups[name] = row.ID
	}
	for _, n := range []db.StorageNode{
		{Name: "N1", GroupID: x.groups["G1"], StorageType: db.StorageField, Root: str("/data1"), Host: str("h1")},
		{Name: "N2", GroupID: x.groups["G2"], StorageType: db.StorageField, Host: str("h2"), Active: true, IOClass: str("Default"),
			MaxTotalGB: num(0.000001), Notes: str("second"), Address: str("addr2"), Username: str("u2"), AutoImport: true, AutoVerify: 3,
			MinAvailGB: 0.5, AvailGB: num(1.5), AvailGBLastChecked: new(demoTime("2025-05-07 21:00:55")), IOConfig: str(`{"a": 1, "b": "x"}`)},
		{Name: "N3", GroupID: x.groups["G3"], StorageType: db.StorageTransport, Root: str("/mnt/t"), Host: str("h2")},
		{Name: "A1", GroupID: x.groups["GA"], StorageType: db.StorageArchive, Root: str("/arch"), Host: str("h1"), Active: true},
	} {
		must(g.Create(&n).Error)
		x.nodes[n.Name] = n.ID
	}
	recent := db.NewTime(time.Now().Add(-time.Hour))
	old := db.NewTime(time.Now().Add(-30 * 24 * time.Hour))
	for _, f := range []struct {
		acq, name string
		size      *int64
		reg       db.Time
	}{
		{"2025/01/01", "f1.dat", new(int64(1024)), recent},
		{"2025/01/01", "sub/f2.dat", new(int64(52)), recent},
		{"acq2", "h1.dat", new(int64(2048)), recent},
		{"acq2", "h2.dat", new(int64(4096)), recent},
		{"acq2", "nosize.dat", nil, recent},
		{"acq2", "old.dat", new(int64(100)), old},
	} {
		if _, ok := x.acqs[f.acq]; !ok {
			a := db.ArchiveAcq{Name: f.acq}
			must(g.Create(&a).Error)
			x.acqs[f.acq] = a.ID
		}
		row := db.ArchiveFile{AcqID: x.acqs[f.acq], Name: f.name, SizeB: f.size, Registered: f.reg}
		must(g.Create(&row).Error)
		x.files[f.acq+"/"+f.name] = row.ID
	}
	for _, c := range []struct {
		file, node string
		has        db.HasFile
		wants      db.WantsFile
	}{
		{"2025/01/01/f1.dat", "N1", db.HasYes, db.WantYes},
		{"2025/01/01/sub/f2.dat", "N1", db.HasYes, db.WantYes},
		{"acq2/h1.dat", "N1", db.HasYes, db.WantMaybe},
		{"acq2/h2.dat", "N1", db.HasYes, db.WantNo},
		{"acq2/nosize.dat", "N1", db.HasCorrupt, db.WantYes},
		{"acq2/old.dat", "N1", db.HasMaybe, db.WantYes},
		{"2025/01/01/f1.dat", "N2", db.HasYes, db.WantYes},
		{"acq2/h1.dat", "N2", db.HasNo, db.WantYes},
		{"2025/01/01/sub/f2.dat", "N3", db.HasYes, db.WantYes},
		{"acq2/h2.dat", "N3", db.HasYes, db.WantNo},
		{"2025/01/01/f1.dat", "A1", db.HasYes, db.WantYes},
		{"2025/01/01/sub/f2.dat", "A1", db.HasYes, db.WantYes},
		{"acq2/nosize.dat", "A1", db.HasYes, db.WantYes},
	} {
		row := db.ArchiveFileCopy{FileID: x.files[c.file], NodeID: x.nodes[c.node], HasFile: c.has, WantsFile: c.wants, LastUpdate: recent}
		must(g.Create(&row).Error)
	}
	for _, r := range []struct {
		file, node, group    string
		completed, cancelled bool
	}{
		{"2025/01/01/sub/f2.dat", "N1", "G2", false, false},
		{"acq2/h1.dat", "N1", "G2", false, true},
		{"2025/01/01/f1.dat", "N1", "G3", true, false},
		{"acq2/h2.dat", "N3", "G2", false, false},
		{"2025/01/01/f1.dat", "A1", "G3", false, false},
	} {
		row := db.ArchiveFileCopyRequest{FileID: x.files[r.file], NodeFromID: x.nodes[r.node], GroupToID: x.groups[r.group],
			Completed: r.completed, Cancelled: r.cancelled, Timestamp: new(demoTime("2025-05-01 12:00:00"))}
		must(g.Create(&row).Error)
	}
	for _, r := range []db.ArchiveFileImportRequest{
		{NodeID: x.nodes["N1"], Path: "acq2", Recurse: true, Timestamp: new(demoTime("2025-02-27 10:00:00"))},
		{NodeID: x.nodes["N1"], Path: db.NodeInitPath, Timestamp: new(demoTime("2025-02-26 22:54:14"))},
		{NodeID: x.nodes["N1"], Path: "done", Completed: true, Timestamp: new(demoTime("2025-02-20 00:00:00"))},
	} {
		must(g.Create(&r).Error)
	}
	for _, e := range []db.StorageTransferAction{
		{NodeFromID: x.nodes["N1"], GroupToID: x.groups["G2"], Autosync: true},
		{NodeFromID: x.nodes["N1"], GroupToID: x.groups["G3"]},
		{NodeFromID: x.nodes["N1"], GroupToID: x.groups["GA"], Autosync: true, Autoclean: true},
	} {
		must(g.Create(&e).Error)
	}
	return x
}

// copies lists the copies of a node as "ACQ/FILE has/wants", by path.
func (x *bulkIndex) copies(t *testing.T, node string) string {
	t.Helper()
	var rows []struct{ Acq, Name, HasFile, WantsFile string }
	err := x.d.Gorm.Table("archivefilecopy AS c").Select("a.name AS acq, f.name AS name, c.has_file, c.wants_file").
		Joins("JOIN archivefile AS f ON f.id = c.file_id").Joins("JOIN archiveacq AS a ON a.id = f.acq_id").
		Where("c.node_id = ?", x.nodes[node]).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s/%s %s/%s", r.Acq, r.Name, r.HasFile, r.WantsFile))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// pending lists the pending copy requests as "ACQ/FILE NODE→GROUP", sorted.
func (x *bulkIndex) pending(t *testing.T) string {
	t.Helper()
	var rows []struct{ Acq, Name, Node, Grp string }
	err := x.d.Gorm.Table("archivefilecopyrequest AS r").Select("a.name AS acq, f.name AS name, n.name AS node, g.name AS grp").
		Joins("JOIN archivefile AS f ON f.id = r.file_id").Joins("JOIN archiveacq AS a ON a.id = f.acq_id").
		Joins("JOIN storagenode AS n ON n.id = r.node_from_id").Joins("JOIN storagegroup AS g ON g.id = r.group_to_id").
		Where("r.completed = 0 AND r.cancelled = 0").Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s/%s %s→%s", r.Acq, r.Name, r.Node, r.Grp))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// bulkCase is one invocation and what it must print.
type bulkCase struct {
	name           string
	args           []string
	stdin          string
	code           int
	stdout, stderr string
	// check inspects the index after a command that writes. A case
	// without it must leave the index unchanged.
	check func(t *testing.T, x *bulkIndex)
}

// runBulkCases runs the cases on every engine: those that must change
// nothing on one shared index, the others each on a fresh one.
func runBulkCases(t *testing.T, cases []bulkCase) {
	t.Helper()
	testdb.Engines(t, func(t *testing.T, url string) {
		shared := newBulkIndex(t, url)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				x := shared
				if c.check != nil {
					x = newBulkIndex(t, testdbURL(t, url))
				}
				before := snapshot(t, x.d)
				r := run(t, x.url, c.stdin, c.args...)
				if r.code != c.code || r.stdout != c.stdout || r.stderr != c.stderr {
					t.Errorf("alpenhorn %s:\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
						strings.Join(c.args, " "), r.code, c.code, r.stdout, c.stdout, r.stderr, c.stderr)
				}
				if c.check != nil {
					c.check(t, x)
				} else if after := snapshot(t, x.d); after != before {
					t.Errorf("alpenhorn %s changed the index:\n%s\nwas:\n%s", strings.Join(c.args, " "), after, before)
				}
			})
		}
	})
}

// testdbURL returns a fresh database on the same engine as url.
func testdbURL(t *testing.T, url string) string {
	t.Helper()
	if strings.HasPrefix(url, "sqlite:") {
		return testdb.SQLiteURL(t)
	}
	return testdb.MariaDB(t)
}

// usageOf is the stderr of a usage error of cmd, e.g. "node sync NODE GROUP".
func usageOf(cmd, msg string) string {
	words := strings.Fields(cmd)
	line := "Usage: alpenhorn " + words[0] + " " + words[1] + " [OPTIONS]"
	if len(words) > 2 {
		line += " " + strings.Join(words[2:], " ")
	}
	return line + "\nTry 'alpenhorn " + words[0] + " " + words[1] + " -h' for help.\n\nError: " + msg + "\n"
}

// writeList writes a file list and returns its path.
func writeList(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const stdinWarning = "WARNING >> stdin has been redirected without --force.  Automatically enabling --check mode.\n"

// The -F option and the confirmation flow are shared by the four bulk
// commands; node sync stands for them here.
func TestBulkFileListAndFlow(t *testing.T) {
	dir := t.TempDir()
	list := writeList(t, "# a comment", "", "  /data1/acq2/h1.dat  ", "#acq2/nosize.dat", "acq2//h2.dat")
	empty := writeList(t, "# nothing", "   ")
	unknown := writeList(t, "acq2/h1.dat", "# comment", "acq2/zzz.dat")
	outside := writeList(t, "/elsewhere/acq2/h1.dat")
	unreadable := filepath.Join(dir, "unreadable")
	if err := os.WriteFile(unreadable, []byte("acq2/h1.dat\n"), 0o200); err != nil {
		t.Fatal(err)
	}
	usage := "node sync NODE GROUP"
	would := "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n"
	cases := []bulkCase{
		{name: "list with root, comments and blanks", args: []string{"node", "sync", "N1", "G2", "--check", "-F", list}, code: ExitWorkToDo, stdout: would},
		{name: "empty list selects nothing", args: []string{"node", "sync", "N1", "G2", "--check", "-F", empty}, stdout: "No files to sync.\n"},
		{name: "unknown line", args: []string{"node", "sync", "N1", "G2", "--check", "--file-list=" + unknown}, code: 1,
			stderr: "Error: No such file on line 3 of " + unknown + ": acq2/zzz.dat\n"},
		{name: "absolute line outside the root", args: []string{"node", "sync", "N1", "G2", "--check", "-F", outside}, code: 1,
			stderr: "Error: No such file on line 1 of " + outside + ": /elsewhere/acq2/h1.dat\n"},
		{name: "node of the list unknown", args: []string{"node", "sync", "NX", "G2", "--check", "-F", list}, code: 1,
			stderr: "Error: No such node: NX\n"},
		{name: "list missing", args: []string{"node", "sync", "N1", "G2", "-F", filepath.Join(dir, "none")}, code: 2,
			stderr: usageOf(usage, "Invalid value for '-F' / '--file-list': File '"+filepath.Join(dir, "none")+"' does not exist.")},
		{name: "list is a directory", args: []string{"node", "sync", "N1", "G2", "-F", dir}, code: 2,
			stderr: usageOf(usage, "Invalid value for '-F' / '--file-list': File '"+dir+"' is a directory.")},
		{name: "list on stdin switches to check mode", args: []string{"node", "sync", "N1", "G2", "-F", "-"},
			stdin: "acq2/h1.dat\n/data1/acq2/h2.dat\n", stdout: would, stderr: stdinWarning},
		{name: "list on stdin with force", args: []string{"node", "sync", "N1", "G2", "-F", "-", "--force"}, stdin: "acq2/h1.dat\n",
			stdout: "Syncing 1 file (2.000 kiB) from Node \"N1\" to Group \"G2\".\n\nAdded 1 new copy request.\n",
			check: func(t *testing.T, x *bulkIndex) {
				if got, want := x.pending(t), "2025/01/01/f1.dat A1→G3\n2025/01/01/sub/f2.dat N1→G2\nacq2/h1.dat N1→G2\nacq2/h2.dat N3→G2"; got != want {
					t.Errorf("pending requests:\n%s\nwant:\n%s", got, want)
				}
			}},
		{name: "declined", args: []string{"node", "sync", "N1", "G2"}, stdin: "n\n",
			stdout: "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" + would + "\nContinue? [y/N]: \nCancelled.\n"},
		{name: "empty answer declines", args: []string{"node", "sync", "N1", "G2"}, stdin: "\n",
			stdout: "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" + would + "\nContinue? [y/N]: \nCancelled.\n"},
		{name: "end of input aborts", args: []string{"node", "sync", "N1", "G2"}, code: 1,
			stdout: "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" + would + "\nContinue? [y/N]: \n",
			stderr: "Aborted!\n"},
		{name: "bad answer asks again", args: []string{"node", "sync", "N1", "G2", "--show-files"}, stdin: "maybe\nYes\n",
			stdout: "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" +
				"Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\":\n\nacq2/h1.dat\nacq2/h2.dat\n\n" +
				"Continue? [y/N]: Error: invalid input\nContinue? [y/N]: \n" +
				"1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n" +
				"Syncing 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n\nAdded 2 new copy requests.\n",
			check: func(t *testing.T, x *bulkIndex) {
				want := "2025/01/01/f1.dat A1→G3\n2025/01/01/sub/f2.dat N1→G2\nacq2/h1.dat N1→G2\nacq2/h2.dat N1→G2\nacq2/h2.dat N3→G2"
				if got := x.pending(t); got != want {
					t.Errorf("pending requests:\n%s\nwant:\n%s", got, want)
				}
			}},
	}
	if os.Geteuid() != 0 {
		// root reads any file.
		cases = append(cases, bulkCase{name: "list unreadable", args: []string{"node", "sync", "N1", "G2", "-F", unreadable}, code: 2,
			stderr: usageOf(usage, "Invalid value for '-F' / '--file-list': File '"+unreadable+"' is not readable.")})
	}
	runBulkCases(t, cases)
}
