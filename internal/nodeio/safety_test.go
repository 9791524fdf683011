package nodeio

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

// TestPullWithoutMD5: a file the data index has no MD5 for, pulled by hard
// link or by copy, gets the MD5 of what was pulled, so that the check
// that follows finds its copy good rather than corrupt.
func TestPullWithoutMD5(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		src := w.node("src", w.group("src", "", ""), nodeSpec{})
		// A field node links from src; an archive node copies.
		for _, spec := range []nodeSpec{{}, {storage: db.StorageArchive}} {
			name := "dst" + string(spec.storage)
			group := w.group(name, "", "")
			dst := w.nodeIO(w.node(name, group, spec))
			content := "no md5 for " + name + "\n"
			f := w.file("acq", name+".dat", content, src)
			w.mustUpdate(&db.ArchiveFile{}, f.ID, map[string]any{"md5sum": nil})
			f.MD5Sum = nil
			w.copy(f, src, db.HasYes, true, time.Now())
			if err := dst.IO().Pull(ctx, w.request(f, src, group)); err != nil {
				t.Fatal(err)
			}
			w.run()

			var row db.ArchiveFile
			if err := w.db.Gorm.Where("id = ?", f.ID).Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			if want := md5hex(content); row.MD5Sum == nil || *row.MD5Sum != want {
				t.Errorf("%s: MD5 after the pull %v, want %s", name, row.MD5Sum, want)
			}
			c := w.copyOn(f, dst.Row())
			if c == nil || c.HasFile != db.HasYes {
				t.Fatalf("%s: copy after the pull: %+v", name, c)
			}
			row.Acq = f.Acq
			c.File = &row
			dst.IO().Check(ctx, c)
			w.run()
			if got := w.reread(c); got.HasFile != db.HasYes {
				t.Errorf("%s: pulled copy checked %s, want Y", name, got.HasFile)
			}
		}
	})
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestRefusalsOncePerPass: deletions refused for too few archive copies
// are reported once a pass, with a count and the first few names at
// DEBUG; a lone refusal keeps its line.
func TestRefusalsOncePerPass(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		n := w.node("n", w.group("n", "", ""), nodeSpec{})
		nio := w.nodeIO(n).IO()
		var copies []*db.ArchiveFileCopy
		for i := range 30 {
			f := w.file("acq", fmt.Sprintf("%02d.dat", i), "x", n)
			c := w.copy(f, n, db.HasYes, true, time.Now())
			w.mustUpdate(&db.ArchiveFileCopy{}, c.ID, map[string]any{"wants_file": db.WantNo})
			copies = append(copies, c)
		}
		rec := recordLog(t)
		for pass := range 2 {
			rec.reset()
			nio.BeforeUpdate(ctx, true)
			for batch := range slices.Chunk(copies, 10) {
				nio.Delete(ctx, batch)
			}
			w.run()
			nio.BeforeUpdate(ctx, true)
			var warn []string
			for _, l := range rec.lines() {
				if strings.Contains(l, "Too few archive copies") {
					warn = append(warn, l)
				}
			}
			// The tasks run side by side: which names come first varies.
			if len(warn) != 2 || warn[0] != "WARNING Too few archive copies to delete 30 files on n." ||
				!strings.HasPrefix(warn[1], "DEBUG Too few archive copies to delete on n: acq/") ||
				strings.Count(warn[1], " (0)") != 5 || !strings.HasSuffix(warn[1], ", ...") {
				t.Errorf("pass %d: logged\n%s\nwant one WARNING with the count and one DEBUG with five names", pass, strings.Join(warn, "\n"))
			}
		}
		rec.reset()
		nio.Delete(ctx, copies[:1])
		w.run()
		nio.BeforeUpdate(ctx, true)
		rec.expect(t, "WARNING Too few archive copies (0) to delete acq/00.dat on n.")
	})
}
