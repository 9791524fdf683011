package index_test

import (
	"context"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// claimAll asks for the deletion of file's copy on each node in turn, as
// daemons on those nodes would, and returns the claims.
func claimAll(t *testing.T, w *world, file string, nodes ...string) []index.Claim {
	t.Helper()
	ctx := context.Background()
	var out []index.Claim
	for _, name := range nodes {
		n := w.nodes[name]
		var c db.ArchiveFileCopy
		w.must(w.d.Gorm.Where("file_id = ? AND node_id = ?", w.files[file].ID, n.ID).First(&c).Error)
		cands, err := index.DeletionCandidates(ctx, w.d, n, []int64{c.ID})
		w.must(err)
		if len(cands) != 1 {
			t.Fatalf("%s on %s: %d deletion candidates, want 1", file, name, len(cands))
		}
		claim, err := index.ClaimDeletion(ctx, w.d, n, cands[0])
		w.must(err)
		out = append(out, claim)
	}
	return out
}

func TestGuardKeepsRequiredArchiveCopies(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		for _, n := range []string{"a1", "a2", "a3", "a4"} {
			w.node(n, "archive", db.StorageArchive)
		}
		w.file("f")
		for _, n := range []string{"a1", "a2", "a3", "a4"} {
			w.copy("f", n, db.HasYes, db.WantNo)
		}
		// Four archive copies: deleting leaves three, then two; the
		// third and fourth would leave fewer than two others.
		claims := claimAll(t, w, "f", "a1", "a2", "a3", "a4")
		for i, want := range []bool{true, true, false, false} {
			if claims[i].OK != want {
				t.Errorf("claim %d: OK = %v, want %v (%+v)", i+1, claims[i].OK, want, claims[i])
			}
		}
		if claims[2].Count != 2 {
			t.Errorf("third claim counted %d archive copies, want 2", claims[2].Count)
		}
		for n, want := range map[string]string{"a1": "M/N", "a2": "M/N", "a3": "Y/N", "a4": "Y/N"} {
			if got := w.state("f", n); got != want {
				t.Errorf("copy on %s: %s, want %s", n, got, want)
			}
		}
	})
}

func TestGuardFieldNodeNeedsTwoArchiveCopies(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		w.node("field", "fg", db.StorageField)
		w.node("a1", "archive", db.StorageArchive)
		w.node("a2", "archive", db.StorageArchive)
		w.file("f")
		w.copy("f", "field", db.HasYes, db.WantNo)
		w.copy("f", "a1", db.HasYes, db.WantYes)
		a2 := w.copy("f", "a2", db.HasMaybe, db.WantYes)
		if c := claimAll(t, w, "f", "field")[0]; c.OK || c.Count != 1 {
			t.Fatalf("one good archive copy: claim %+v, want refused counting 1", c)
		}
		w.must(w.d.Gorm.Model(a2).Update("has_file", db.HasYes).Error)
		if c := claimAll(t, w, "f", "field")[0]; !c.OK || c.Was != db.HasYes {
			t.Fatalf("two good archive copies: claim %+v, want granted", c)
		}
		if got := w.state("f", "field"); got != "M/N" {
			t.Errorf("claimed copy: %s, want M/N", got)
		}
	})
}

func TestGuardPendingPullHoldsSource(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		w.node("field", "fg", db.StorageField)
		for _, n := range []string{"a1", "a2"} {
			w.node(n, "archive", db.StorageArchive)
		}
		w.file("f")
		w.copy("f", "field", db.HasYes, db.WantNo)
		w.copy("f", "a1", db.HasYes, db.WantYes)
		w.copy("f", "a2", db.HasYes, db.WantYes)
		r := w.request("f", "field", "other")
		if c := claimAll(t, w, "f", "field")[0]; c.OK || !c.Pending {
			t.Fatalf("pending pull from the copy: claim %+v, want held back", c)
		}
		w.must(w.d.Gorm.Model(r).Update("cancelled", true).Error)
		if c := claimAll(t, w, "f", "field")[0]; !c.OK {
			t.Fatalf("request cancelled: claim %+v, want granted", c)
		}
	})
}

func TestGuardClaimUndoneAndRecorded(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("field", "fg", db.StorageField)
		for _, n := range []string{"a1", "a2"} {
			w.node(n, "archive", db.StorageArchive)
		}
		w.file("f")
		c := w.copy("f", "field", db.HasYes, db.WantNo)
		w.copy("f", "a1", db.HasYes, db.WantYes)
		w.copy("f", "a2", db.HasYes, db.WantYes)
		claim := claimAll(t, w, "f", "field")[0]
		w.must(index.UnclaimDeletion(ctx, w.d, c.ID, claim.Was))
		if got := w.state("f", "field"); got != "Y/N" {
			t.Fatalf("after undoing the claim: %s, want Y/N", got)
		}
		claimAll(t, w, "f", "field")
		w.must(index.RecordDeleted(ctx, w.d, c.ID))
		if got := w.state("f", "field"); got != "N/N" {
			t.Fatalf("after deletion: %s, want N/N", got)
		}
		// A copy no longer released, or gone, is no candidate.
		cands, err := index.DeletionCandidates(ctx, w.d, w.nodes["field"], []int64{c.ID})
		w.must(err)
		if len(cands) != 0 {
			t.Fatalf("deleted copy still a candidate: %+v", cands)
		}
	})
}

func TestGuardCreatesFileLocks(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		for _, n := range []string{"a1", "a2", "a3"} {
			w.node(n, "archive", db.StorageArchive)
		}
		w.file("f")
		for _, n := range []string{"a1", "a2", "a3"} {
			w.copy("f", n, db.HasYes, db.WantNo)
		}
		hasTable := func() bool {
			tables, err := w.d.ListTables(ctx)
			w.must(err)
			for _, name := range tables {
				if name == "alpenhorn_filelock" {
					return true
				}
			}
			return false
		}
		// A data index made by the Python alpenhorn has no file locks:
		// the first claim makes them (on MySQL; SQLite needs none).
		if hasTable() {
			t.Fatal("file-lock table before any claim")
		}
		if c := claimAll(t, w, "f", "a1")[0]; !c.OK {
			t.Fatalf("claim %+v, want granted", c)
		}
		if want := w.d.Engine == db.MySQL; hasTable() != want {
			t.Fatalf("file-lock table after a claim: %v, want %v", !want, want)
		}
		w.must(index.SetupFileLocks(ctx, w.d))
		if c := claimAll(t, w, "f", "a2")[0]; c.OK || c.Count != 2 {
			t.Fatalf("second claim %+v, want refused counting 2", c)
		}
	})
}
