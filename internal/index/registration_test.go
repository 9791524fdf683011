package index_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// hashed is a registration of a file to register: sized and hashed.
func hashed(acq, file string) *index.Registration {
	size := int64(7)
	return &index.Registration{Path: acq + "/" + file, Acq: acq, File: file, SizeB: 3, MD5: "0123456789abcdef0123456789abcdef", DiskSize: &size}
}

// recordImports records regs on node, counting the runs of the imported
// callback.
func recordImports(t *testing.T, w *world, node string, regs ...*index.Registration) int {
	t.Helper()
	calls := 0
	err := index.RecordImports(context.Background(), w.d, w.nodes[node], regs, func(ctx context.Context, tx index.Tx) {
		calls++
		// The callback writes in the batch's transaction.
		w.must(tx.Create(&db.ArchiveAcq{Name: "written-by-extension"}).Error)
	})
	w.must(err)
	return calls
}

// countRows counts the rows of model matching where.
func countRows(w *world, model any, where string, args ...any) int64 {
	w.t.Helper()
	var n int64
	w.must(w.d.Gorm.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

func TestRecordImportsNewAcqFileCopy(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		a, b := hashed("new", "a"), hashed("new", "b")
		st, err := index.LookupImports(ctx, w.d, n.ID, []*index.Registration{a, b})
		w.must(err)
		if st.Acq(a) != nil || st.File(a) != nil || st.Tracked(a) {
			t.Fatalf("unknown acquisition looked up as known")
		}
		if calls := recordImports(t, w, "n", a, b); calls != 1 {
			t.Errorf("imported callback ran %d times, want 1", calls)
		}
		if !a.NewAcq || b.NewAcq {
			t.Errorf("NewAcq: a %v, b %v; want only the first of the acquisition", a.NewAcq, b.NewAcq)
		}
		for _, r := range []*index.Registration{a, b} {
			if !r.NewFile || r.Missing || r.Raced || r.Copy == nil || r.Copy.HasFile != db.HasYes || r.Copy.WantsFile != db.WantYes {
				t.Errorf("%s: %+v, want a new file with a Y/Y copy", r.Path, r)
			}
			if r.Copy != nil && (r.Copy.SizeB == nil || *r.Copy.SizeB != 7 || r.Copy.File != r.FileRow) {
				t.Errorf("%s: copy %+v, want the disk size and its file", r.Path, r.Copy)
			}
			if r.FileRow == nil || *r.FileRow.MD5Sum != r.MD5 || r.FileRow.Path() != r.Path {
				t.Errorf("%s: file %+v not registered as hashed", r.Path, r.FileRow)
			}
		}
		if got := countRows(w, &db.ArchiveAcq{}, "name = ?", "new"); got != 1 {
			t.Errorf("%d acquisitions \"new\", want 1", got)
		}
		if got := countRows(w, &db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID); got != 2 {
			t.Errorf("%d copies on n, want 2", got)
		}
		if got := countRows(w, &db.ArchiveAcq{}, "name = ?", "written-by-extension"); got != 1 {
			t.Errorf("callback's row: %d, want committed with the batch", got)
		}
		st, err = index.LookupImports(ctx, w.d, n.ID, []*index.Registration{hashed("new", "a")})
		w.must(err)
		if !st.Tracked(hashed("new", "a")) {
			t.Errorf("recorded file not tracked")
		}
	})
}

func TestRecordImportsRegisteredFileGetsCopy(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		w.node("o", "g", db.StorageField)
		f := w.file("f")
		w.copy("f", "o", db.HasYes, db.WantYes)
		// Known files are not hashed: no MD5.
		r := &index.Registration{Path: "acq/f", Acq: "acq", File: "f"}
		st, err := index.LookupImports(ctx, w.d, n.ID, []*index.Registration{r})
		w.must(err)
		if st.File(r) == nil || st.File(r).ID != f.ID || st.Tracked(r) {
			t.Fatalf("registered file: look-up %+v, tracked %v", st.File(r), st.Tracked(r))
		}
		recordImports(t, w, "n", r)
		if r.NewAcq || r.NewFile || r.Copy == nil || r.FileRow.ID != f.ID {
			t.Errorf("registration %+v, want a copy of the existing file", r)
		}
		if got := w.state("f", "n"); got != "Y/Y" {
			t.Errorf("copy on n: %s, want Y/Y", got)
		}
		if got := countRows(w, &db.ArchiveFile{}, "name = ?", "f"); got != 1 {
			t.Errorf("%d files f, want 1", got)
		}
	})
}

func TestRecordImportsReappearingCopy(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		w.node("n", "g", db.StorageField)
		w.file("missing")
		w.file("removed")
		w.file("present")
		w.copy("missing", "n", db.HasNo, db.WantYes)
		w.copy("removed", "n", db.HasNo, db.WantNo)
		w.copy("present", "n", db.HasYes, db.WantYes)
		reg := func(f string) *index.Registration { return &index.Registration{Path: "acq/" + f, Acq: "acq", File: f} }
		missing, removed, present := reg("missing"), reg("removed"), reg("present")
		recordImports(t, w, "n", missing, removed, present)

		// A copy recorded missing that reappears is suspect; one removed
		// is simply present again.
		if got := w.state("missing", "n"); got != "M/Y" || !missing.Missing {
			t.Errorf("missing copy: %s (Missing %v), want M/Y", got, missing.Missing)
		}
		if got := w.state("removed", "n"); got != "Y/Y" || removed.Missing {
			t.Errorf("removed copy: %s (Missing %v), want Y/Y", got, removed.Missing)
		}
		// A copy recorded since the look-up: another worker won.
		if !present.Raced || present.Copy != nil {
			t.Errorf("present copy: %+v, want raced", present)
		}
	})
}

func TestRecordImportsRerunOnDuplicateKey(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		w.node("n", "g", db.StorageField)
		// Another worker inserts the acquisition just before the batch
		// does, once: the batch's insert fails on the unique name and
		// its transaction is run again.
		raced, inserts := false, 0
		w.must(w.d.Gorm.Callback().Create().Before("gorm:create").Register("test:race", func(tx *gorm.DB) {
			if tx.Statement.Table != "archiveacq" {
				return
			}
			inserts++
			if !raced {
				raced = true
				tx.Session(&gorm.Session{NewDB: true}).Exec("INSERT INTO archiveacq (name) VALUES (?)", "contested")
			}
		}))
		r := hashed("contested", "f")
		if calls := recordImports(t, w, "n", r); calls != 1 {
			t.Errorf("imported callback ran %d times, want 1 (the committed run)", calls)
		}
		if inserts < 2 {
			t.Errorf("acquisition inserted %d times, want the insert run again", inserts)
		}
		if r.Copy == nil || r.FileRow == nil || r.Raced {
			t.Fatalf("registration after the rerun: %+v", r)
		}
		if got := countRows(w, &db.ArchiveAcq{}, "name = ?", "contested"); got != 1 {
			t.Errorf("%d acquisitions \"contested\", want 1", got)
		}
		if got := countRows(w, &db.ArchiveFileCopy{}, "file_id = ?", r.FileRow.ID); got != 1 {
			t.Errorf("%d copies of the file, want 1", got)
		}
	})
}

func TestKnownPaths(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		n := w.node("n", "g", db.StorageField)
		w.node("o", "g", db.StorageField)
		for _, f := range []string{"y", "x", "n", "elsewhere"} {
			w.file(f)
		}
		w.copy("y", "n", db.HasYes, db.WantYes)
		w.copy("x", "n", db.HasCorrupt, db.WantYes)
		w.copy("n", "n", db.HasNo, db.WantYes)
		w.copy("elsewhere", "o", db.HasYes, db.WantYes)
		have, err := index.KnownPaths(context.Background(), w.d, n.ID)
		w.must(err)
		if len(have) != 2 || !have["acq/y"] || !have["acq/x"] {
			t.Errorf("known paths: %v, want acq/y and acq/x", have)
		}
	})
}
