package nodeio

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestTidyRemit: the tidy-up removes the empty placeholders of files the
// data index knows and temporary files of alpenhorn's naming, and nothing
// else: not a user's file named like a placeholder, not the in-flight
// temporary file of a node nested in this one.
func TestTidyRemit(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		outer := w.node("outer", w.group("outer", "", ""), nodeSpec{})
		nio := w.nodeIO(outer).IO().(*DefaultNode)
		root := *outer.Root
		known := w.file("acq", "known.dat", "known\n")

		stale := fsutil.PlaceholderPath(filepath.Join(root, "acq", known.Name))
		staleTmp, _ := fsutil.TempPath(filepath.Join(root, "acq", known.Name))
		user := filepath.Join(root, "docs/.README.placeholder")
		nested := filepath.Join(root, "nested")
		nestedTmp, _ := fsutil.TempPath(filepath.Join(nested, "acq/other.dat"))
		write := func(p, content string) {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(stale, "")
		write(staleTmp, "partial")
		write(user, "my notes\n")
		write(filepath.Join(nested, nodeFile), "nested\n")
		write(nestedTmp, "in flight")

		w.queue.Submit(context.Background(), nio.FIFO(), "Tidy up outer", nio.tidyStep, scheduler.Exclusive)
		w.run()
		for _, p := range []string{stale, staleTmp} {
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("leftover %s kept: %v", p, err)
			}
		}
		for _, p := range []string{user, nestedTmp, filepath.Join(root, nodeFile)} {
			if _, err := os.Lstat(p); err != nil {
				t.Errorf("%s removed: %v", p, err)
			}
		}
	})
}

// TestNotArchiveFiles: names in the data index that would make the node's
// own file or alpenhorn's temporary files into archive files ("./NAME",
// an acquisition "."; a temporary name) are refused: a released copy of
// one is not deleted, a suspect one is not checked.
func TestNotArchiveFiles(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		arc := w.node("arc", w.group("arc", "", ""), nodeSpec{storage: db.StorageArchive})
		arc2 := w.node("arc2", w.group("arc2", "", ""), nodeSpec{storage: db.StorageArchive})
		n := w.node("n", w.group("n", "", ""), nodeSpec{})
		nio := w.nodeIO(n).IO()
		tmp, _ := fsutil.TempPath(filepath.Join(*n.Root, "acq/x.dat"))
		w.write(n, "acq/"+filepath.Base(tmp), "in flight")

		var deletes []*db.ArchiveFileCopy
		for _, name := range [][2]string{{".", nodeFile}, {"acq", filepath.Base(tmp)}} {
			f := w.file(name[0], name[1], "x")
			w.copy(f, arc, db.HasYes, true, time.Now())
			w.copy(f, arc2, db.HasYes, true, time.Now())
			c := w.copy(f, n, db.HasYes, true, time.Now())
			w.mustUpdate(&db.ArchiveFileCopy{}, c.ID, map[string]any{"wants_file": db.WantNo})
			deletes = append(deletes, c)
		}
		nio.Delete(ctx, deletes)
		w.run()
		for _, p := range []string{filepath.Join(*n.Root, nodeFile), tmp} {
			if _, err := os.Lstat(p); err != nil {
				t.Errorf("%s deleted as an archive file: %v", p, err)
			}
		}
		for _, c := range deletes {
			if got := w.reread(c); got.HasFile != db.HasYes {
				t.Errorf("%s/%s: copy %s; want it untouched (Y)", c.File.Acq.Name, c.File.Name, got.HasFile)
			}
		}
		if nio.Exists(ctx, "./"+nodeFile) || nio.Exists(ctx, "acq/"+filepath.Base(tmp)) {
			t.Error("the node file or a temporary file counts as an archive file on disk")
		}
	})
}
