package nodeio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestPullBatch: hard-link pulls dispatched together are served by one
// task. A link that fails in the middle leaves its request pending and its
// source suspect; one that cannot be made goes on to a pull of its own;
// a file already on the node cancels its request; every other file is
// linked, recorded once (a copy row already there, 'N', included) and its
// request completed once, with its transfer times; every reservation is
// released.
func TestPullBatch(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		src := w.node("src", w.group("src", "", ""), nodeSpec{})
		group := w.group("dst", "", "")
		dst := w.nodeIO(w.node("dst", group, nodeSpec{}))

		var files []*db.ArchiveFile
		add := func(name string, on ...*db.StorageNode) *db.ArchiveFile {
			f := w.file("acq", name, "data of "+name+"\n", on...)
			w.copy(f, src, db.HasYes, true, time.Now())
			files = append(files, f)
			return f
		}
		for i := range 3 {
			add(fmt.Sprintf("%d.dat", i), src)
		}
		// Registered with one size, on disk with another: the link is
		// made, found wrong and never given its name.
		bad := add("bad.dat", src)
		w.write(src, "acq/bad.dat", "not what was registered\n")
		// Not on disk at all: no link can be made, and the pull of its
		// own (rsync) finds no source.
		gone := add("gone.dat")
		present := add("present.dat", src, dst.Row())
		w.copy(present, dst.Row(), db.HasYes, true, time.Now())
		deleted := add("deleted.dat", src)
		w.copy(deleted, dst.Row(), db.HasNo, false, time.Now())
		for i := 3; i < 6; i++ {
			add(fmt.Sprintf("%d.dat", i), src)
		}
		reqs := make([]*db.ArchiveFileCopyRequest, len(files))
		for i, f := range files {
			reqs[i] = w.request(f, src, group)
		}

		rec := recordLog(t)
		batch := dst.IO().(BatchPuller)
		if err := batch.PullBatch(ctx, reqs); err != nil {
			t.Fatal(err)
		}
		// Dispatched again before the task ran: nothing more is queued.
		if err := batch.PullBatch(ctx, reqs); err != nil {
			t.Fatal(err)
		}
		if n := dst.queued(); n != 1 {
			t.Fatalf("%d tasks queued for %d requests; want 1", n, len(reqs))
		}
		w.run()

		for i, f := range files {
			path := "acq/" + f.Name
			req := w.requestRow(reqs[i])
			c := w.copyOn(f, dst.Row())
			complete := strings.Count(strings.Join(rec.lines(), "\n"), "INFO Pull of "+path+" complete. Transferred ")
			switch f {
			case bad, gone:
				if req.Completed || req.Cancelled {
					t.Errorf("%s: request after a failed pull: %+v", path, req)
				}
				if c != nil {
					t.Errorf("%s: copy recorded after a failed pull: %+v", path, c)
				}
				if s := w.copyOn(f, src); s.HasFile != db.HasMaybe {
					t.Errorf("%s: source copy %s after a failed pull; want M", path, s.HasFile)
				}
				if complete != 0 {
					t.Errorf("%s: pull logged complete", path)
				}
			case present:
				if !req.Cancelled || req.Completed {
					t.Errorf("%s: request for a file present: %+v", path, req)
				}
			default:
				if !req.Completed || req.Cancelled || req.TransferStarted == nil || req.TransferCompleted == nil ||
					req.TransferCompleted.Before(req.TransferStarted.Time) {
					t.Errorf("%s: request after the pull: %+v", path, req)
				}
				if c == nil || c.HasFile != db.HasYes || c.WantsFile != db.WantYes || !c.Ready || c.SizeB == nil {
					t.Errorf("%s: copy after the pull: %+v", path, c)
				}
				srcInfo, _ := os.Stat(filepath.Join(*src.Root, path))
				dstInfo, _ := os.Stat(filepath.Join(*dst.Row().Root, path))
				if dstInfo == nil || !os.SameFile(srcInfo, dstInfo) {
					t.Errorf("%s: not hard-linked", path)
				}
				if complete != 1 {
					t.Errorf("%s: pull logged complete %d times; want once", path, complete)
				}
			}
			if n := w.count(&db.ArchiveFileCopy{}, "file_id = ? AND node_id = ?", f.ID, dst.Row().ID); n > 1 {
				t.Errorf("%s: %d copy rows on dst", path, n)
			}
		}
		if _, err := os.Stat(filepath.Join(*dst.Row().Root, "acq/bad.dat")); !os.IsNotExist(err) {
			t.Errorf("the file that failed its check is on dst: %v", err)
		}
		// One line each, with the cause, the source marked suspect and
		// the request's first wait.
		for _, prefix := range []string{
			"ERROR Pull of acq/bad.dat from node src to node dst failed: file arrived damaged: size 24; expected ",
			"ERROR Pull of acq/gone.dat from node src to node dst failed: ",
		} {
			rec.expectPrefix(t, prefix)
		}
		for _, l := range rec.lines() {
			if strings.HasPrefix(l, "ERROR") && !strings.HasSuffix(l, "; source copy marked suspect [next try in 1m0s]") {
				t.Errorf("failure logged as %q", l)
			}
		}
		rec.expect(t,
			"INFO Pulling local file acq/gone.dat using internal copy",
			"INFO Cancelling pull request for acq/present.dat to dst: already present.",
			"INFO Hardlinked local file acq/0.dat",
		)
		if got := w.env.reserved.bytes["dst"]; got != 0 {
			t.Errorf("%d bytes still reserved after the pulls", got)
		}
		if row := dst.Row(); row.AvailGBLastChecked == nil {
			t.Error("free space not recorded after the pulls")
		}
	})
}

// TestSearchBatch: the pre-pull searches of many requests are one task and
// one query; a file already in the group cancels its request, one found on
// disk unregistered (a pull whose daemon died before recording it) is to be
// checked, and the others go to the node as one batch.
func TestSearchBatch(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		w := newClassWorld(t, url)
		ctx := context.Background()
		src := w.node("src", w.group("src", "", ""), nodeSpec{})
		group := w.group("dst", "", "")
		dst := w.nodeIO(w.node("dst", group, nodeSpec{}))
		gio := w.groupIO(group)
		if _, err := gio.SetNodes([]Node{dst}); err != nil {
			t.Fatal(err)
		}

		var reqs []*db.ArchiveFileCopyRequest
		add := func(name string, on ...*db.StorageNode) *db.ArchiveFile {
			f := w.file("acq", name, "data of "+name+"\n", append(on, src)...)
			w.copy(f, src, db.HasYes, true, time.Now())
			reqs = append(reqs, w.request(f, src, group))
			return f
		}
		in := add("in.dat", dst.Row())
		w.copy(in, dst.Row(), db.HasYes, true, time.Now())
		found := add("found.dat", dst.Row())
		var pulled []*db.ArchiveFile
		for i := range 4 {
			pulled = append(pulled, add(fmt.Sprintf("%d.dat", i)))
		}

		rec := recordLog(t)
		if err := PullAll(ctx, gio, reqs); err != nil {
			t.Fatal(err)
		}
		if n := w.queue.FIFOSize(gio.FIFO()); n != 1 {
			t.Fatalf("%d search tasks queued for %d requests; want 1", n, len(reqs))
		}
		w.run()

		if r := w.requestRow(reqs[0]); !r.Cancelled {
			t.Errorf("request for a file in the group: %+v", r)
		}
		if r := w.requestRow(reqs[1]); r.Cancelled || r.Completed {
			t.Errorf("request for a file found on disk: %+v", r)
		}
		if c := w.copyOn(found, dst.Row()); c == nil || c.HasFile != db.HasMaybe {
			t.Errorf("copy of the file found on disk: %+v", c)
		}
		for i, f := range pulled {
			if r := w.requestRow(reqs[2+i]); !r.Completed {
				t.Errorf("%s: request after the pull: %+v", f.Name, r)
			}
		}
		rec.expect(t,
			"INFO Beginning task Pre-pull search for 6 files in dst",
			fmt.Sprintf("INFO Beginning task AFCR#%d, #%d, #%d, #%d: src -> dst", reqs[2].ID, reqs[3].ID, reqs[4].ID, reqs[5].ID),
			"INFO Cancelling pull request for acq/in.dat: file already in group dst.",
			"WARNING Skipping pull request for acq/found.dat: file already on disk in group dst.",
		)
	})
}

// requestRow returns a copy request as the data index now has it.
func (w *classWorld) requestRow(r *db.ArchiveFileCopyRequest) db.ArchiveFileCopyRequest {
	w.t.Helper()
	var got db.ArchiveFileCopyRequest
	if err := w.db.Gorm.Where("id = ?", r.ID).Take(&got).Error; err != nil {
		w.t.Fatal(err)
	}
	return got
}

// count counts the rows of model's table matching where.
func (w *classWorld) count(model any, where string, args ...any) int64 {
	w.t.Helper()
	var n int64
	if err := w.db.Gorm.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}
