package index_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// requests returns every copy request, in id order.
func requests(w *world) []db.ArchiveFileCopyRequest {
	w.t.Helper()
	var rs []db.ArchiveFileCopyRequest
	w.must(w.d.Gorm.Order("id").Find(&rs).Error)
	return rs
}

// finish marks request r completed or cancelled.
func finish(w *world, r *db.ArchiveFileCopyRequest, column string) {
	w.t.Helper()
	w.must(w.d.Gorm.Model(&db.ArchiveFileCopyRequest{}).Where("id = ?", r.ID).Update(column, true).Error)
}

func TestCreateCopyRequestsWritesPendingRows(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		dest := w.group("g2")
		// More than one statement's worth, in an order other than the
		// files': the requests keep the order given.
		var ids []int64
		for i := range index.IDChunk + 2 {
			ids = append([]int64{w.file(fmt.Sprintf("f%04d", i)).ID}, ids...)
		}
		w.must(index.CreateCopyRequests(w.d.Gorm, src.ID, dest.ID, ids, nil))
		w.must(index.CreateCopyRequests(w.d.Gorm, src.ID, dest.ID, nil, nil))
		rs := requests(w)
		if len(rs) != len(ids) {
			t.Fatalf("%d requests, want %d", len(rs), len(ids))
		}
		stamp := rs[0].Timestamp
		for i, r := range rs {
			if r.FileID != ids[i] || r.NodeFromID != src.ID || r.GroupToID != dest.ID || r.Completed || r.Cancelled ||
				r.TransferStarted != nil || r.TransferCompleted != nil {
				t.Fatalf("request %d: %+v, want pending file %d from %d to %d", i, r, ids[i], src.ID, dest.ID)
			}
			if r.Timestamp == nil || !r.Timestamp.Equal(stamp.Time) {
				t.Fatalf("request %d: timestamp %v, want %v for all", i, r.Timestamp, stamp)
			}
		}
	})
}

func TestCreateCopyRequestsKeepsDuplicates(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		f := w.file("f")
		w.request("f", "src", "g2")
		w.must(index.CreateCopyRequests(w.d.Gorm, src.ID, w.group("g2").ID, []int64{f.ID}, nil))
		if n := len(requests(w)); n != 2 {
			t.Errorf("%d requests, want 2: creation does not look for pending duplicates", n)
		}
	})
}

func TestAutoSyncCreatesRequestsForAbsentFiles(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		w.node("other", "g2", db.StorageField)
		w.must(w.d.Gorm.Create(&db.StorageTransferAction{NodeFromID: src.ID, GroupToID: w.group("g2").ID, Autosync: true}).Error)
		present, absent := w.file("present"), w.file("absent")
		w.copy("present", "other", db.HasYes, db.WantYes)
		w.must(index.AutoActions(context.Background(), w.d.Gorm, src, present, absent))
		rs := requests(w)
		if len(rs) != 1 || rs[0].FileID != absent.ID || rs[0].NodeFromID != src.ID || rs[0].GroupToID != w.group("g2").ID ||
			rs[0].Completed || rs[0].Cancelled || rs[0].Timestamp == nil {
			t.Errorf("requests %+v, want one pending request for %q into g2", rs, "absent")
		}
	})
}

// threeRequests makes a pending, a completed and a cancelled request of
// file f from src into g2.
func threeRequests(w *world) (pending, completed, cancelled *db.ArchiveFileCopyRequest) {
	w.node("src", "g1", db.StorageField)
	w.file("f")
	pending, completed, cancelled = w.request("f", "src", "g2"), w.request("f", "src", "g2"), w.request("f", "src", "g2")
	finish(w, completed, "completed")
	finish(w, cancelled, "cancelled")
	return pending, completed, cancelled
}

func TestCancelCopyRequestsOnlyPending(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		pending, completed, cancelled := threeRequests(w)
		n, err := index.CancelCopyRequests(w.d.Gorm, []int64{pending.ID, completed.ID, cancelled.ID})
		w.must(err)
		if n != 1 {
			t.Errorf("cancelled %d, want 1", n)
		}
		want := map[int64][2]bool{pending.ID: {false, true}, completed.ID: {true, false}, cancelled.ID: {false, true}}
		for _, r := range requests(w) {
			if got := [2]bool{r.Completed, r.Cancelled}; got != want[r.ID] {
				t.Errorf("request %d: completed, cancelled = %v, want %v", r.ID, got, want[r.ID])
			}
		}
	})
}

func TestCancelFileCopyRequests(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		_, completed, _ := threeRequests(w)
		w.node("src2", "g1", db.StorageField)
		w.file("other")
		w.request("f", "src", "g3")
		w.request("f", "src2", "g2")
		otherFile := w.request("other", "src", "g2")
		n, err := index.CancelFileCopyRequests(w.d.Gorm, w.files["f"].ID, w.nodes["src"].ID, w.group("g2").ID)
		w.must(err)
		if n != 1 {
			t.Errorf("cancelled %d from src to g2, want 1 (the one pending)", n)
		}
		n, err = index.CancelFileCopyRequests(w.d.Gorm, w.files["f"].ID, 0, 0)
		w.must(err)
		if n != 2 {
			t.Errorf("cancelled %d for f, want 2 (to g3 and from src2)", n)
		}
		for _, r := range requests(w) {
			want := r.ID != completed.ID && r.ID != otherFile.ID
			if r.Cancelled != want {
				t.Errorf("request %d (file %d, %d→%d): cancelled %v, want %v", r.ID, r.FileID, r.NodeFromID, r.GroupToID, r.Cancelled, want)
			}
		}
	})
}

func TestPendingCopyRequests(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		pending, _, _ := threeRequests(w)
		acq2 := &db.ArchiveAcq{Name: "acq2"}
		w.must(w.d.Gorm.Create(acq2).Error)
		g := &db.ArchiveFile{AcqID: acq2.ID, Name: "g", Registered: db.Now()}
		w.must(w.d.Gorm.Omit("Acq").Create(g).Error)
		w.files["g"] = g
		inAcq2 := w.request("g", "src", "g2")
		w.node("src2", "g1", db.StorageField)
		fromSrc2 := w.request("f", "src2", "g3")

		ids := func(rf index.RequestFilter) []int64 {
			rs, err := index.PendingCopyRequests(w.d.Gorm, rf)
			w.must(err)
			var out []int64
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, c := range []struct {
			name string
			rf   index.RequestFilter
			want []int64
		}{
			{"all", index.RequestFilter{}, []int64{pending.ID, inAcq2.ID, fromSrc2.ID}},
			{"from src", index.RequestFilter{NodeFromID: w.nodes["src"].ID}, []int64{pending.ID, inAcq2.ID}},
			{"to g3", index.RequestFilter{GroupToID: w.group("g3").ID}, []int64{fromSrc2.ID}},
			{"acq2", index.RequestFilter{AcqIDs: []int64{acq2.ID}}, []int64{inAcq2.ID}},
			{"file f", index.RequestFilter{FileID: w.files["f"].ID}, []int64{pending.ID, fromSrc2.ID}},
		} {
			if got := ids(c.rf); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		rs, err := index.PendingCopyRequests(w.d.Gorm, index.RequestFilter{AcqIDs: []int64{acq2.ID}})
		w.must(err)
		if rs[0].Path() != "acq2/g" || rs[0].FileID != g.ID {
			t.Errorf("request %+v, want acq2/g", rs[0])
		}

		files, err := index.PendingRequestFiles(w.d.Gorm, w.nodes["src"].ID, w.group("g2").ID)
		w.must(err)
		if len(files) != 2 || !files[w.files["f"].ID] || !files[g.ID] {
			t.Errorf("pending files from src to g2: %v, want f and g", files)
		}
		finish(w, pending, "completed")
		files, err = index.PendingRequestFiles(w.d.Gorm, w.nodes["src"].ID, w.group("g2").ID)
		w.must(err)
		if files[w.files["f"].ID] {
			t.Errorf("f still pending after its request completed")
		}
	})
}

func TestImportRequests(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n := w.node("n", "g", db.StorageField)
		w.must(index.CreateImportRequest(w.d.Gorm, n.ID, "acq/sub", true, true))
		w.must(index.RequestNodeInit(w.d.Gorm, n.ID))
		var rs []db.ArchiveFileImportRequest
		w.must(w.d.Gorm.Order("id").Find(&rs).Error)
		if len(rs) != 2 {
			t.Fatalf("%d import requests, want 2", len(rs))
		}
		for i, want := range []db.ArchiveFileImportRequest{
			{NodeID: n.ID, Path: "acq/sub", Recurse: true, Register: true},
			{NodeID: n.ID, Path: db.NodeInitPath},
		} {
			r := rs[i]
			if r.NodeID != want.NodeID || r.Path != want.Path || r.Recurse != want.Recurse || r.Register != want.Register ||
				r.Completed || r.Timestamp == nil {
				t.Errorf("import request %d: %+v, want pending %+v with a timestamp", i, r, want)
			}
		}
		ok, err := index.CompleteImportRequest(context.Background(), w.d, rs[0].ID)
		w.must(err)
		again, err := index.CompleteImportRequest(context.Background(), w.d, rs[0].ID)
		w.must(err)
		if !ok || again {
			t.Errorf("completing twice: %v then %v, want true then false", ok, again)
		}
	})
}
