package index_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// pullFrom returns the pull of r, loaded as the update loop loads it.
func pullFrom(t *testing.T, w *world, r *db.ArchiveFileCopyRequest, size int64) index.Pull {
	t.Helper()
	reqs, err := index.PendingRequestsInto(context.Background(), w.d, r.GroupToID, 0, 1000)
	w.must(err)
	for _, p := range reqs {
		if p.Req.ID == r.ID {
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(r.ID) * time.Minute)
			return index.Pull{Req: p.Req, Start: start, End: start.Add(time.Second), SizeB: &size}
		}
	}
	t.Fatalf("request %d not pending", r.ID)
	return index.Pull{}
}

func TestRecordPulls(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		dst := w.node("dst", "dg", db.StorageField)
		w.node("far", "fg", db.StorageField)
		w.file("new")
		w.file("corrupt")
		w.copy("new", "src", db.HasYes, db.WantYes)
		w.copy("corrupt", "src", db.HasYes, db.WantYes)
		w.copy("corrupt", "dst", db.HasCorrupt, db.WantNo)
		// Autosync from dst onwards to fg: part of the same transaction.
		w.must(w.d.Gorm.Create(&db.StorageTransferAction{NodeFromID: dst.ID, GroupToID: w.group("fg").ID, Autosync: true}).Error)
		rNew, rCorrupt := w.request("new", "src", "dg"), w.request("corrupt", "src", "dg")
		pulls := []index.Pull{pullFrom(t, w, rNew, 11), pullFrom(t, w, rCorrupt, 12)}

		w.must(index.RecordPulls(ctx, w.d, dst, pulls))
		for _, f := range []string{"new", "corrupt"} {
			if got := w.state(f, "dst"); got != "Y/Y" {
				t.Errorf("copy of %s on dst: %s, want Y/Y", f, got)
			}
		}
		var c db.ArchiveFileCopy
		w.must(w.d.Gorm.Where("file_id = ? AND node_id = ?", w.files["corrupt"].ID, dst.ID).First(&c).Error)
		if c.SizeB == nil || *c.SizeB != 12 || !c.Ready {
			t.Errorf("updated copy: %+v, want ready with size 12", c)
		}
		for _, p := range pulls {
			r := copyRequestRow(w, p.Req.ID)
			if !r.Completed || r.Cancelled || r.TransferStarted == nil || !r.TransferStarted.Time.Equal(p.Start) ||
				r.TransferCompleted == nil || !r.TransferCompleted.Time.Equal(p.End) {
				t.Errorf("request %d: %+v, want completed with its own transfer times", r.ID, r)
			}
		}
		if got := countRows(w, &db.ArchiveFileCopyRequest{}, "node_from_id = ? AND group_to_id = ? AND completed = 0", dst.ID, w.group("fg").ID); got != 2 {
			t.Errorf("autosync requests: %d, want 2", got)
		}
	})
}

func TestCancelRequest(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		w.file("f")
		pending, done := w.request("f", "src", "dg"), w.request("f", "src", "dg")
		setColumn(w, done, "completed", true)
		w.must(index.CancelRequest(ctx, w.d, pending.ID))
		w.must(index.CancelRequest(ctx, w.d, done.ID))
		if r := copyRequestRow(w, pending.ID); !r.Cancelled || r.Completed {
			t.Errorf("pending request: %+v, want cancelled", r)
		}
		if r := copyRequestRow(w, done.ID); r.Cancelled || !r.Completed {
			t.Errorf("completed request: %+v, want left completed", r)
		}
	})
}

func TestRecordCheck(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		dst := w.node("dst", "dg", db.StorageField)
		w.file("f")
		w.copy("f", "src", db.HasYes, db.WantYes)
		c := w.copy("f", "dst", db.HasMaybe, db.WantYes)
		waiting := w.request("f", "src", "dg")
		cancelled := w.request("f", "src", "dg")
		setColumn(w, cancelled, "cancelled", true)
		other := w.request("f", "src", "og")
		// A clean request arriving during the check survives it.
		setColumn(w, c, "wants_file", db.WantNo)

		satisfied, err := index.RecordCheck(ctx, w.d, dst, c, db.HasCorrupt, nil)
		w.must(err)
		if satisfied || copyRequestRow(w, waiting.ID).Completed {
			t.Fatalf("a corrupt copy satisfied the request")
		}
		if got := w.state("f", "dst"); got != "X/N" {
			t.Errorf("after a corrupt check: %s, want X/N", got)
		}

		size := int64(99)
		satisfied, err = index.RecordCheck(ctx, w.d, dst, c, db.HasYes, &size)
		w.must(err)
		if !satisfied {
			t.Errorf("a good copy satisfied nothing")
		}
		if got := w.state("f", "dst"); got != "Y/N" {
			t.Errorf("after a good check: %s, want Y/N", got)
		}
		if r := copyRequestRow(w, waiting.ID); !r.Completed {
			t.Errorf("request into dst's group not completed")
		}
		if r := copyRequestRow(w, cancelled.ID); r.Completed {
			t.Errorf("cancelled request completed")
		}
		if r := copyRequestRow(w, other.ID); r.Completed {
			t.Errorf("request into another group completed")
		}
		var got db.ArchiveFileCopy
		w.must(w.d.Gorm.First(&got, c.ID).Error)
		if got.SizeB == nil || *got.SizeB != 99 {
			t.Errorf("size after a good check: %v, want 99", got.SizeB)
		}
		// Nothing left to satisfy.
		satisfied, err = index.RecordCheck(ctx, w.d, dst, c, db.HasYes, nil)
		w.must(err)
		if satisfied {
			t.Errorf("a second good check satisfied a request again")
		}
	})
}

func TestRequestCheckAndSuspects(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		w.file("unrecorded")
		w.file("released")
		w.copy("released", "n", db.HasYes, db.WantNo)
		w.must(index.RequestCheck(ctx, w.d, w.files["unrecorded"].ID, n.ID, 5))
		w.must(index.RequestCheck(ctx, w.d, w.files["released"].ID, n.ID, 5))
		for _, f := range []string{"unrecorded", "released"} {
			if got := w.state(f, "n"); got != "M/Y" {
				t.Errorf("%s after RequestCheck: %s, want M/Y", f, got)
			}
			c, err := index.NodeFileCopy(ctx, w.d, n.ID, w.files[f].ID)
			w.must(err)
			if c == nil || c.Ready || c.File.Path() != "acq/"+f {
				t.Errorf("%s: copy %+v, want not ready, with its file", f, c)
			}
		}

		w.file("src")
		w.copy("src", "n", db.HasYes, db.WantYes)
		w.must(index.MarkSourceSuspect(ctx, w.d, w.files["src"].ID, n.ID))
		if got := w.state("src", "n"); got != "M/Y" {
			t.Errorf("suspect source: %s, want M/Y", got)
		}
		present, err := index.NodeCopiesPresent(ctx, w.d, n.ID, []int64{w.files["src"].ID, w.files["released"].ID})
		w.must(err)
		if len(present) != 0 {
			t.Errorf("present: %v, want none ('M' copies are not present)", present)
		}
		if c, err := index.NodeFileCopy(ctx, w.d, n.ID, w.files["src"].ID+100); err != nil || c != nil {
			t.Errorf("copy of an unknown file: %+v, %v", c, err)
		}
	})
}

func TestHSMStateUpdates(t *testing.T) {
	clusterEngines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n := w.node("n", "g", db.StorageField)
		for _, f := range []string{"a", "b", "c", "d"} {
			w.file(f)
		}
		a := w.copy("a", "n", db.HasYes, db.WantYes)
		b := w.copy("b", "n", db.HasYes, db.WantYes)
		c := w.copy("c", "n", db.HasYes, db.WantYes)
		d := w.copy("d", "n", db.HasYes, db.WantYes)
		// Least recently updated first: b, then a and c (by id), d out.
		old := db.NewTime(time.Now().Add(-time.Hour))
		setColumn(w, b, "last_update", old)
		setColumn(w, d, "ready", false)

		page, err := index.RestoredCopies(ctx, w.d, n.ID, nil, 2)
		w.must(err)
		if got := copyPaths(page); !slices.Equal(got, []string{"acq/b", "acq/a"}) {
			t.Fatalf("first page: %v, want b, a", got)
		}
		page, err = index.RestoredCopies(ctx, w.d, n.ID, page[1], 2)
		w.must(err)
		if got := copyPaths(page); !slices.Equal(got, []string{"acq/c"}) {
			t.Fatalf("second page: %v, want c", got)
		}

		w.must(index.SetReady(ctx, w.d, a.ID, false))
		if ready, ok, err := index.CopyReady(ctx, w.d, a.ID); err != nil || !ok || ready {
			t.Errorf("released copy: ready %v ok %v err %v", ready, ok, err)
		}
		w.must(index.SetReady(ctx, w.d, d.ID, true))
		if ready, _, _ := index.CopyReady(ctx, w.d, d.ID); !ready {
			t.Errorf("restored copy not ready")
		}
		if _, ok, err := index.CopyReady(ctx, w.d, d.ID+100); err != nil || ok {
			t.Errorf("unknown copy: ok %v err %v", ok, err)
		}
		w.must(index.RecordMissing(ctx, w.d, b.ID))
		if ready, _, _ := index.CopyReady(ctx, w.d, b.ID); w.state("b", "n") != "N/Y" || !ready {
			t.Errorf("missing copy: %s ready %v, want N/Y still ready", w.state("b", "n"), ready)
		}
		w.must(index.RecordReleasedMissing(ctx, w.d, c.ID))
		if ready, _, _ := index.CopyReady(ctx, w.d, c.ID); w.state("c", "n") != "N/Y" || ready {
			t.Errorf("missing released copy: %s ready %v, want N/Y not ready", w.state("c", "n"), ready)
		}

		names, err := index.AcqNames(ctx, w.d)
		w.must(err)
		if !slices.Equal(names, []string{"acq"}) {
			t.Errorf("acquisitions: %v", names)
		}
	})
}

// TestRecordPullsMD5: a pulled file without an MD5 gets the one its pull
// computed and its copy is present; one given another MD5 meanwhile has
// its copy recorded in doubt, its MD5 unchanged; one given the same MD5
// meanwhile is present.
func TestRecordPullsMD5(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("src", "sg", db.StorageField)
		dst := w.node("dst", "dg", db.StorageField)
		names := []string{"nomd5", "other", "same"}
		var pulls []index.Pull
		for _, f := range names {
			w.file(f)
			w.copy(f, "src", db.HasYes, db.WantYes)
			w.must(w.d.Gorm.Model(&db.ArchiveFile{}).Where("id = ?", w.files[f].ID).Update("md5sum", nil).Error)
			p := pullFrom(t, w, w.request(f, "src", "dg"), 1)
			p.MD5 = "0123456789abcdef0123456789abcdef"
			pulls = append(pulls, p)
		}
		// Given an MD5 after the pull started.
		w.must(w.d.Gorm.Model(&db.ArchiveFile{}).Where("id = ?", w.files["other"].ID).Update("md5sum", "ffffffffffffffffffffffffffffffff").Error)
		w.must(w.d.Gorm.Model(&db.ArchiveFile{}).Where("id = ?", w.files["same"].ID).Update("md5sum", "0123456789ABCDEF0123456789ABCDEF").Error)

		w.must(index.RecordPulls(ctx, w.d, dst, pulls))
		want := map[string][2]string{
			"nomd5": {"Y/Y", "0123456789abcdef0123456789abcdef"},
			"other": {"M/Y", "ffffffffffffffffffffffffffffffff"},
			"same":  {"Y/Y", "0123456789ABCDEF0123456789ABCDEF"},
		}
		for _, f := range names {
			var row db.ArchiveFile
			w.must(w.d.Gorm.Where("id = ?", w.files[f].ID).Take(&row).Error)
			if got := w.state(f, "dst"); got != want[f][0] {
				t.Errorf("copy of %s: %s, want %s", f, got, want[f][0])
			}
			if row.MD5Sum == nil || *row.MD5Sum != want[f][1] {
				t.Errorf("MD5 of %s: %v, want %s", f, row.MD5Sum, want[f][1])
			}
		}
	})
}
