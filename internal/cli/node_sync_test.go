package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// wantPending returns a check that the pending copy requests are these.
func wantPending(lines ...string) func(t *testing.T, x *bulkIndex) {
	return func(t *testing.T, x *bulkIndex) {
		t.Helper()
		if got, want := x.pending(t), strings.Join(lines, "\n"); got != want {
			t.Errorf("pending requests:\n%s\nwant:\n%s", got, want)
		}
	}
}

func TestNodeSync(t *testing.T) {
	const (
		scheduled = "1 file (52 B) already scheduled for sync from Node \"N1\" to Group \"G2\"\n"
		usage     = "node sync NODE GROUP"
	)
	runBulkCases(t, []bulkCase{
		{name: "check", args: []string{"node", "sync", "N1", "G2", "--check"}, code: ExitWorkToDo,
			stdout: scheduled + "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n"},
		{name: "check listing acquisitions and files", args: []string{"node", "sync", "N1", "G2", "-c", "--show-acqs", "--show-files"}, code: ExitWorkToDo,
			stdout: scheduled + "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\":\n\n" +
				"2025/01/01 [1 file]\n    2025/01/01/sub/f2.dat\nacq2 [2 files]\n    acq2/h1.dat\n    acq2/h2.dat\n"},
		{name: "check listing acquisitions", args: []string{"node", "sync", "N1", "G2", "-c", "--show-acqs"}, code: ExitWorkToDo,
			stdout: scheduled + "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\":\n\n2025/01/01 [1 file]\nacq2 [2 files]\n"},
		{name: "check listing new files", args: []string{"node", "sync", "N1", "G2", "-c", "--show-files"}, code: ExitWorkToDo,
			stdout: scheduled + "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\":\n\nacq2/h1.dat\nacq2/h2.dat\n"},
		// A released copy on the destination still counts as there; the
		// completed request into G3 does not count as scheduled.
		{name: "destination holds released copy", args: []string{"node", "sync", "N1", "G3", "--check", "--show-files"}, code: ExitWorkToDo,
			stdout: "Would sync 2 files (3.000 kiB) from Node \"N1\" to Group \"G3\":\n\n2025/01/01/f1.dat\nacq2/h1.dat\n"},
		// f2 is healthy in G3; h2's copy there is released, so not skipped.
		{name: "target", args: []string{"node", "sync", "N1", "G2", "--check", "--target", "G3"}, code: ExitWorkToDo,
			stdout: "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n"},
		{name: "targets are any of", args: []string{"node", "sync", "N1", "G3", "--check", "--target", "G2", "--target", "GA", "--target", "g2"}, code: ExitWorkToDo,
			stdout: "Would sync 1 file (2.000 kiB) from Node \"N1\" to Group \"G3\".\n"},
		{name: "acquisition", args: []string{"node", "sync", "N1", "G2", "--check", "--acq", "acq2", "--acq", "acq2"}, code: ExitWorkToDo,
			stdout: "Would sync 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n"},
		{name: "everything already scheduled", args: []string{"node", "sync", "N1", "G2", "--acq", "2025/01/01"},
			stdout: scheduled + "No additional files to sync.\n"},
		{name: "unknown size", args: []string{"node", "sync", "A1", "G2", "--check", "--show-acqs"}, code: ExitWorkToDo,
			stdout: "Would sync 2 files (unknown size) from Node \"A1\" to Group \"G2\":\n\n2025/01/01 [1 file]\nacq2 [1 file]\n"},
		{name: "nothing to sync", args: []string{"node", "sync", "N2", "G1"}, stdout: "No files to sync.\n"},
		{name: "names as stored", args: []string{"node", "sync", "n1", "g2", "--check", "--acq", "2025/01/01"},
			stdout: scheduled + "No additional files to sync.\n"},
		{name: "force", args: []string{"node", "sync", "N1", "G2", "--force"},
			stdout: scheduled + "Syncing 2 files (6.000 kiB) from Node \"N1\" to Group \"G2\".\n\nAdded 2 new copy requests.\n",
			check:  wantPending("2025/01/01/f1.dat A1→G3", "2025/01/01/sub/f2.dat N1→G2", "acq2/h1.dat N1→G2", "acq2/h2.dat N1→G2", "acq2/h2.dat N3→G2")},
		{name: "force lists once", args: []string{"node", "sync", "N1", "G3", "--force", "--show-acqs", "--show-files"},
			stdout: "Syncing 2 files (3.000 kiB) from Node \"N1\" to Group \"G3\":\n\n" +
				"2025/01/01 [1 file]\n    2025/01/01/f1.dat\nacq2 [1 file]\n    acq2/h1.dat\n\nAdded 2 new copy requests.\n",
			check: wantPending("2025/01/01/f1.dat A1→G3", "2025/01/01/f1.dat N1→G3", "2025/01/01/sub/f2.dat N1→G2", "acq2/h1.dat N1→G3", "acq2/h2.dat N3→G2")},
		{name: "confirmed", args: []string{"node", "sync", "A1", "G3", "--show-files"}, stdin: "y\n",
			stdout: "1 file (1.000 kiB) already scheduled for sync from Node \"A1\" to Group \"G3\"\n" +
				"Would sync 1 file (unknown size) from Node \"A1\" to Group \"G3\":\n\nacq2/nosize.dat\n\nContinue? [y/N]: \n" +
				"1 file (1.000 kiB) already scheduled for sync from Node \"A1\" to Group \"G3\"\n" +
				"Syncing 1 file (unknown size) from Node \"A1\" to Group \"G3\".\n\nAdded 1 new copy request.\n",
			check: wantPending("2025/01/01/f1.dat A1→G3", "2025/01/01/sub/f2.dat N1→G2", "acq2/h2.dat N3→G2", "acq2/nosize.dat A1→G3")},

		{name: "cancel from node to group", args: []string{"node", "sync", "N1", "G2", "--cancel", "--force"},
			stdout: "Cancelling 1 pending transfer request.\n\nCancelled 1 transfer request.\n",
			check:  wantPending("2025/01/01/f1.dat A1→G3", "acq2/h2.dat N3→G2")},
		{name: "cancel everything from node", args: []string{"node", "sync", "A1", "--all", "-x", "--check", "--show-acqs", "--show-files"}, code: ExitWorkToDo,
			stdout: "Would cancel 1 pending transfer request:\n\n2025/01/01 [1 request]\n    2025/01/01/f1.dat\n"},
		{name: "cancel nothing", args: []string{"node", "sync", "N2", "-a", "--cancel"}, stdout: "No requests to cancel.\n"},
		{name: "cancel with file list", args: []string{"node", "sync", "N3", "G2", "-x", "--check", "-F", writeList(t, "acq2/h1.dat")},
			stdout: "No requests to cancel.\n"},

		{name: "check and force", args: []string{"node", "sync", "N1", "G2", "--check", "--force"}, code: 2,
			stderr: usageOf(usage, "cannot use both --check and --force")},
		{name: "all without cancel", args: []string{"node", "sync", "N1", "--all"}, code: 2,
			stderr: usageOf(usage, "--all may only be used with --cancel")},
		{name: "cancel with target", args: []string{"node", "sync", "N1", "G2", "--cancel", "--target", "G3"}, code: 2,
			stderr: usageOf(usage, "cannot use both --cancel and --target")},
		{name: "no group", args: []string{"node", "sync", "N1"}, code: 2,
			stderr: usageOf(usage, "GROUP or --all must be provided.")},
		{name: "all with group", args: []string{"node", "sync", "N1", "G2", "--all", "--cancel"}, code: 2,
			stderr: usageOf(usage, "Can't use --all with GROUP.")},
		{name: "no node", args: []string{"node", "sync"}, code: 2, stderr: usageOf(usage, "Missing argument 'NODE'.")},
		{name: "extra argument", args: []string{"node", "sync", "N1", "G2", "G3"}, code: 2,
			stderr: usageOf(usage, "Got unexpected extra argument (G3)")},
		{name: "unknown node", args: []string{"node", "sync", "NX", "G2"}, code: 1, stderr: "Error: No such node: NX\n"},
		{name: "unknown group", args: []string{"node", "sync", "N1", "GX"}, code: 1, stderr: "Error: No such group: GX\n"},
		{name: "unknown acquisition", args: []string{"node", "sync", "N1", "G2", "--acq", "nope"}, code: 1,
			stderr: "Error: No such acquisition: nope\n"},
		{name: "unknown target", args: []string{"node", "sync", "N1", "G2", "--target", "nope", "--force"}, code: 1,
			stderr: "Error: no such group: nope\n"},
	})
}

// Selections larger than one statement's chunk are handled whole.
func TestBulkChunks(t *testing.T) {
	const files = 2*index.IDChunk + 3
	testdb.Engines(t, func(t *testing.T, url string) {
		initIndex(t, url)
		fillNode(t, testdb.Open(t, url), files)
		for _, c := range []struct {
			args []string
			last string
		}{
			{[]string{"node", "sync", "SRC", "DST", "--force"}, fmt.Sprintf("Added %d new copy requests.", files)},
			{[]string{"group", "sync", "DST", "--all", "--cancel", "--force"}, fmt.Sprintf("Cancelled %d transfer requests.", files)},
			{[]string{"node", "verify", "SRC", "--healthy", "--force"}, fmt.Sprintf("Updated %d files.", files)},
			{[]string{"node", "verify", "SRC", "--cancel", "--healthy", "--force"}, fmt.Sprintf("Updated %d files.", files)},
			{[]string{"node", "clean", "SRC", "--now", "--force"}, fmt.Sprintf("Updated %d files.", files)},
		} {
			r := run(t, url, "", c.args...)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if r.code != 0 || lines[len(lines)-1] != c.last {
				t.Errorf("alpenhorn %s: exit %d\n%s%s\nwant last line: %s", strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.last)
			}
		}
	})
}

// BenchmarkNodeSync100k measures `node sync --force` making copy requests
// for 100 000 files, on each engine.
func BenchmarkNodeSync100k(b *testing.B) {
	const files = 100000
	for _, engine := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testdb.SQLiteURL}, {"mariadb", testdb.MariaDB}} {
		b.Run(engine.name, func(b *testing.B) {
			url := engine.url(b)
			if r := run(b, url, "", "db", "init"); r.code != 0 {
				b.Fatalf("db init: %s", r.stderr)
			}
			d := testdb.Open(b, url)
			fillNode(b, d, files)
			want := fmt.Sprintf("Added %d new copy requests.", files)
			for b.Loop() {
				r := run(b, url, "", "node", "sync", "--force", "SRC", "DST")
				if r.code != 0 || !strings.Contains(r.stdout, want) {
					b.Fatalf("node sync: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				b.StopTimer()
				// TRUNCATE leaves MariaDB no deleted rows to purge, which
				// would slow the next run down.
				empty := "DELETE FROM archivefilecopyrequest"
				if d.Engine == db.MySQL {
					empty = "TRUNCATE TABLE archivefilecopyrequest"
				}
				if err := d.Gorm.Exec(empty).Error; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// fillNode makes node SRC (group SRC) hold n files and an empty group DST.
func fillNode(b testing.TB, d *db.DB, n int) {
	b.Helper()
	g := d.Gorm
	must := fatalIf(b)
	src, dst := db.StorageGroup{Name: "SRC"}, db.StorageGroup{Name: "DST"}
	must(g.Create(&src).Error)
	must(g.Create(&dst).Error)
	node := db.StorageNode{Name: "SRC", GroupID: src.ID, StorageType: db.StorageField}
	must(g.Create(&node).Error)
	must(g.Create(&db.StorageNode{Name: "DST", GroupID: dst.ID, StorageType: db.StorageField}).Error)
	acq := db.ArchiveAcq{Name: "bench"}
	must(g.Create(&acq).Error)
	now := db.NewTime(time.Now())
	const chunk = 1000
	for start := 0; start < n; start += chunk {
		files := make([]db.ArchiveFile, 0, chunk)
		for i := start; i < min(start+chunk, n); i++ {
			size := int64(i)
			files = append(files, db.ArchiveFile{AcqID: acq.ID, Name: fmt.Sprintf("f%06d.dat", i), SizeB: &size, Registered: now})
		}
		must(g.Create(&files).Error)
		copies := make([]db.ArchiveFileCopy, len(files))
		for i, f := range files {
			copies[i] = db.ArchiveFileCopy{FileID: f.ID, NodeID: node.ID, HasFile: db.HasYes, WantsFile: db.WantYes, LastUpdate: now}
		}
		must(g.Create(&copies).Error)
	}
}
