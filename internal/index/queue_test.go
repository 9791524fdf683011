package index_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// requestIDs is the ids of a page of pending requests, in order.
func requestIDs(page []index.PendingRequest) []int64 {
	out := make([]int64, len(page))
	for i, p := range page {
		out[i] = p.Req.ID
	}
	return out
}

func TestPendingRequestsPages(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		w.node("other", "og", db.StorageField)
		var into, from []int64
		for i := range 7 {
			f := fmt.Sprintf("f%d", i)
			w.file(f)
			r := w.request(f, "src", "dg")
			switch i {
			case 2:
				setColumn(w, r, "cancelled", true)
			case 4:
				setColumn(w, r, "completed", true)
			default:
				into = append(into, r.ID)
				from = append(from, r.ID)
			}
			// Between those of src into dg: one from another node,
			// one into another group.
			into = append(into, w.request(f, "other", "dg").ID)
			from = append(from, w.request(f, "src", "og").ID)
		}
		walk := func(name string, limit int, page func(after int64) ([]index.PendingRequest, error), want []int64) {
			var walked []int64
			var after int64
			for {
				p, err := page(after)
				w.must(err)
				if len(p) > limit {
					t.Fatalf("%s: page after %d has %d requests, limit %d", name, after, len(p), limit)
				}
				if len(p) == 0 {
					break
				}
				walked = append(walked, requestIDs(p)...)
				after = p[len(p)-1].Req.ID
			}
			if !slices.Equal(walked, want) {
				t.Errorf("%s by pages of %d: %v, want %v", name, limit, walked, want)
			}
		}
		walk("into dg", 3, func(after int64) ([]index.PendingRequest, error) {
			return index.PendingRequestsInto(ctx, w.d, w.group("dg").ID, after, 3)
		}, into)
		walk("from src", 4, func(after int64) ([]index.PendingRequest, error) {
			return index.PendingRequestsFrom(ctx, w.d, w.nodes["src"].ID, after, 4)
		}, from)
		// A page starts after afterID, not at it.
		page, err := index.PendingRequestsInto(ctx, w.d, w.group("dg").ID, into[1], 2)
		w.must(err)
		if got := requestIDs(page); !slices.Equal(got, into[2:4]) {
			t.Errorf("page of 2 after %d: %v, want %v", into[1], got, into[2:4])
		}
	})
}

func TestGroupFileCopiesChunked(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("dst", "dg", db.StorageField)
		w.node("out", "og", db.StorageField)
		// More files than one statement lists, so that the last is read
		// by a second one.
		var ids []int64
		for i := range index.IDChunk + 2 {
			ids = append(ids, w.file(fmt.Sprintf("f%d", i)).ID)
		}
		last := fmt.Sprintf("f%d", index.IDChunk+1)
		w.file("unasked")
		w.copy("f0", "dst", db.HasCorrupt, db.WantYes)
		w.copy("f0", "out", db.HasYes, db.WantYes)
		w.copy(last, "dst", db.HasYes, db.WantYes)
		w.copy("unasked", "dst", db.HasYes, db.WantYes)

		copies, err := index.GroupFileCopies(context.Background(), w.d, w.group("dg").ID, ids)
		w.must(err)
		got := map[int64]db.HasFile{}
		for _, c := range copies {
			if c.NodeID != w.nodes["dst"].ID {
				t.Errorf("copy on node %d, outside the group", c.NodeID)
			}
			got[c.FileID] = c.HasFile
		}
		want := map[int64]db.HasFile{w.files["f0"].ID: db.HasCorrupt, w.files[last].ID: db.HasYes}
		if len(got) != len(want) || got[w.files["f0"].ID] != db.HasCorrupt || got[w.files[last].ID] != db.HasYes {
			t.Errorf("copies of the page: %v, want %v (not the unasked file's)", got, want)
		}
	})
}

func TestRecordPullsLeavesCancelledRequest(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		dst := w.node("dst", "dg", db.StorageField)
		w.file("kept")
		w.file("dropped")
		kept, dropped := w.request("kept", "src", "dg"), w.request("dropped", "src", "dg")
		pulls := []index.Pull{pullFrom(t, w, kept, 4), pullFrom(t, w, dropped, 7)}
		// Cancelled while its pull ran.
		w.must(index.CancelRequest(ctx, w.d, dropped.ID))

		w.must(index.RecordPulls(ctx, w.d, dst, pulls))
		if r := copyRequestRow(w, kept.ID); !r.Completed || r.Cancelled {
			t.Errorf("live request: %+v, want completed", r)
		}
		if r := copyRequestRow(w, dropped.ID); r.Completed || !r.Cancelled || r.TransferCompleted != nil {
			t.Errorf("cancelled request: %+v, want cancelled only", r)
		}
		// The file is on the node all the same.
		if got := w.state("dropped", "dst"); got != "Y/Y" {
			t.Errorf("copy of the cancelled request's file: %s, want Y/Y", got)
		}
	})
}

func TestLiveRequests(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		var ids []int64
		for i := range index.IDChunk + 3 {
			f := fmt.Sprintf("f%d", i)
			w.file(f)
			ids = append(ids, w.request(f, "src", "dg").ID)
		}
		cancelled, completed, lastLive := ids[1], ids[index.IDChunk+1], ids[index.IDChunk+2]
		setColumn(w, &db.ArchiveFileCopyRequest{ID: cancelled}, "cancelled", true)
		setColumn(w, &db.ArchiveFileCopyRequest{ID: completed}, "completed", true)

		live, err := index.LiveRequests(ctx, w.d, append(ids, 1_000_000))
		w.must(err)
		if len(live) != len(ids)-2 || !live[ids[0]] || !live[lastLive] || live[cancelled] || live[completed] || live[1_000_000] {
			t.Errorf("live: %d of %d, want all but the cancelled, the completed and the unknown one", len(live), len(ids)+1)
		}
		if live, err := index.LiveRequests(ctx, w.d, nil); err != nil || len(live) != 0 {
			t.Errorf("no ids: %v, %v", live, err)
		}
	})
}

// TestNeverCompletedAndCancelled applies every pair, in both orders, of
// the writers that complete or cancel a copy request, and checks that the
// first one to act decides.
func TestNeverCompletedAndCancelled(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		dst := w.node("dst", "dg", db.StorageField)
		type op struct {
			name     string
			complete bool
			run      func(f string, r *db.ArchiveFileCopyRequest, pull index.Pull, check *db.ArchiveFileCopy)
		}
		ops := []op{
			{"CancelRequest", false, func(_ string, r *db.ArchiveFileCopyRequest, _ index.Pull, _ *db.ArchiveFileCopy) {
				w.must(index.CancelRequest(ctx, w.d, r.ID))
			}},
			{"CancelFileCopyRequests", false, func(_ string, r *db.ArchiveFileCopyRequest, _ index.Pull, _ *db.ArchiveFileCopy) {
				w.must(w.d.Transaction(ctx, func(tx *gorm.DB) error {
					_, err := index.CancelFileCopyRequests(tx, r.FileID, 0, 0)
					return err
				}))
			}},
			{"RecordPulls", true, func(_ string, _ *db.ArchiveFileCopyRequest, pull index.Pull, _ *db.ArchiveFileCopy) {
				w.must(index.RecordPulls(ctx, w.d, dst, []index.Pull{pull}))
			}},
			{"RecordCheck", true, func(_ string, _ *db.ArchiveFileCopyRequest, _ index.Pull, check *db.ArchiveFileCopy) {
				_, err := index.RecordCheck(ctx, w.d, dst, check, db.HasYes, nil)
				w.must(err)
			}},
		}
		n := 0
		for _, a := range ops {
			for _, b := range ops {
				if a.name == b.name {
					continue
				}
				n++
				f := fmt.Sprintf("f%d", n)
				w.file(f)
				w.copy(f, "src", db.HasYes, db.WantYes)
				check := w.copy(f, "dst", db.HasMaybe, db.WantYes)
				r := w.request(f, "src", "dg")
				pull := pullFrom(t, w, r, 1)
				a.run(f, r, pull, check)
				b.run(f, r, pull, check)
				got := copyRequestRow(w, r.ID)
				if got.Completed && got.Cancelled {
					t.Errorf("%s then %s: request both completed and cancelled", a.name, b.name)
				} else if got.Completed != a.complete || got.Cancelled == a.complete {
					t.Errorf("%s then %s: completed %v, cancelled %v; want the first to decide", a.name, b.name, got.Completed, got.Cancelled)
				}
			}
		}
	})
}
