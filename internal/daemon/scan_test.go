package daemon_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testdb"
)

// TestLargeScan: a scan finding more new files than it queues at once
// (1,000) queues the rest in turn, imports every file exactly once, and
// completes its request only after queueing the last.
func TestLargeScan(t *testing.T) {
	const files = 2100
	// Without the race detector: thousands of imports under it take a
	// minute, and the scan's own concurrency is what the other tests cover.
	bin := daemontest.Build(t, "./cmd/alpenhornd", false)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
		w.InitNode(n)
		for i := range files {
			daemontest.WriteFile(t, n, fmt.Sprintf("2025/02/21/%02d/%02d%02d.dat", i/1000, i%1000/60, i%60), fmt.Sprintf("%d\n", i))
		}
		scan := w.Request(n, ".", true, true)
		d := w.StartDaemon("alpha", daemontest.Settings{Level: "info"})

		w.WaitForWithin("scan imported", 5*time.Minute, func() bool {
			return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n.ID) == files
		}, d)
		if !w.ImportRequest(scan.ID).Completed {
			t.Error("scan request pending after every file was imported")
		}
		if got := w.Count(&db.ArchiveFile{}, "1 = 1"); got != files {
			t.Errorf("%d files registered, want %d", got, files)
		}
		if got := d.CountLogged(`Beginning task Scan "." on storage1 (continued)`); got != 2 {
			t.Errorf("scan continued %d times, want 2", got)
		}
		if got := d.CountLogged("Imported file copy"); got != files {
			t.Errorf("%d imports logged, want %d", got, files)
		}
	})
}
