package daemon_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// TestAutoImport: a node (whose root is a symlink to its disk) is
// initialised on request, then files appearing in it are imported as they
// are written, with the lock-file and temporary-name disciplines, and
// dot-files never are.
func TestAutoImport(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g := w.Group("storage1")
		n := w.Node("storage1", g, daemontest.NodeSpec{Host: "alpha", AutoImport: true, Root: linkedRoot(t)})
		initReq := w.Request(n, "ALPENHORN_NODE", false, false)
		d := w.StartDaemon("alpha", daemontest.Settings{})

		w.WaitFor("node initialised", func() bool { return w.ImportRequest(initReq.ID).Completed }, d)
		if data, err := os.ReadFile(filepath.Join(*n.Root, "ALPENHORN_NODE")); err != nil || string(data) != "storage1\n" {
			t.Fatalf("node file: %q, %v", data, err)
		}
		w.WaitFor("watcher", func() bool { return d.Logged(`Watching node "storage1" root "` + *n.Root + `" for auto import.`) }, d)

		// A locked file is skipped until its lock goes.
		lock := daemontest.WriteFile(t, n, "2025/02/21/.meta.txt.lock", "")
		daemontest.WriteFile(t, n, "2025/02/21/meta.txt", "This is the first acquisition in the alpenhorn demo\n")
		w.WaitFor("locked file skipped", func() bool { return d.Logged(`Skipping "2025/02/21/meta.txt": locked.`) }, d)
		if w.Count(&db.ArchiveFile{}, "1 = 1") != 0 {
			t.Fatal("locked file was registered")
		}
		if err := os.Remove(lock); err != nil {
			t.Fatal(err)
		}
		var meta db.ArchiveFile
		w.WaitFor("meta.txt imported", func() bool {
			return w.DB.Gorm.Where("name = ?", "meta.txt").Limit(1).Find(&meta).RowsAffected == 1
		}, d)
		if *meta.SizeB != 52 || *meta.MD5Sum != "4f2a66c1ff5eb90a5013522d53ea2e91" {
			t.Errorf("meta.txt registered with size %d, md5 %s", *meta.SizeB, *meta.MD5Sum)
		}
		w.WaitFor("meta.txt copy", func() bool { h, _ := w.CopyState(meta.ID, n.ID); return h == db.HasYes }, d)

		// A temporary name is no acquisition file; the rename is imported.
		tmp := daemontest.WriteFile(t, n, "2025/02/21/23/1324.dat.temp", "0 1 2 3 4 5\n")
		w.WaitFor("temp file refused", func() bool {
			return d.Logged("Not importing non-acquisition path: 2025/02/21/23/1324.dat.temp")
		}, d)
		if err := os.Rename(tmp, filepath.Join(filepath.Dir(tmp), "1324.dat")); err != nil {
			t.Fatal(err)
		}
		w.WaitFor("renamed file imported", func() bool {
			return w.Count(&db.ArchiveFile{}, "name = ?", "23/1324.dat") == 1
		}, d)

		// Dot-files are never imported, even where a pattern would match.
		daemontest.WriteFile(t, n, "2025/02/21/23/.1330.dat", "hidden\n")
		daemontest.WriteFile(t, n, "2025/02/21/23/1342.dat", "3 4 5 6 7 8\n")
		w.WaitFor("later file imported", func() bool {
			return w.Count(&db.ArchiveFile{}, "name = ?", "23/1342.dat") == 1
		}, d)
		if n := w.Count(&db.ArchiveFile{}, "name LIKE ?", "%.1330.dat"); n != 0 {
			t.Errorf("dot-file registered")
		}
		if got := w.Count(&db.ArchiveAcq{}, "1 = 1"); got != 1 {
			t.Errorf("%d acquisitions registered, want 1", got)
		}
		if got := w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID); got != 3 {
			t.Errorf("%d copies on the node, want 3", got)
		}
	})
}

// linkedRoot returns a node root that is a symbolic link to a directory,
// as a root pointing at a mount point is.
func linkedRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "disk"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "node")
	if err := os.Symlink(filepath.Join(dir, "disk"), link); err != nil {
		t.Fatal(err)
	}
	return link
}

// fileID returns the id of the file called name.
func fileID(t *testing.T, w *daemontest.World, name string) int64 {
	t.Helper()
	var f db.ArchiveFile
	if err := w.DB.Gorm.Where("name = ?", name).First(&f).Error; err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// TestRemoteSync: two daemons on two "hosts" share the data index; the
// destination's daemon pulls over ssh (a real sshd on 127.0.0.1), checks
// the data and records the copy and the request's completion.
func TestRemoteSync(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	srv := sshtest.Start(t, "alphahost")
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2 := w.Group("storage1"), w.Group("storage2")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", Username: srv.User, Address: "alphahost"})
		n2 := w.Node("storage2", g2, daemontest.NodeSpec{Host: "beta"})
		w.InitNode(n1)
		w.InitNode(n2)
		meta := w.File("2025/02/21", "meta.txt", "This is the first acquisition in the alpenhorn demo\n", n1)
		dat := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
		r1 := w.Sync(meta, n1, g2)
		r2 := w.Sync(dat, n1, g2)

		alpha := w.StartDaemon("alpha", daemontest.Settings{})
		beta := w.StartDaemon("beta", daemontest.Settings{}, transfer.SSHConfigEnv+"="+srv.ConfigFile)
		w.WaitFor("both pulls", func() bool {
			return w.CopyRequest(r1.ID).Completed && w.CopyRequest(r2.ID).Completed
		}, alpha, beta)

		for _, f := range []*db.ArchiveFile{meta, dat} {
			if h, wants := w.CopyState(f.ID, n2.ID); h != db.HasYes || wants != db.WantYes {
				t.Errorf("copy of %s on storage2: %s%s", f.Name, h, wants)
			}
		}
		if got := daemontest.ReadNodeFile(t, n2, "2025/02/21/23/1324.dat"); got != "0 1 2 3 4 5\n" {
			t.Errorf("pulled file holds %q", got)
		}
		r := w.CopyRequest(r1.ID)
		if r.Cancelled || r.TransferStarted == nil || r.TransferCompleted == nil {
			t.Errorf("request after pull: %+v", r)
		}
		beta.ExpectLogged(t,
			"Beginning task Pre-pull search for 2 files in storage2",
			"Beginning task AFCR#1, #2: storage1 -> storage2",
			"Pulling remote file 2025/02/21/meta.txt using rsync",
			"Pull of 2025/02/21/meta.txt complete. Transferred 52 B in ",
		)
		// Nothing is left beside the files.
		entries, _ := os.ReadDir(filepath.Join(*n2.Root, "2025/02/21"))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("left behind: %s", e.Name())
			}
		}
	})
}

// TestLocalSync: a pull between two nodes of one host is a hard link when
// both are archive nodes or neither is, and a copy otherwise.
func TestLocalSync(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2, g3 := w.Group("storage1"), w.Group("storage2"), w.Group("archive3")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("storage2", g2, daemontest.NodeSpec{Host: "alpha"})
		n3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
		for _, n := range []*db.StorageNode{n1, n2, n3} {
			w.InitNode(n)
		}
		dat := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
		r1 := w.Sync(dat, n1, g2)
		r2 := w.Sync(dat, n1, g3)
		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("pulls", func() bool { return w.CopyRequest(r1.ID).Completed && w.CopyRequest(r2.ID).Completed }, d)

		src, _ := os.Stat(filepath.Join(*n1.Root, "2025/02/21/23/1324.dat"))
		linked, _ := os.Stat(filepath.Join(*n2.Root, "2025/02/21/23/1324.dat"))
		copied, _ := os.Stat(filepath.Join(*n3.Root, "2025/02/21/23/1324.dat"))
		if !os.SameFile(src, linked) {
			t.Error("pull between non-archive nodes is not a hard link")
		}
		if copied == nil || os.SameFile(src, copied) {
			t.Error("pull into an archive node from a non-archive one is not a copy")
		}
		if !d.Logged("Hardlinked local file 2025/02/21/23/1324.dat") || !d.Logged("Pulling local file 2025/02/21/23/1324.dat using internal copy") {
			t.Error("pull methods not logged")
		}
	})
}

// TestVerifyRepair: a corrupted copy is found by a verify request and
// repaired by pulling a good copy over it; a known-corrupt source is never
// pulled from.
func TestVerifyRepair(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2, g3 := w.Group("storage1"), w.Group("storage2"), w.Group("storage3")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("storage2", g2, daemontest.NodeSpec{Host: "alpha"})
		n3 := w.Node("storage3", g3, daemontest.NodeSpec{Host: "alpha"})
		for _, n := range []*db.StorageNode{n1, n2, n3} {
			w.InitNode(n)
		}
		meta := w.File("2025/02/21", "meta.txt", "This is the first acquisition in the alpenhorn demo\n", n1, n2)
		dat := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1, n2)
		daemontest.WriteFile(t, n1, "2025/02/21/23/1324.dat", "bad data\n")

		d := w.StartDaemon("alpha", daemontest.Settings{})
		// As `node verify --all storage1` does.
		w.Exec("UPDATE archivefilecopy SET has_file = 'M' WHERE node_id = ?", n1.ID)
		w.WaitFor("checks", func() bool {
			a, _ := w.CopyState(meta.ID, n1.ID)
			b, _ := w.CopyState(dat.ID, n1.ID)
			return a != db.HasMaybe && b != db.HasMaybe
		}, d)
		if h, _ := w.CopyState(meta.ID, n1.ID); h != db.HasYes {
			t.Errorf("good copy checked as %s", h)
		}
		if h, wants := w.CopyState(dat.ID, n1.ID); h != db.HasCorrupt || wants != db.WantYes {
			t.Fatalf("corrupt copy checked as %s%s", h, wants)
		}
		if !d.Logged("File 2025/02/21/23/1324.dat on node storage1 is corrupt! Size: 9; expected: 12") ||
			!d.Logged("File 2025/02/21/meta.txt on node storage1 is A-OK!") {
			t.Error("check results not logged")
		}

		// The corrupt copy is no source: a request from it is cancelled.
		bad := w.Sync(dat, n1, g3)
		w.WaitFor("request from corrupt copy cancelled", func() bool { return w.CopyRequest(bad.ID).Cancelled }, d)
		if h, _ := w.CopyState(dat.ID, n3.ID); h != "" {
			t.Errorf("corrupt copy was pulled: %s", h)
		}

		// Syncing back the good copy overwrites the corrupt one.
		fix := w.Sync(dat, n2, g1)
		w.WaitFor("repair", func() bool { return w.CopyRequest(fix.ID).Completed }, d)
		if h, _ := w.CopyState(dat.ID, n1.ID); h != db.HasYes {
			t.Errorf("repaired copy is %s", h)
		}
		if got := daemontest.ReadNodeFile(t, n1, "2025/02/21/23/1324.dat"); got != "0 1 2 3 4 5\n" {
			t.Errorf("repaired file holds %q", got)
		}
		if d.Logged("Pre-pull search for 2025/02/21/23/1324.dat in storage1") {
			t.Error("overwriting a corrupt copy went through the pre-pull search")
		}
	})
}

// TestCleanArchiveGuard: a released copy is deleted only once two other
// archive nodes hold the file; then its emptied directories go too, up to
// the node root.
func TestCleanArchiveGuard(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2, g3 := w.Group("storage1"), w.Group("archive2"), w.Group("archive3")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
		n3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
		for _, n := range []*db.StorageNode{n1, n2, n3} {
			w.InitNode(n)
		}
		dat := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
		// As `file clean --now` does.
		w.Exec("UPDATE archivefilecopy SET wants_file = 'N' WHERE node_id = ?", n1.ID)

		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("refusal", func() bool {
			return d.Logged("Too few archive copies (0) to delete 2025/02/21/23/1324.dat on storage1.")
		}, d)
		daemontest.WriteFile(t, n2, "2025/02/21/23/1324.dat", "0 1 2 3 4 5\n")
		w.Create(&db.ArchiveFileCopy{FileID: dat.ID, NodeID: n2.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, LastUpdate: db.Now()})
		w.WaitFor("second refusal", func() bool {
			return d.Logged("Too few archive copies (1) to delete 2025/02/21/23/1324.dat on storage1.")
		}, d)
		if _, err := os.Stat(filepath.Join(*n1.Root, "2025/02/21/23/1324.dat")); err != nil {
			t.Fatalf("file deleted with one archive copy: %v", err)
		}

		r := w.Sync(dat, n2, g3)
		w.WaitFor("deletion", func() bool { h, _ := w.CopyState(dat.ID, n1.ID); return h == db.HasNo }, d)
		if !w.CopyRequest(r.ID).Completed {
			t.Error("the sync did not complete")
		}
		if _, wants := w.CopyState(dat.ID, n1.ID); wants != db.WantNo {
			t.Errorf("deleted copy wants_file %s", wants)
		}
		entries, err := os.ReadDir(*n1.Root)
		if err != nil || len(entries) != 1 || entries[0].Name() != "ALPENHORN_NODE" {
			t.Errorf("node root after deletion: %v %v", entries, err)
		}
		d.ExpectLogged(t,
			"Removed file copy 2025/02/21/23/1324.dat on storage1",
			"Removed directory "+filepath.Join(*n1.Root, "2025/02/21/23")+" on storage1",
			"Removed directory "+filepath.Join(*n1.Root, "2025")+" on storage1",
		)
	})
}

// TestAutoActions: a file imported on storage1 is synced on to storage2 and
// from there to archive3 by autosync, and released from storage1 by
// autoclean once archive3 has it, then deleted there (two archive copies
// exist by then).
func TestAutoActions(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2, g3 := w.Group("storage1"), w.Group("archive2"), w.Group("archive3")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
		n3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
		for _, n := range []*db.StorageNode{n1, n2, n3} {
			w.InitNode(n)
		}
		w.Create(&db.StorageTransferAction{NodeFromID: n1.ID, GroupToID: g2.ID, Autosync: true})
		w.Create(&db.StorageTransferAction{NodeFromID: n2.ID, GroupToID: g3.ID, Autosync: true})
		w.Create(&db.StorageTransferAction{NodeFromID: n1.ID, GroupToID: g3.ID, Autoclean: true})

		d := w.StartDaemon("alpha", daemontest.Settings{})
		daemontest.WriteFile(t, n1, "2025/02/26/02/0011.dat", "14 15 16 17 18\n")
		req := w.Request(n1, "2025/02/26", true, true)
		w.WaitFor("scan", func() bool { return w.ImportRequest(req.ID).Completed }, d)

		var f db.ArchiveFile
		w.WaitFor("registration", func() bool {
			return w.DB.Gorm.Where("name = ?", "02/0011.dat").Limit(1).Find(&f).RowsAffected == 1
		}, d)
		w.WaitFor("chain", func() bool {
			h2, _ := w.CopyState(f.ID, n2.ID)
			h3, _ := w.CopyState(f.ID, n3.ID)
			h1, _ := w.CopyState(f.ID, n1.ID)
			return h2 == db.HasYes && h3 == db.HasYes && h1 == db.HasNo
		}, d)
		if got := w.Count(&db.ArchiveFileCopyRequest{}, "completed = ?", true); got != 2 {
			t.Errorf("%d requests completed, want 2", got)
		}
		if _, err := os.Stat(filepath.Join(*n1.Root, "2025")); !os.IsNotExist(err) {
			t.Errorf("storage1 still holds the acquisition: %v", err)
		}
	})
}

// TestImportRequests: `file import` and `node scan` requests (on a node
// whose root is a symlink), with and without permission to register new
// files; duplicate requests register a file once.
func TestImportRequests(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g := w.Group("storage1")
		n := w.Node("storage1", g, daemontest.NodeSpec{Host: "alpha", Root: linkedRoot(t)})
		w.InitNode(n)
		daemontest.WriteFile(t, n, "2025/02/21/23/1330.dat", "0 1 2 3 4 5\n")
		daemontest.WriteFile(t, n, "2025/02/21/23/1342.dat", "3 4 5 6 7 8\n")
		daemontest.WriteFile(t, n, "2025/02/21/23/1349.dat", "9 10 11 12 13\n")
		daemontest.WriteFile(t, n, "2025/02/22/meta.txt", "another\n")

		unreg := w.Request(n, "2025/02/22/meta.txt", false, false)
		one := w.Request(n, "2025/02/21/23/1330.dat", false, true)
		// Several requests for one new file race on the workers.
		again := w.Request(n, "2025/02/21/23/1330.dat", false, true)
		for range 4 {
			w.Request(n, "2025/02/21/23/1330.dat", false, true)
		}
		scan := w.Request(n, "2025/02/21", true, true)
		outside := w.Request(n, "../elsewhere", true, true)
		d := w.StartDaemon("alpha", daemontest.Settings{Workers: 4})

		w.WaitFor("requests", func() bool {
			if w.Count(&db.ArchiveFileImportRequest{}, "completed = ?", false) > 0 {
				return false
			}
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ?", n.ID) == 3
		}, d)
		if got := w.Count(&db.ArchiveFile{}, "name = ?", "23/1330.dat"); got != 1 {
			t.Errorf("23/1330.dat registered %d times", got)
		}
		if h, _ := w.CopyState(fileID(t, w, "23/1330.dat"), n.ID); h != db.HasYes {
			t.Errorf("copy of 23/1330.dat is %s", h)
		}
		for _, r := range []*db.ArchiveFileImportRequest{unreg, one, again, scan, outside} {
			if !w.ImportRequest(r.ID).Completed {
				t.Errorf("request #%d pending", r.ID)
			}
		}
		if got := w.Count(&db.ArchiveAcq{}, "name = ?", "2025/02/22"); got != 0 {
			t.Error("unregistered acquisition created without --register-new")
		}
		if !d.Logged(`Not importing unregistered acquistion: "2025/02/22".`) {
			t.Error("refusal to register not logged")
		}
		d.ExpectLogged(t,
			`Beginning task Scan "2025/02/21" on storage1`,
			`Scanning "2025/02/21" on "storage1" for new files.`,
			`Scanning "2025/02/21/23".`,
		)
	})
}

// TestBadIOClass: a node or group whose I/O class or config cannot be used
// is left alone with an error; the daemon and its other nodes carry on.
func TestBadIOClass(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		good := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
		w.Node("bogus", w.Group("bogus"), daemontest.NodeSpec{Host: "alpha", IOClass: "Bogus"})
		w.Node("broken", w.Group("broken"), daemontest.NodeSpec{Host: "alpha", IOConfig: "[1, 2]"})
		bg := w.Group("badgroup")
		w.Update(func(g *gorm.DB) error {
			return g.Model(bg).Update("io_config", "{not json").Error
		})
		w.InitNode(w.Node("ingroup", bg, daemontest.NodeSpec{Host: "alpha"}))
		rootless := w.Node("rootless", w.Group("rootless"), daemontest.NodeSpec{Host: "alpha"})
		w.Exec("UPDATE storagenode SET root = NULL WHERE id = ?", rootless.ID)
		w.InitNode(good)
		daemontest.WriteFile(t, good, "2025/02/21/meta.txt", "x\n")
		req := w.Request(good, "2025/02/21/meta.txt", false, true)

		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("import on the good node", func() bool { return w.ImportRequest(req.ID).Completed }, d)
		w.WaitFor("errors", func() bool {
			return d.Logged(`No module for I/O class "Bogus".  Ignoring StorageNode bogus.`) &&
				d.Logged(`Invalid io_config: "[1, 2]".`) && d.Logged(`Ignoring StorageGroup badgroup.`) &&
				d.Logged(`Ignoring StorageNode rootless: root NULL is not an absolute path.`)
		}, d)
		if d.Exited() {
			t.Fatal("daemon died")
		}
	})
}

// TestStopMidTransfer: a daemon told to stop while a pull runs, and told
// again, kills the transfer and leaves nothing half-done: no file under
// the final name, no temporary file, the request pending and the source
// not blamed.
func TestStopMidTransfer(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2 := w.Group("storage1"), w.Group("archive2")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
		w.InitNode(n1)
		w.InitNode(n2)
		f := w.File("2025/02/21", "23/1324.dat", "", n1)
		// A large sparse file keeps the copy busy for a long while without
		// using the disk.
		const size = 4 << 30
		if err := os.Truncate(filepath.Join(*n1.Root, "2025/02/21/23/1324.dat"), size); err != nil {
			t.Fatal(err)
		}
		w.Exec("UPDATE archivefile SET size_b = ? WHERE id = ?", size, f.ID)
		r := w.Sync(f, n1, g2)

		d := w.Spawn("alpha", daemontest.Settings{}, nil)
		w.WaitFor("transfer start", func() bool { return d.Logged("Pulling local file 2025/02/21/23/1324.dat using internal copy") }, d)
		d.Cmd.Process.Signal(syscall.SIGTERM)
		w.WaitFor("shutdown start", func() bool { return d.Logged("Exiting due to SIGTERM") }, d)
		d.Stop(syscall.SIGTERM)

		if d.Cmd.ProcessState.ExitCode() != 0 {
			t.Errorf("exit status %d after SIGTERM", d.Cmd.ProcessState.ExitCode())
		}
		if !d.Logged("Pull of 2025/02/21/23/1324.dat abandoned") {
			t.Errorf("transfer not abandoned:\n%s", d.Log.String())
		}
		if req := w.CopyRequest(r.ID); req.Completed || req.Cancelled {
			t.Errorf("request after the stop: %+v", req)
		}
		if h, _ := w.CopyState(f.ID, n1.ID); h != db.HasYes {
			t.Errorf("source copy became %s", h)
		}
		if h, _ := w.CopyState(f.ID, n2.ID); h != "" {
			t.Errorf("destination copy recorded: %s", h)
		}
		entries, _ := os.ReadDir(filepath.Join(*n2.Root, "2025/02/21/23"))
		for _, e := range entries {
			t.Errorf("left in the destination: %s", e.Name())
		}
	})
}

// TestOnce: with --once the daemon makes one pass, waits for the tasks it
// queued (run by workers, or serially when there are none) and exits 0.
func TestOnce(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		for _, workers := range []int{2, -1} {
			w := daemontest.NewWorld(t, bin, url)
			name := fmt.Sprintf("storage%d", workers+1)
			n := w.Node(name, w.Group(name), daemontest.NodeSpec{Host: "alpha"})
			w.InitNode(n)
			daemontest.WriteFile(t, n, "2025/02/21/meta.txt", "x\n")
			req := w.Request(n, "2025/02/21", true, true)
			d := w.Spawn("alpha", daemontest.Settings{Workers: workers}, []string{"--once"})
			select {
			case <-d.Done():
			case <-time.After(daemontest.WaitLimit):
				d.Stop(syscall.SIGKILL)
				t.Fatalf("--once did not exit\n%s", d.Log.String())
			}
			if code := d.Cmd.ProcessState.ExitCode(); code != 0 || !d.Logged("Update complete.  Exiting.") {
				t.Errorf("workers %d: exit status %d\n%s", workers, code, d.Log.String())
			}
			if !w.ImportRequest(req.ID).Completed || w.Count(&db.ArchiveFileCopy{}, "node_id = ?", n.ID) != 1 {
				t.Errorf("workers %d: scan not done\n%s", workers, d.Log.String())
			}
		}
	})
}

// scrape fetches the daemon's Prometheus metrics.
func scrape(t *testing.T, port int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestAvailability: nodes and groups come and go with their rows, a
// changed I/O config sets the node up again, and the metrics endpoint
// reports it all.
func TestAvailability(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
		w.InitNode(n)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		d := w.StartDaemon("alpha", daemontest.Settings{Daemon: fmt.Sprintf("  prom_client_port: %d\n", port)})

		w.WaitFor("availability", func() bool { return d.Logged(`Group "storage1" now available.`) }, d)
		for _, series := range []string{
			`alpenhorn_node_available{daemon="alpha",name="storage1"} 1`,
			`alpenhorn_group_available{daemon="alpha",name="storage1"} 1`,
			`alpenhorn_worker_count{daemon="alpha",pool_type="WorkerPool"} 2`,
			`alpenhorn_queue_count{daemon="alpha",fifo="_ALL",status="queued"}`,
			`alpenhorn_main_loops_total{daemon="alpha"}`,
			`alpenhorn_node_update_total{daemon="alpha",name="storage1"}`,
		} {
			w.WaitFor(series, func() bool { return strings.Contains(scrape(t, port), series) }, d)
		}

		d.Cmd.Process.Signal(syscall.SIGUSR1)
		w.WaitFor("a third worker", func() bool {
			return d.Logged("Caught SIGUSR1: incrementing workers.") && d.Logged("[Worker#3] Started.") &&
				strings.Contains(scrape(t, port), `alpenhorn_worker_count{daemon="alpha",pool_type="WorkerPool"} 3`)
		}, d)

		w.Exec(`UPDATE storagenode SET io_config = '{"x": 1}' WHERE id = ?`, n.ID)
		w.WaitFor("re-init", func() bool {
			return d.Logged(`I/O config change detected for StorageNode "storage1": attempting re-init.`)
		}, d)

		w.Exec("UPDATE storagenode SET active = ? WHERE id = ?", false, n.ID)
		w.WaitFor("node gone", func() bool {
			return d.Logged(`Node "storage1" no longer available.`) && d.Logged(`Group "storage1" no longer available.`)
		}, d)
		w.WaitFor("metric", func() bool {
			return strings.Contains(scrape(t, port), `alpenhorn_node_available{daemon="alpha",name="storage1"} 0`)
		}, d)
		w.WaitFor("no nodes", func() bool { return d.Logged("No active nodes on host (alpha)!") }, d)

		w.Exec("UPDATE storagenode SET active = ? WHERE id = ?", true, n.ID)
		w.WaitFor("node back", func() bool { return d.CountLogged(`Group "storage1" now available.`) == 2 }, d)
	})
}

// TestCorruptSource: a pull whose data does not match the recorded MD5 is
// never recorded; the source is marked suspect, found corrupt by its
// check, and the request is then cancelled rather than tried for ever.
func TestCorruptSource(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2 := w.Group("storage1"), w.Group("archive2")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha"})
		n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
		w.InitNode(n1)
		w.InitNode(n2)
		dat := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
		daemontest.WriteFile(t, n1, "2025/02/21/23/1324.dat", "5 4 3 2 1 0\n") // same size
		r := w.Sync(dat, n1, g2)

		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("cancellation", func() bool { return w.CopyRequest(r.ID).Cancelled }, d)
		if h, _ := w.CopyState(dat.ID, n1.ID); h != db.HasCorrupt {
			t.Errorf("source copy is %s", h)
		}
		if h, _ := w.CopyState(dat.ID, n2.ID); h != "" {
			t.Errorf("destination copy recorded: %s", h)
		}
		if _, err := os.Stat(filepath.Join(*n2.Root, "2025/02/21/23/1324.dat")); !os.IsNotExist(err) {
			t.Errorf("corrupt data under the final name: %v", err)
		}
		if !d.Logged("Pull of 2025/02/21/23/1324.dat from node storage1 to node archive2 failed: file arrived damaged: MD5 ") {
			t.Error("mismatch not logged")
		}
		if got := d.CountLogged("Beginning task AFCR#"); got != 1 {
			t.Errorf("%d pull attempts, want 1", got)
		}
	})
}

// TestSpaceAndAutoVerify: a node short of its minimum free space takes no
// pulls and gives up removable copies; a node at its maximum total takes no
// pulls; old copies on an auto-verify node are checked again.
func TestSpaceAndAutoVerify(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		g1, g2, g3, g4 := w.Group("short"), w.Group("full"), w.Group("archive3"), w.Group("archive4")
		short := w.Node("short", g1, daemontest.NodeSpec{Host: "alpha"})
		full := w.Node("full", g2, daemontest.NodeSpec{Host: "alpha"})
		a3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
		a4 := w.Node("archive4", g4, daemontest.NodeSpec{Host: "alpha", Archive: true})
		for _, n := range []*db.StorageNode{short, full, a3, a4} {
			w.InitNode(n)
		}
		w.Exec("UPDATE storagenode SET min_avail_gb = ? WHERE id = ?", 1e9, short.ID)
		w.Exec("UPDATE storagenode SET max_total_gb = ? WHERE id = ?", 1e-9, full.ID)
		w.Exec("UPDATE storagenode SET auto_verify = ? WHERE id = ?", 10, a4.ID)

		removable := w.File("2025/02/21", "meta.txt", "removable\n", short, full, a3, a4)
		kept := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", short, a3, a4)
		other := w.File("2025/02/22", "meta.txt", "elsewhere\n", a3)
		// As `node clean` (without --now) marks a copy removable.
		w.Exec("UPDATE archivefilecopy SET wants_file = 'M' WHERE node_id = ? AND file_id = ?", short.ID, removable.ID)
		// Old enough to be verified again.
		w.Update(func(g *gorm.DB) error {
			return g.Model(&db.ArchiveFileCopy{}).Where("node_id = ?", a4.ID).
				Update("last_update", db.NewTime(time.Now().Add(-30*24*time.Hour))).Error
		})
		r1 := w.Sync(other, a3, g1)
		r2 := w.Sync(other, a3, g2)

		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("discretionary deletion", func() bool { h, _ := w.CopyState(removable.ID, short.ID); return h == db.HasNo }, d)
		if h, _ := w.CopyState(kept.ID, short.ID); h != db.HasYes {
			t.Errorf("wanted copy on the short node is %s", h)
		}
		w.WaitFor("refusals", func() bool {
			return d.Logged("Skipping pull for StorageNode short: hit minimum free space: (") &&
				d.Logged("Skipping pull for StorageNode full: node full. (")
		}, d)
		if w.CopyRequest(r1.ID).Completed || w.CopyRequest(r2.ID).Completed {
			t.Error("a pull went to a node without room")
		}
		if !d.Logged("Hit minimum available space on short -- will attempt to free ") {
			t.Error("discretionary cleaning not logged")
		}

		w.WaitFor("auto-verify", func() bool {
			return d.Logged(`Auto-verifing copy "2025/02/21/meta.txt" on node archive4.`) &&
				d.Logged("File 2025/02/21/meta.txt on node archive4 is A-OK!")
		}, d)
		w.WaitFor("verified", func() bool {
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", a4.ID) == 2
		}, d)
	})
}

// TestCleanConfirmedRemote: copies that other data indexes have confirmed
// holding (sneakernet receipts) count towards the archive copies a
// deletion needs.
func TestCleanConfirmedRemote(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("transport1", w.Group("transport"), daemontest.NodeSpec{Host: "alpha"})
		w.InitNode(n)
		one := w.File("2025/02/21", "meta.txt", "carried away\n", n)
		two := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n)
		w.Exec("UPDATE archivefilecopy SET wants_file = 'N' WHERE node_id = ?", n.ID)

		if _, err := sneakernet.Setup(w.Ctx, w.DB); err != nil {
			t.Fatal(err)
		}
		m := sneakernet.NewManifest("this-index", "transport1", "")
		if err := sneakernet.RecordManifest(w.DB.Gorm, m, n.ID, nil, false, nil); err != nil {
			t.Fatal(err)
		}
		rm, err := sneakernet.LoadManifest(w.DB.Gorm, m.ID)
		if err != nil || rm == nil {
			t.Fatalf("manifest: %v", err)
		}
		// meta.txt is held at two other sites, 23/1324.dat at one.
		for _, c := range []struct {
			index string
			files []int64
		}{{"site-a", []int64{one.ID, two.ID}}, {"site-b", []int64{one.ID}}} {
			if _, err := sneakernet.Confirm(w.DB.Gorm, rm.ID, c.index, c.files); err != nil {
				t.Fatal(err)
			}
		}

		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("deletion", func() bool { h, _ := w.CopyState(one.ID, n.ID); return h == db.HasNo }, d)
		w.WaitFor("refusal", func() bool {
			return d.Logged("Too few archive copies (1) to delete 2025/02/21/23/1324.dat on transport1.")
		}, d)
		if h, _ := w.CopyState(two.ID, n.ID); h != db.HasYes {
			t.Errorf("copy held at one other site only became %s", h)
		}
	})
}

// TestPollingAutoImport: a node of the Polling class is watched by
// rescanning (for filesystems without notifications): new files are
// imported, and a locked one once its lock goes.
func TestPollingAutoImport(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("nfs1", w.Group("nfs1"), daemontest.NodeSpec{Host: "alpha", AutoImport: true, IOClass: "Polling"})
		w.InitNode(n)
		d := w.StartDaemon("alpha", daemontest.Settings{})
		w.WaitFor("watcher", func() bool { return d.Logged(`Watching node "nfs1" root "` + *n.Root + `" for auto import.`) }, d)

		daemontest.WriteFile(t, n, "2025/02/21/meta.txt", "polled\n")
		lock := daemontest.WriteFile(t, n, "2025/02/21/23/.1324.dat.lock", "")
		daemontest.WriteFile(t, n, "2025/02/21/23/1324.dat", "0 1 2 3 4 5\n")
		w.WaitFor("new file imported", func() bool { return w.Count(&db.ArchiveFile{}, "name = ?", "meta.txt") == 1 }, d)
		w.WaitFor("locked file skipped", func() bool { return d.Logged(`Skipping "2025/02/21/23/1324.dat": locked.`) }, d)
		if err := os.Remove(lock); err != nil {
			t.Fatal(err)
		}
		w.WaitFor("unlocked file imported", func() bool {
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID) == 2
		}, d)
	})
}
