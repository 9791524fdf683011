package daemon_test

import (
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// wakeInterval is the update_interval of the daemons woken by requests:
// long enough that a regular pass cannot be what served them.
const wakeInterval = 600

// passLine starts the log line that ends each pass.
const passLine = "Main loop execution was"

// TestWakeOnRequests: a copy request written after a pass, into a group
// of the daemon's host, is pulled long before the next regular pass;
// with daemon.wake_on_requests off (the default) it waits for that pass.
func TestWakeOnRequests(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	for _, tc := range []struct {
		name, conf string
		wake       bool
	}{
		{"on", "  wake_on_requests: true\n", true},
		{"off", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testdb.Engines(t, func(t *testing.T, url string) {
				w, n1, g2, _, dat := wakeWorld(t, bin, url, "alpha")
				d := w.StartDaemon("alpha", daemontest.Settings{Interval: wakeInterval, Daemon: tc.conf})
				w.WaitFor("the first pass", func() bool { return d.Logged(passLine) }, d)

				r := w.Sync(dat, n1, g2)
				pulled := func() bool { return w.CopyRequest(r.ID).Completed }
				if tc.wake {
					w.WaitForWithin("the pull", time.Minute, pulled, d)
					d.ExpectLogged(t, "New requests for this host: starting the next update now.")
					return
				}
				time.Sleep(5 * time.Second)
				if pulled() {
					t.Error("request served before the next regular pass with wake_on_requests off")
				}
				if d.Logged("New requests for this host") {
					t.Error("a pass started early with wake_on_requests off")
				}
			})
		})
	}
}

// TestWakeOnlyForThisHost: requests for another host's group or node
// start no pass; one for this host's node does.
func TestWakeOnlyForThisHost(t *testing.T) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w, n1, gb, nb, dat := wakeWorld(t, bin, url, "beta")
		d := w.StartDaemon("alpha", daemontest.Settings{Interval: wakeInterval, Daemon: "  wake_on_requests: true\n"})
		w.WaitFor("the first pass", func() bool { return d.Logged(passLine) }, d)

		w.Sync(dat, n1, gb)
		w.Request(nb, "2025/02/21", true, true)
		time.Sleep(3 * time.Second)
		if got := d.CountLogged(passLine); got != 1 {
			t.Errorf("%d passes after requests for another host, want 1", got)
		}

		daemontest.WriteFile(t, n1, "2025/02/21/23/1330.dat", "6 7 8\n")
		r := w.Request(n1, "2025/02/21/23/1330.dat", false, true)
		w.WaitForWithin("the import", time.Minute, func() bool { return w.ImportRequest(r.ID).Completed }, d)
	})
}

// wakeWorld makes node storage1 of host alpha, with a file, and node
// storage2, in a group of its own, of host2.
func wakeWorld(t *testing.T, bin, url, host2 string) (w *daemontest.World, n1 *db.StorageNode, g2 *db.StorageGroup, n2 *db.StorageNode, dat *db.ArchiveFile) {
	w = daemontest.NewWorld(t, bin, url)
	n1 = w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
	g2 = w.Group("storage2")
	n2 = w.Node("storage2", g2, daemontest.NodeSpec{Host: host2})
	w.InitNode(n1)
	w.InitNode(n2)
	return w, n1, g2, n2, w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
}
