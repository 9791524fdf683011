package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestLargeScan: a scan finding more new files than it queues at once
// (1,000) queues the rest in turn, imports every file exactly once, and
// completes its request only after queueing the last.
func TestLargeScan(t *testing.T) {
	const files = 2100
	// Without the race detector: thousands of imports under it take a
	// minute, and the scan's own concurrency is what the other tests cover.
	bin := daemontest.Build(t, "./cmd/alpenhornd", false)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
		w.InitNode(n)
		for i := range files {
			daemontest.WriteFile(t, n, fmt.Sprintf("2025/02/21/%02d/%02d%02d.dat", i/1000, i%1000/60, i%60), fmt.Sprintf("%d\n", i))
		}
		scan := w.Request(n, ".", true, true)
		d := w.StartDaemon("alpha", daemontest.Settings{Level: "info"})

		// A batch's lines are logged after its commit.
		w.WaitForWithin("scan imported", 5*time.Minute, func() bool {
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID) == files &&
				d.CountLogged("Imported file copy") == files
		}, d)
		if !w.ImportRequest(scan.ID).Completed {
			t.Error("scan request pending after every file was imported")
		}
		if got := w.Count(&db.ArchiveFile{}, "1 = 1"); got != files {
			t.Errorf("%d files registered, want %d", got, files)
		}
		if got := d.CountLogged(`Beginning task Scan "." on storage1 (continued)`); got != 2 {
			t.Errorf("scan continued %d times, want 2", got)
		}
	})
}

// TestScanBatch: the files of one scan are recorded together, each with
// the outcome it would have alone: new acquisitions and files registered
// with their type records, a file registered earlier given a copy, a copy
// recorded missing marked suspect, paths no detector accepts left alone,
// and the autosync requests of every copy recorded created.
func TestScanBatch(t *testing.T) {
	bin := daemontest.Build(t, "./cmd/alpenhornd", false)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
		g2 := w.Group("archive2")
		w.InitNode(n)
		w.Create(&db.StorageTransferAction{NodeFromID: n.ID, GroupToID: g2.ID, Autosync: true})

		daemontest.WriteFile(t, n, "2025/02/21/00/0001.dat", "new\n")
		daemontest.WriteFile(t, n, "2025/02/22/00/0002.dat", "a\n")
		daemontest.WriteFile(t, n, "2025/02/22/00/0003.dat", "b\n")
		daemontest.WriteFile(t, n, "notacq/x.dat", "x\n")
		prereg := w.File("2025/02/21", "00/0004.dat", "pre\n")
		daemontest.WriteFile(t, n, "2025/02/21/00/0004.dat", "pre\n")
		gone := w.File("2025/02/21", "00/0005.dat", "gone\n", n)
		w.Exec("UPDATE archivefilecopy SET has_file = 'N' WHERE file_id = ?", gone.ID)

		scan := w.Request(n, ".", true, true)
		d := w.StartDaemon("alpha", daemontest.Settings{Level: "debug"})
		w.WaitFor("scan done", func() bool {
			return w.ImportRequest(scan.ID).Completed &&
				w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file != 'N'", n.ID) == 5
		}, d)
		w.WaitFor("imports logged", func() bool { return d.CountLogged("Imported file copy") == 4 }, d)

		d.ExpectLogged(t,
			`Acquisition "2025/02/22" added to DB.`,
			`File "2025/02/21/00/0001.dat" added to DB.`,
			`File "2025/02/22/00/0002.dat" added to DB.`,
			`File "2025/02/22/00/0003.dat" added to DB.`,
			`File "2025/02/21/00/0004.dat" already in DB.`,
			`Imported missing file "2025/02/21/00/0005.dat" on node storage1.  Marking suspect.`,
			`Not importing non-acquisition path: notacq/x.dat`,
		)
		if got := d.CountLogged(`Acquisition "2025/02/22" added to DB.`); got != 1 {
			t.Errorf("new acquisition logged %d times", got)
		}
		// Suspect, unless the next pass has checked it already.
		if has, _ := w.CopyState(gone.ID, n.ID); has != db.HasMaybe &&
			!(has == db.HasYes && d.Logged("File 2025/02/21/00/0005.dat on node storage1 is A-OK!")) {
			t.Errorf("reappeared copy: has_file %q, want M", has)
		}
		if has, _ := w.CopyState(prereg.ID, n.ID); has != db.HasYes {
			t.Errorf("copy of the registered file: has_file %q, want Y", has)
		}
		if got := w.Count(&db.ArchiveFile{}, "1 = 1"); got != 5 {
			t.Errorf("%d files, want 5", got)
		}
		// Type records for what the scan created: one new acquisition,
		// three new files.
		var acqData, fileData int64
		w.DB.Gorm.Table("acqdata").Count(&acqData)
		w.DB.Gorm.Table("filedata").Count(&fileData)
		if acqData != 1 || fileData != 3 {
			t.Errorf("type records: %d acqdata, %d filedata; want 1, 3", acqData, fileData)
		}
		// Autosync: a request for every copy the scan recorded, the
		// suspect one included (its pull waits for its check).
		if got := w.Count(&db.ArchiveFileCopyRequest{}, "group_to_id = ? AND node_from_id = ?", g2.ID, n.ID); got != 5 {
			t.Errorf("%d autosync requests, want 5", got)
		}
	})
}

// TestWatchedDirectoryMovedIn: an acquisition directory moved into a
// watched node is imported through the watcher in a few batches, not one
// task per file, each file once.
func TestWatchedDirectoryMovedIn(t *testing.T) {
	const files = 600
	bin := daemontest.Build(t, "./cmd/alpenhornd", false)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha", AutoImport: true})
		w.InitNode(n)
		d := w.StartDaemon("alpha", daemontest.Settings{Level: "info"})
		w.WaitFor("watcher", func() bool { return d.Logged("Watching node") }, d)

		// Written outside the node, on the same filesystem, then moved in.
		outside := t.TempDir()
		staging := &db.StorageNode{Root: &outside}
		for i := range files {
			daemontest.WriteFile(t, staging, fmt.Sprintf("2025/02/21/%02d/00%02d.dat", i/60, i%60), fmt.Sprintf("%d\n", i))
		}
		if err := os.Rename(filepath.Join(outside, "2025"), filepath.Join(*n.Root, "2025")); err != nil {
			t.Fatal(err)
		}

		// A batch's lines are logged after its commit.
		w.WaitForWithin("directory imported", 2*time.Minute, func() bool {
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID) == files &&
				d.CountLogged("Imported file copy") == files
		}, d)
		if got := w.Count(&db.ArchiveFile{}, "1 = 1"); got != files {
			t.Errorf("%d files registered, want %d", got, files)
		}
		if tasks := d.CountLogged("Beginning task Import "); tasks > files/10 {
			t.Errorf("%d import tasks for %d files", tasks, files)
		}
	})
}
