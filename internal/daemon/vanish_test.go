package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestNodeVanishesMidSync: the filesystem of a node is lazily unmounted
// while a sync into it runs. Nothing lands on the bare mount point, every
// copy recorded present is on the node's own filesystem, the node is
// reported gone once; once the filesystem is back the daemon takes the
// node up again and the sync completes.
func TestNodeVanishesMidSync(t *testing.T) {
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		// The node's filesystem is a tmpfs, seen through a bind mount at
		// the node root: unmounting the root leaves it at store, for the
		// test to look at.
		store := filepath.Join(t.TempDir(), "store")
		root := filepath.Join(t.TempDir(), "dst")
		for _, d := range []string{store, root} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := syscall.Mount("tmpfs", store, "tmpfs", 0, "size=512m"); err != nil {
			t.Skipf("SKIPPED: cannot mount a tmpfs (%v): this test needs root and mount rights", err)
		}
		t.Cleanup(func() { syscall.Unmount(store, syscall.MNT_DETACH) })
		bind := func() {
			t.Helper()
			if err := syscall.Mount(store, root, "", syscall.MS_BIND, ""); err != nil {
				t.Fatal(err)
			}
		}
		bind()
		t.Cleanup(func() { syscall.Unmount(root, syscall.MNT_DETACH) })

		src := w.Node("src", w.Group("src"), daemontest.NodeSpec{Host: "alpha"})
		g := w.Group("dst")
		// An archive node: pulled by copy, not by link.
		dst := w.Node("dst", g, daemontest.NodeSpec{Host: "alpha", Root: root, Archive: true})
		w.InitNode(src)
		w.InitNode(dst)
		const files = 60
		data := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB
		var reqs []*db.ArchiveFileCopyRequest
		for i := range files {
			f := w.File("2025/03/01", fmt.Sprintf("%02d.dat", i), data+fmt.Sprint(i), src)
			reqs = append(reqs, w.Sync(f, src, g))
		}

		// Passes a few seconds apart, as in production they are a minute:
		// the node's queued pulls run long before the next pass's init
		// check could see the node gone.
		d := w.StartDaemon("alpha", daemontest.Settings{Workers: 1, Interval: 3})
		w.WaitFor("the sync to start", func() bool { return d.Logged("Pulling local file 2025/03/01/") }, d)
		if err := syscall.Unmount(root, syscall.MNT_DETACH); err != nil {
			t.Fatal(err)
		}
		pending := func() int64 {
			return w.Count(&db.ArchiveFileCopyRequest{}, "completed = ? AND cancelled = ?", false, false)
		}
		if pending() == 0 {
			t.Fatal("the sync was over before the node went: nothing tested")
		}
		// Found gone by its tasks, or by the next pass's init check (after
		// which nothing of it runs any more).
		w.WaitFor("the next pass", func() bool { return d.Logged(`Node file "` + root + `/ALPENHORN_NODE" could not be read.`) }, d)

		left, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("%s appeared on the bare mount point", e.Name())
		}
		var present []db.ArchiveFileCopy
		if err := w.DB.Gorm.Preload("File").Where("node_id = ? AND has_file = ?", dst.ID, db.HasYes).Find(&present).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range present {
			if _, err := os.Stat(filepath.Join(store, "2025/03/01", c.File.Name)); err != nil {
				t.Errorf("copy of %s recorded present, not on the node: %v", c.File.Name, err)
			}
		}
		if n := d.CountLogged("StorageNode dst has vanished"); n != 1 {
			t.Errorf("node reported gone %d times, want once", n)
		}
		t.Logf("%d of %d pulls recorded before the node went; %d pending", len(present), files, pending())

		bind()
		w.WaitForWithin("the sync to complete", 2*daemontest.WaitLimit, func() bool { return pending() == 0 }, d)
		for i, r := range reqs {
			if got := w.CopyRequest(r.ID); !got.Completed {
				t.Errorf("request %d: %+v", i, got)
			}
		}
		if n := w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = ?", dst.ID, db.HasYes); n != files {
			t.Errorf("%d copies present on dst, want %d", n, files)
		}
	})
}
