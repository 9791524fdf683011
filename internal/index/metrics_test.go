package index_test

import (
	"context"
	"maps"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func TestNodeUsages(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		a := w.node("a", "ga", db.StorageField)
		b := w.node("b", "gb", db.StorageField)
		empty := w.node("empty", "ge", db.StorageField)
		for _, f := range []string{"one", "three", "fiftyfive", "x", "gone"} {
			w.file(f)
		}
		w.copy("one", "a", db.HasYes, db.WantYes)
		w.copy("three", "a", db.HasYes, db.WantNo) // released but still present: counts
		w.copy("fiftyfive", "a", db.HasMaybe, db.WantYes)
		w.copy("x", "a", db.HasCorrupt, db.WantYes)
		w.copy("gone", "a", db.HasNo, db.WantNo)
		w.copy("one", "b", db.HasNo, db.WantYes)

		got, err := index.NodeUsages(ctx, w.d, []int64{a.ID, b.ID, empty.ID})
		w.must(err)
		want := map[int64]index.NodeUsage{
			a.ID:     {Copies: map[db.HasFile]int64{"Y": 2, "M": 1, "X": 1, "N": 1}, UsedB: int64(len("one") + len("three"))},
			b.ID:     {Copies: map[db.HasFile]int64{"Y": 0, "M": 0, "X": 0, "N": 1}},
			empty.ID: {Copies: map[db.HasFile]int64{"Y": 0, "M": 0, "X": 0, "N": 0}},
		}
		for id, u := range want {
			g := got[id]
			if g == nil || g.UsedB != u.UsedB || !maps.Equal(g.Copies, u.Copies) {
				t.Errorf("node %d: got %+v, want %+v", id, g, u)
			}
		}

		// A copy found corrupt moves between the counts.
		setColumn(w, &db.ArchiveFileCopy{ID: w.copy("three", "b", db.HasYes, db.WantYes).ID}, "has_file", "X")
		got, err = index.NodeUsages(ctx, w.d, []int64{b.ID})
		w.must(err)
		if g := got[b.ID]; g.Copies["X"] != 1 || g.Copies["Y"] != 0 || g.UsedB != 0 {
			t.Errorf("after corruption: %+v", g)
		}
	})
}

func TestPendingRequestsByGroup(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		w.group("idle")
		for _, f := range []string{"a", "b", "c", "d"} {
			w.file(f)
			w.copy(f, "src", db.HasYes, db.WantYes)
		}
		w.request("a", "src", "dst")
		w.request("b", "src", "dst")
		setColumn(w, w.request("c", "src", "dst"), "completed", true)
		setColumn(w, w.request("d", "src", "dst"), "cancelled", true)
		w.request("d", "src", "other")

		got, err := index.PendingRequestsByGroup(ctx, w.d)
		w.must(err)
		want := map[string]int64{"sg": 0, "idle": 0, "dst": 2, "other": 1}
		if !maps.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
