package index_test

import (
	"context"
	"slices"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// copyRequestRow re-reads a copy request.
func copyRequestRow(w *world, id int64) db.ArchiveFileCopyRequest {
	w.t.Helper()
	var r db.ArchiveFileCopyRequest
	w.must(w.d.Gorm.First(&r, id).Error)
	return r
}

// setColumn writes one column of a row, as another process would.
func setColumn(w *world, row any, column string, value any) {
	w.t.Helper()
	w.must(w.d.Gorm.Model(row).Update(column, value).Error)
}

// copyPaths is the paths of copies, in order.
func copyPaths(copies []*db.ArchiveFileCopy) []string {
	out := make([]string, len(copies))
	for i, c := range copies {
		out[i] = c.File.Path()
	}
	return out
}

func TestPendingRequestsSelection(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		w.node("other", "og", db.StorageField)
		for _, f := range []string{"y", "m", "none", "cancelled", "completed", "elsewhere"} {
			w.file(f)
		}
		w.copy("y", "src", db.HasYes, db.WantYes)
		w.copy("m", "src", db.HasMaybe, db.WantYes)
		w.copy("cancelled", "src", db.HasYes, db.WantYes)
		ry := w.request("y", "src", "dg")
		rm := w.request("m", "src", "dg")
		rn := w.request("none", "src", "dg")
		setColumn(w, w.request("cancelled", "src", "dg"), "cancelled", true)
		setColumn(w, w.request("completed", "src", "dg"), "completed", true)
		w.request("elsewhere", "other", "og")

		into, err := index.PendingRequestsInto(ctx, w.d, w.group("dg").ID, 0, 100)
		w.must(err)
		var ids []int64
		var states []db.HasFile
		for _, p := range into {
			ids = append(ids, p.Req.ID)
			states = append(states, p.SrcState())
			if p.Req.NodeFrom == nil || p.Req.NodeFrom.Name != "src" || p.Req.GroupTo == nil || p.Req.GroupTo.Name != "dg" {
				t.Errorf("request %d: source or destination not loaded: %+v %+v", p.Req.ID, p.Req.NodeFrom, p.Req.GroupTo)
			}
		}
		if want := []int64{ry.ID, rm.ID, rn.ID}; !slices.Equal(ids, want) {
			t.Fatalf("pending into dg: %v, want %v (cancelled and completed left out)", ids, want)
		}
		if want := []db.HasFile{db.HasYes, db.HasMaybe, db.HasNo}; !slices.Equal(states, want) {
			t.Errorf("source states: %v, want %v", states, want)
		}
		if into[2].Src != nil {
			t.Errorf("request without a source copy has one: %+v", into[2].Src)
		}
		if p := into[0]; p.Src == nil || !p.Src.Ready || p.Req.File.Path() != "acq/y" || *p.Req.File.MD5Sum == "" {
			t.Errorf("request for y: file or source copy not loaded: %+v %+v", p.Req.File, p.Src)
		}

		from, err := index.PendingRequestsFrom(ctx, w.d, w.nodes["src"].ID, 0, 100)
		w.must(err)
		if len(from) != 3 || from[0].Req.ID != ry.ID {
			t.Errorf("pending from src: %d requests, want the same 3", len(from))
		}
	})
}

func TestGroupFileCopies(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("src", "sg", db.StorageField)
		w.node("dst", "dg", db.StorageField)
		w.node("out", "og", db.StorageField)
		w.file("wanted")
		w.file("done")
		w.file("unasked")
		w.copy("wanted", "dst", db.HasCorrupt, db.WantYes)
		w.copy("wanted", "out", db.HasYes, db.WantYes)
		w.copy("done", "dst", db.HasYes, db.WantYes)
		w.copy("unasked", "dst", db.HasYes, db.WantYes)
		w.request("wanted", "src", "dg")
		setColumn(w, w.request("done", "src", "dg"), "completed", true)

		copies, err := index.GroupFileCopies(context.Background(), w.d, w.group("dg").ID, []int64{w.files["wanted"].ID})
		w.must(err)
		if len(copies) != 1 || copies[0].FileID != w.files["wanted"].ID || copies[0].NodeID != w.nodes["dst"].ID {
			t.Fatalf("copies: %+v, want only wanted's on dst", copies)
		}
		if state, _ := index.GroupState(copies); state != db.HasCorrupt {
			t.Errorf("group state %s, want X", state)
		}
	})
}

func TestCopiesToCheckAndDelete(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		for _, f := range []string{"released", "maybe", "kept", "gone", "suspect", "suspectReleased", "source"} {
			w.file(f)
		}
		w.copy("released", "n", db.HasYes, db.WantNo)
		w.copy("maybe", "n", db.HasYes, db.WantMaybe)
		w.copy("kept", "n", db.HasYes, db.WantYes)
		w.copy("gone", "n", db.HasNo, db.WantNo)
		w.copy("suspect", "n", db.HasMaybe, db.WantYes)
		w.copy("suspectReleased", "n", db.HasMaybe, db.WantNo)
		w.copy("source", "n", db.HasYes, db.WantNo)
		w.request("source", "n", "elsewhere")

		checks, err := index.CopiesToCheck(ctx, w.d, n.ID)
		w.must(err)
		if got := copyPaths(checks); !slices.Equal(got, []string{"acq/suspect"}) {
			t.Errorf("copies to check: %v, want suspect only", got)
		}

		copies, held, err := index.CopiesToDelete(ctx, w.d, n.ID, false)
		w.must(err)
		if got, want := copyPaths(copies), []string{"acq/released", "acq/suspectReleased", "acq/source"}; !slices.Equal(got, want) {
			t.Errorf("released copies: %v, want %v", got, want)
		}
		if len(held) != 1 || !held[w.files["source"].ID] {
			t.Errorf("held: %v, want the source of the pending pull", held)
		}
		copies, _, err = index.CopiesToDelete(ctx, w.d, n.ID, true)
		w.must(err)
		if got, want := copyPaths(copies), []string{"acq/released", "acq/maybe", "acq/suspectReleased", "acq/source"}; !slices.Equal(got, want) {
			t.Errorf("removable copies: %v, want %v", got, want)
		}
	})
}

func TestPendingImportsAndInit(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		other := w.node("o", "g", db.StorageField)
		add := func(node *db.StorageNode, path string, completed bool) *db.ArchiveFileImportRequest {
			r := &db.ArchiveFileImportRequest{NodeID: node.ID, Path: path, Completed: completed}
			w.must(w.d.Gorm.Omit("Node").Create(r).Error)
			return r
		}
		if r, err := index.PendingInit(ctx, w.d, n.ID); err != nil || r != nil {
			t.Fatalf("no init request: %+v, %v", r, err)
		}
		add(n, db.NodeInitPath, true)
		a := add(n, "acq/a", false)
		add(n, "acq/done", true)
		add(other, "acq/x", false)
		i := add(n, db.NodeInitPath, false)

		reqs, err := index.PendingImports(ctx, w.d, n.ID)
		w.must(err)
		if len(reqs) != 2 || reqs[0].ID != a.ID || reqs[1].ID != i.ID {
			t.Errorf("pending imports: %+v, want a and the init request", reqs)
		}
		r, err := index.PendingInit(ctx, w.d, n.ID)
		w.must(err)
		if r == nil || r.ID != i.ID {
			t.Errorf("pending init: %+v, want request %d", r, i.ID)
		}
	})
}

func TestWalks(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		w.node("o", "g", db.StorageField)
		for _, f := range []string{"y1", "m", "gone", "y2"} {
			w.file(f)
		}
		y1 := w.copy("y1", "n", db.HasYes, db.WantYes)
		w.copy("m", "n", db.HasMaybe, db.WantYes)
		w.copy("gone", "n", db.HasNo, db.WantNo)
		y2 := w.copy("y2", "n", db.HasYes, db.WantNo)
		w.copy("y1", "o", db.HasYes, db.WantYes)

		for range 5 {
			id, err := index.RandomCopy(ctx, w.d, index.WalkPresent, n.ID)
			w.must(err)
			if id != y1.ID && id != y2.ID {
				t.Fatalf("random present copy %d is not one of %d, %d", id, y1.ID, y2.ID)
			}
		}
		all, err := index.CopiesFrom(ctx, w.d, index.WalkKnown, n.ID, 0, 10)
		w.must(err)
		if got, want := copyPaths(all), []string{"acq/y1", "acq/m", "acq/y2"}; !slices.Equal(got, want) {
			t.Errorf("known copies: %v, want %v", got, want)
		}
		from, err := index.CopiesFrom(ctx, w.d, index.WalkPresent, n.ID, y1.ID+1, 10)
		w.must(err)
		if got := copyPaths(from); !slices.Equal(got, []string{"acq/y2"}) {
			t.Errorf("present copies after y1: %v", got)
		}
		limited, err := index.CopiesFrom(ctx, w.d, index.WalkKnown, n.ID, 0, 1)
		w.must(err)
		if len(limited) != 1 {
			t.Errorf("limit 1: %d copies", len(limited))
		}
		empty := w.node("e", "g", db.StorageField)
		if id, err := index.RandomCopy(ctx, w.d, index.WalkKnown, empty.ID); err != nil || id != 0 {
			t.Errorf("random copy of an empty node: %d, %v", id, err)
		}
	})
}

func TestMarkCopySuspectAndHostNodes(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		w.file("f")
		c := w.copy("f", "n", db.HasYes, db.WantNo)
		w.must(index.MarkCopySuspect(ctx, w.d, c.ID))
		if got := w.state("f", "n"); got != "M/N" {
			t.Errorf("after MarkCopySuspect: %s, want M/N", got)
		}

		host := "here"
		setColumn(w, n, "host", host)
		inactive := w.node("off", "g", db.StorageField)
		setColumn(w, inactive, "host", host)
		setColumn(w, inactive, "active", false)
		w.node("elsewhere", "g", db.StorageField)
		nodes, err := index.HostNodes(ctx, w.d, host)
		w.must(err)
		if len(nodes) != 1 || nodes[0].Name != "n" || nodes[0].Group == nil || nodes[0].Group.Name != "g" {
			t.Errorf("host nodes: %+v, want n with its group", nodes)
		}
	})
}
