package index_test

import (
	"fmt"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// recorder is a Progress that keeps what it is told.
type recorder []string

func (r *recorder) progress() index.Progress {
	return func(done, total int) { *r = append(*r, fmt.Sprintf("%d/%d", done, total)) }
}

// The plans count the rows they read, whatever the filter keeps; the
// copy requests count the rows written, one report per INSERT.
func TestProgress(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		w.node("n", "g3", db.StorageField)
		var ids []int64
		for i := range 3 {
			name := fmt.Sprintf("f%d", i)
			ids = append(ids, w.file(name).ID)
			w.copy(name, "src", db.HasYes, db.WantYes)
		}
		none := func(int64) bool { return false }

		var sync, clean, verify recorder
		_, err := index.PlanSync(w.d.Gorm, index.SyncQuery{NodeID: src.ID, GroupID: w.group("g2").ID, Admit: none, Progress: sync.progress()})
		w.must(err)
		_, err = index.PlanClean(w.d.Gorm, index.CleanQuery{NodeID: src.ID, Goal: db.WantMaybe, Progress: clean.progress()})
		w.must(err)
		_, err = index.PlanVerify(w.d.Gorm, index.VerifyQuery{NodeID: src.ID, States: index.CopyStates{Healthy: true}, Progress: verify.progress()})
		w.must(err)
		for name, got := range map[string]recorder{"sync": sync, "clean": clean, "verify": verify} {
			if fmt.Sprint(got) != "[1/-1 2/-1 3/-1]" {
				t.Errorf("%s: told %v, want 1, 2, 3 of an unknown total", name, got)
			}
		}

		many := make([]int64, index.IDChunk+2)
		for i := range many {
			many[i] = ids[i%len(ids)]
		}
		var requests recorder
		w.must(index.CreateCopyRequests(w.d.Gorm, src.ID, w.group("g2").ID, many, requests.progress()))
		if want := fmt.Sprintf("[%d/%d %d/%d]", index.IDChunk, len(many), len(many), len(many)); fmt.Sprint(requests) != want {
			t.Errorf("copy requests: told %v, want %s", requests, want)
		}
	})
}
