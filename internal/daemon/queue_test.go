package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// pullBound is the daemon's bound on the pulls one group update queues
// (maxQueuedPulls in group.go).
const pullBound = 4096

// pullTask is the start of a pull task, with its requests' ids.
var pullTask = regexp.MustCompile(`Beginning task AFCR#([0-9, #]+): src -> dst`)

// TestPullBound: with more pending requests than one pass may queue, the
// first pass queues no more than the bound, the later passes serve the
// rest, and a request cancelled while it waited for its turn is never
// pulled.
func TestPullBound(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		src := w.Node("src", w.Group("src"), daemontest.NodeSpec{Host: "alpha"})
		g := w.Group("dst")
		dst := w.Node("dst", g, daemontest.NodeSpec{Host: "alpha"})
		w.InitNode(src)
		w.InitNode(dst)
		const files = pullBound + 300
		reqs := bulkRequests(t, w, src, g, files)
		last := reqs[len(reqs)-1]

		d := w.StartDaemon("alpha", daemontest.Settings{})
		// The last request waits for a later pass: cancelled during the
		// first, it must not be pulled.
		w.WaitFor("the first pass's pulls", func() bool { return pullTask.MatchString(d.Log.String()) }, d)
		w.Exec("UPDATE archivefilecopyrequest SET cancelled = 1 WHERE id = ? AND completed = 0", last.ID)
		w.WaitForWithin("every other request served", 10*time.Minute, func() bool {
			return w.Count(&db.ArchiveFileCopyRequest{}, "completed = ?", true) == files-1
		}, d)

		log := d.Log.String()
		update := `Updating group "dst".`
		firstPass := log[strings.Index(log, update)+len(update):]
		if i := strings.Index(firstPass, update); i >= 0 {
			firstPass = firstPass[:i]
		}
		if got := pulledIDs(firstPass); got > pullBound || got == 0 {
			t.Errorf("first pass queued %d pulls, want at most %d", got, pullBound)
		}
		if got := pulledIDs(log); got != files-1 {
			t.Errorf("%d pulls in all, want %d", got, files-1)
		}
		if r := w.CopyRequest(last.ID); r.Completed || !r.Cancelled {
			t.Errorf("cancelled request: completed %v, cancelled %v; want cancelled only", r.Completed, r.Cancelled)
		}
		if h, _ := w.CopyState(last.FileID, dst.ID); h != "" {
			t.Errorf("cancelled request's file recorded on dst: %q", h)
		}
		if _, err := os.Stat(filepath.Join(*dst.Root, "2025/04/01", fmt.Sprintf("%05d.dat", files-1))); !os.IsNotExist(err) {
			t.Errorf("cancelled request's file on dst's disk: %v", err)
		}
	})
}

// pulledIDs counts the requests of the pull tasks begun in log.
func pulledIDs(log string) int {
	n := 0
	for _, m := range pullTask.FindAllStringSubmatch(log, -1) {
		n += strings.Count(m[1], "#") + 1
	}
	return n
}

// bulkRequests writes n small files on src, registers them present there
// and asks for each in group g, in a few statements; it returns the
// requests in id order.
func bulkRequests(t *testing.T, w *daemontest.World, src *db.StorageNode, g *db.StorageGroup, n int) []db.ArchiveFileCopyRequest {
	t.Helper()
	acq := db.ArchiveAcq{Name: "2025/04/01"}
	w.Create(&acq)
	files := make([]db.ArchiveFile, n)
	for i := range files {
		data := fmt.Sprintf("%d\n", i)
		size, sum := int64(len(data)), daemontest.MD5Hex(data)
		name := fmt.Sprintf("%05d.dat", i)
		daemontest.WriteFile(t, src, acq.Name+"/"+name, data)
		files[i] = db.ArchiveFile{AcqID: acq.ID, Name: name, SizeB: &size, MD5Sum: &sum, Registered: db.Now()}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	gdb := w.DB.Gorm
	must(gdb.Omit("Acq").CreateInBatches(files, 500).Error)
	now := db.Now()
	copies := make([]db.ArchiveFileCopy, n)
	reqs := make([]db.ArchiveFileCopyRequest, n)
	for i, f := range files {
		copies[i] = db.ArchiveFileCopy{FileID: f.ID, NodeID: src.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, SizeB: f.SizeB, LastUpdate: now}
		reqs[i] = db.ArchiveFileCopyRequest{FileID: f.ID, NodeFromID: src.ID, GroupToID: g.ID, Timestamp: &now}
	}
	must(gdb.Omit("File", "Node").CreateInBatches(copies, 500).Error)
	must(gdb.Omit("File", "GroupTo", "NodeFrom").CreateInBatches(reqs, 500).Error)
	return reqs
}
