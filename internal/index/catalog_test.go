package index_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func TestFindByNameIgnoresCase(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("Node1", "Group1", db.StorageField)
		for _, name := range []string{"Node1", "node1", "NODE1"} {
			n, err := index.FindByName[db.StorageNode](w.d, w.d.Gorm, name)
			w.must(err)
			if n == nil || n.ID != w.nodes["Node1"].ID {
				t.Errorf("node %q: %+v, want Node1", name, n)
			}
		}
		g, err := index.FindByName[db.StorageGroup](w.d, w.d.Gorm, "gROUP1")
		w.must(err)
		if g == nil || g.Name != "Group1" {
			t.Errorf("group gROUP1: %+v, want Group1", g)
		}
		a, err := index.FindByName[db.ArchiveAcq](w.d, w.d.Gorm, "ACQ")
		w.must(err)
		if a == nil || a.ID != w.acq.ID {
			t.Errorf("acquisition ACQ: %+v, want acq", a)
		}
		n, err := index.FindByName[db.StorageNode](w.d, w.d.Gorm, "Node")
		w.must(err)
		if n != nil {
			t.Errorf("node Node: %+v, want none", n)
		}
	})
}

func TestFindFilesByPath(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ab, err := index.CreateAcq(w.d.Gorm, "x/y")
		w.must(err)
		x, err := index.CreateAcq(w.d.Gorm, "x")
		w.must(err)
		for _, f := range []*db.ArchiveFile{{AcqID: ab.ID, Name: "z"}, {AcqID: x.ID, Name: "y/z"}, {AcqID: x.ID, Name: "only"}} {
			f.Registered = db.Now()
			w.must(index.CreateFile(w.d.Gorm, f))
		}
		w.file("File")
		paths := []string{"x/y/z", "x/only", "X/only", "acq/File", "acq/file", "/x/only", "x", "x/none", "nope/z"}
		files, err := index.FindFilesByPath(w.d, w.d.Gorm, paths)
		w.must(err)
		got := map[string]string{}
		for i, f := range files {
			if f == nil {
				continue
			}
			if f.Acq == nil {
				t.Fatalf("%s: file without its acquisition", paths[i])
			}
			got[paths[i]] = f.Acq.Name + " | " + f.Name
		}
		// The longest acquisition holding the rest wins; acquisition
		// names ignore case everywhere, file names as the engine's
		// column compares them.
		want := map[string]string{"x/y/z": "x/y | z", "x/only": "x | only", "X/only": "x | only", "acq/File": "acq | File"}
		if w.d.Engine == db.MySQL {
			want["acq/file"] = "acq | File"
		}
		if len(got) != len(want) {
			t.Errorf("found %v, want %v", got, want)
		}
		for p, v := range want {
			if got[p] != v {
				t.Errorf("%s: %q, want %q", p, got[p], v)
			}
		}
		f, err := index.FindFileInAcq(w.d.Gorm, x.ID, "y/z")
		w.must(err)
		if f == nil || f.Name != "y/z" {
			t.Errorf("FindFileInAcq(x, y/z) = %+v", f)
		}
		if f, err := index.FindFileInAcq(w.d.Gorm, ab.ID, "only"); err != nil || f != nil {
			t.Errorf("FindFileInAcq(x/y, only) = %+v, %v; want none", f, err)
		}
	})
}

func TestCreateRenameModify(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		g := &db.StorageGroup{Name: "g"}
		w.must(index.CreateGroup(w.d.Gorm, g))
		notes := "n"
		n := &db.StorageNode{Name: "n", GroupID: g.ID, StorageType: db.StorageArchive, Notes: &notes, Group: &db.StorageGroup{Name: "ignored"}}
		w.must(index.CreateNode(w.d.Gorm, n))
		if g.ID == 0 || n.ID == 0 {
			t.Fatalf("ids not filled in: group %d, node %d", g.ID, n.ID)
		}
		w.must(index.Rename[db.StorageGroup](w.d.Gorm, g.ID, "h"))
		w.must(index.Modify[db.StorageNode](w.d.Gorm, n.ID, map[string]any{"host": "somewhere", "max_total_gb": 2.5}))
		var groups []db.StorageGroup
		w.must(w.d.Gorm.Order("id").Find(&groups).Error)
		if len(groups) != 1 || groups[0].Name != "h" {
			t.Errorf("groups: %+v, want only g renamed h", groups)
		}
		var got db.StorageNode
		w.must(w.d.Gorm.First(&got, n.ID).Error)
		if got.Host == nil || *got.Host != "somewhere" || got.MaxTotalGB == nil || *got.MaxTotalGB != 2.5 ||
			got.Notes == nil || *got.Notes != "n" || got.Name != "n" || got.StorageType != db.StorageArchive {
			t.Errorf("modified node: %+v, want host and max_total_gb changed, the rest kept", got)
		}
	})
}

func TestDeactivateNode(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n := w.node("n", "g", db.StorageField)
		for i, want := range []bool{true, false} {
			was, err := index.DeactivateNode(w.d.Gorm, n.ID)
			w.must(err)
			if was != want {
				t.Errorf("call %d: was active %v, want %v", i+1, was, want)
			}
		}
		var got db.StorageNode
		w.must(w.d.Gorm.First(&got, n.ID).Error)
		if got.Active {
			t.Errorf("node still active")
		}
	})
}

func TestReverifyFile(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		for _, n := range []string{"y", "x", "m", "released", "missing"} {
			w.node(n, "g", db.StorageField)
		}
		w.file("f")
		w.file("other")
		w.copy("f", "y", db.HasYes, db.WantYes)
		w.copy("f", "x", db.HasCorrupt, db.WantMaybe)
		w.copy("f", "m", db.HasMaybe, db.WantYes)
		w.copy("f", "released", db.HasYes, db.WantNo)
		w.copy("f", "missing", db.HasNo, db.WantYes)
		w.copy("other", "y", db.HasYes, db.WantYes)
		n, err := index.ReverifyFile(w.d.Gorm, w.files["f"].ID)
		w.must(err)
		if n != 2 {
			t.Errorf("%d copies to re-verify, want 2", n)
		}
		for _, c := range []struct{ file, node, want string }{
			{"f", "y", "M/Y"}, {"f", "x", "M/M"}, {"f", "m", "M/Y"}, {"f", "released", "Y/N"},
			{"f", "missing", "N/Y"}, {"other", "y", "Y/Y"},
		} {
			if got := w.state(c.file, c.node); got != c.want {
				t.Errorf("%s on %s: %s, want %s", c.file, c.node, got, c.want)
			}
		}
	})
}

func TestRecordVerifiedCopy(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("old", "g", db.StorageTransport)
		n := w.node("new", "g", db.StorageTransport)
		w.file("f")
		gone := w.copy("f", "old", db.HasNo, db.WantNo)
		w.must(index.RecordVerifiedCopy(w.d.Gorm, w.files["f"].ID, w.nodes["old"].ID, 4096))
		w.must(index.RecordVerifiedCopy(w.d.Gorm, w.files["f"].ID, n.ID, 512))
		var copies []db.ArchiveFileCopy
		w.must(w.d.Gorm.Where("file_id = ?", w.files["f"].ID).Order("id").Find(&copies).Error)
		if len(copies) != 2 {
			t.Fatalf("%d copies, want the old one updated and one new", len(copies))
		}
		for i, want := range []int64{4096, 512} {
			c := copies[i]
			if c.HasFile != db.HasYes || c.WantsFile != db.WantYes || !c.Ready || c.SizeB == nil || *c.SizeB != want {
				t.Errorf("copy %d: %+v, want present, wanted, ready, size %d", i, c, want)
			}
		}
		if copies[0].ID != gone.ID {
			t.Errorf("the existing copy was not reused")
		}
	})
}

func TestMarkUnavailable(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("t", "tg", db.StorageTransport)
		w.file("a")
		w.file("b")
		a, b := w.copy("a", "t", db.HasYes, db.WantYes), w.copy("b", "t", db.HasYes, db.WantYes)
		n, err := index.MarkUnavailable(w.d.Gorm, []int64{a.ID})
		w.must(err)
		if n != 1 {
			t.Fatalf("marked %d, want 1", n)
		}
		// Already unavailable: nothing changes.
		if n, err = index.MarkUnavailable(w.d.Gorm, []int64{a.ID, b.ID}); err != nil || n != 1 {
			t.Fatalf("second marking: %d, %v; want 1", n, err)
		}
		var ready []bool
		w.must(w.d.Gorm.Model(&db.ArchiveFileCopy{}).Order("id").Pluck("ready", &ready).Error)
		if len(ready) != 2 || ready[0] || ready[1] {
			t.Fatalf("ready flags %v, want both false", ready)
		}
		if got := w.state("a", "t"); got != "Y/Y" {
			t.Errorf("unavailable copy's state %s, want Y/Y (still present)", got)
		}
	})
}
