package nodeio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// mountTmpfs mounts a tmpfs on dir for the test's duration, or skips the
// test, loudly, where mounting is impossible.
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64m"); err != nil {
		t.Skipf("SKIPPED: cannot mount a tmpfs (%v): this test needs root and mount rights", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// TestNodeVanishes: a node's filesystem goes away under the daemon after
// its pass started, either lazily unmounted (leaving the bare mount point)
// or covered by another filesystem whose node file names the node. Its
// queued pulls, checks and deletions touch nothing and record nothing:
// no directory or file appears where the node was, no copy is recorded
// present, missing or deleted, every request stays pending. The node is
// reported gone once and its queued tasks are dropped.
func TestNodeVanishes(t *testing.T) {
	for _, how := range []string{"unmounted", "covered"} {
		t.Run(how, func(t *testing.T) {
			testdb.Engines(t, func(t *testing.T, url string) {
				w := newClassWorld(t, url)
				ctx := context.Background()
				src := w.node("src", w.group("src", "", ""), nodeSpec{})
				arc := w.node("arc", w.group("arc", "", ""), nodeSpec{storage: db.StorageArchive})
				arc2 := w.node("arc2", w.group("arc2", "", ""), nodeSpec{storage: db.StorageArchive})
				group := w.group("dst", "", "")
				root := filepath.Join(w.dir, "dst")
				if how == "unmounted" {
					mountTmpfs(t, root)
				}
				dstRow := w.node("dst", group, nodeSpec{})
				dst := w.nodeIO(dstRow)
				nio := dst.IO()

				const n = 6
				var reqs []*db.ArchiveFileCopyRequest
				var checks, deletes []*db.ArchiveFileCopy
				for i := range n {
					f := w.file("acq", fmt.Sprintf("pull%d.dat", i), fmt.Sprintf("pull %d\n", i), src)
					w.copy(f, src, db.HasYes, true, time.Now())
					reqs = append(reqs, w.request(f, src, group))

					g := w.file("acq", fmt.Sprintf("have%d.dat", i), fmt.Sprintf("have %d\n", i), dstRow)
					checks = append(checks, w.copy(g, dstRow, db.HasMaybe, true, time.Now()))

					h := w.file("acq", fmt.Sprintf("gone%d.dat", i), fmt.Sprintf("gone %d\n", i), dstRow)
					w.copy(h, arc, db.HasYes, true, time.Now())
					w.copy(h, arc2, db.HasYes, true, time.Now())
					c := w.copy(h, dstRow, db.HasYes, true, time.Now())
					w.mustUpdate(&db.ArchiveFileCopy{}, c.ID, map[string]any{"wants_file": db.WantNo})
					deletes = append(deletes, c)
				}
				if !nio.CheckInit(ctx) {
					t.Fatal("node not initialised")
				}

				switch how {
				case "unmounted":
					if err := syscall.Unmount(root, syscall.MNT_DETACH); err != nil {
						t.Fatal(err)
					}
				case "covered":
					mountTmpfs(t, root)
					if err := os.WriteFile(filepath.Join(root, nodeFile), []byte("dst\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				rec := recordLog(t)
				if err := nio.(BatchPuller).PullBatch(ctx, reqs); err != nil {
					t.Fatal(err)
				}
				for _, c := range checks {
					nio.Check(ctx, c)
				}
				nio.Delete(ctx, deletes)
				w.run()

				entries, err := os.ReadDir(root)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Name() != nodeFile {
						t.Errorf("%s appeared where the node was", e.Name())
					}
				}
				if k := w.count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = ? AND wants_file = ?", dstRow.ID, db.HasYes, db.WantYes); k != 0 {
					t.Errorf("%d copies recorded present on the vanished node", k)
				}
				if k := w.count(&db.ArchiveFileCopyRequest{}, "completed = ? OR cancelled = ?", true, true); k != 0 {
					t.Errorf("%d requests completed or cancelled", k)
				}
				for _, c := range checks {
					if got := w.reread(c); got.HasFile != db.HasMaybe {
						t.Errorf("%s: checked copy %s; want it left suspect (M)", c.File.Name, got.HasFile)
					}
				}
				for _, c := range deletes {
					if got := w.reread(c); got.HasFile != db.HasYes {
						t.Errorf("%s: released copy %s; want it left as it was (Y)", c.File.Name, got.HasFile)
					}
				}
				gone := 0
				for _, l := range rec.lines() {
					if strings.Contains(l, "has vanished") {
						gone++
					}
				}
				if gone != 1 {
					t.Errorf("node reported gone %d times; want once\n%s", gone, strings.Join(rec.lines(), "\n"))
				}
				if v, ok := nio.(interface{ Vanished() bool }); !ok || !v.Vanished() {
					t.Error("I/O instance does not report its node vanished")
				}
				if got := w.env.reserved.bytes["dst"]; got != 0 {
					t.Errorf("%d bytes still reserved", got)
				}
			})
		})
	}
}

// TestImportOnVanishedNode: an import request on a node whose filesystem
// has gone is left pending, not completed as the import of a file that
// is not there.
func TestImportOnVanishedNode(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		root := filepath.Join(w.dir, "n")
		mountTmpfs(t, root)
		n := w.nodeIO(w.node("n", w.group("n", "", ""), nodeSpec{}))
		w.write(n.Row(), "acq/x.dat", "x")
		if !n.IO().CheckInit(ctx) {
			t.Fatal("node not initialised")
		}
		now := db.Now()
		req := &db.ArchiveFileImportRequest{NodeID: n.Row().ID, Path: "acq/x.dat", Register: true, Timestamp: &now}
		w.create(req)
		if err := syscall.Unmount(root, syscall.MNT_DETACH); err != nil {
			t.Fatal(err)
		}
		if err := ImportFile(ctx, w.env, n, req.Path, true, req); err != nil {
			t.Fatal(err)
		}
		w.run()
		var got db.ArchiveFileImportRequest
		if err := w.db.Gorm.Where("id = ?", req.ID).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.Completed {
			t.Error("import request completed on a vanished node")
		}
	})
}
