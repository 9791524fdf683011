package reliability

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// refusal is the start of the error a daemon logs for a node another
// daemon manages.
const refusal = `ERROR >> [MainThread] Node "%s" is managed by another alpenhornd: `

// TestTwoDaemonsOneNode: a second daemon started for the nodes a daemon
// already manages (the same host name, so the same nodes) refuses them
// loudly and touches nothing: every file written meanwhile is imported,
// pulled and registered once, by the first. When the first is killed the
// second takes the nodes over and carries on; the first, started again,
// is refused in its turn.
func TestTwoDaemonsOneNode(t *testing.T) {
	gate(t)
	bins := build(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		fig := newFigures(t)
		w := daemontest.NewWorld(t, bins.daemon, url)
		g1, g2 := w.Group("storage1"), w.Group("archive2")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", AutoImport: true})
		n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
		w.InitNode(n1)
		w.InitNode(n2)
		w.Create(&db.StorageTransferAction{NodeFromID: n1.ID, GroupToID: g2.ID, Autosync: true})

		first := w.Spawn("alpha", daemontest.Settings{Level: "info"}, nil)
		t.Cleanup(func() { first.Stop(syscall.SIGTERM) })
		w.WaitFor("the first daemon at work", func() bool { return first.Logged(`Updating node "archive2".`) }, first)
		second := w.Spawn("alpha", daemontest.Settings{Level: "info"}, nil)
		t.Cleanup(func() { second.Stop(syscall.SIGTERM) })
		w.WaitFor("the second daemon's refusal", func() bool {
			return second.Logged(fmt.Sprintf(refusal, "storage1")) && second.Logged(fmt.Sprintf(refusal, "archive2"))
		}, first, second)

		write := func(from, to int) {
			for i := from; i < to; i++ {
				f := planned{acq: "2025/05/01", name: fmt.Sprintf("0%d/%04d.dat", i%10, i), data: []byte(fmt.Sprintf("file %d\n", i))}
				if err := release(*n1.Root, f); err != nil {
					t.Fatal(err)
				}
			}
		}
		pulled := func(n int) func() bool {
			return func() bool {
				return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n2.ID) == int64(n)
			}
		}
		write(0, 20)
		w.WaitFor("files imported and pulled by the first daemon", pulled(20), first, second)
		if second.Logged(`Updating node "storage1".`) || second.Logged(`Updating node "archive2".`) || second.Logged("Beginning task") {
			t.Errorf("the refused daemon worked on the nodes:\n%s", second.Log.String())
		}
		if n := strings.Count(second.Log.String(), "is managed by another alpenhornd"); n != 2 {
			t.Errorf("the refusal was logged %d times, want once per node", n)
		}

		// The first dies; the second takes over.
		first.Cmd.Process.Signal(syscall.SIGKILL)
		<-first.Done()
		w.WaitFor("the second daemon taking over", func() bool {
			return second.Logged(`Node "storage1" is no longer locked by another daemon: managing it.`) &&
				second.Logged(`Updating node "archive2".`)
		}, second)
		write(20, 40)
		w.WaitFor("files imported and pulled by the second daemon", pulled(40), second)

		// The first, started again, is refused.
		first.Restart()
		w.WaitFor("the restarted daemon's refusal", func() bool {
			return strings.Count(first.Log.String(), "is managed by another alpenhornd") == 2
		}, first, second)
		write(40, 50)
		w.WaitFor("files imported and pulled by the second daemon", pulled(50), second)
		first.Stop(syscall.SIGTERM)
		second.Stop(syscall.SIGTERM)
		checkLogs(t, urlPassword(url), first, second)
		last := first.Log.String()[strings.LastIndex(first.Log.String(), "Alpenhorn start."):]
		if strings.Contains(last, "Beginning task") {
			t.Errorf("the refused daemon worked on the nodes:\n%s", last)
		}

		log := first.Log.String() + second.Log.String()
		for i := 0; i < 50; i++ {
			path := fmt.Sprintf("2025/05/01/0%d/%04d.dat", i%10, i)
			if n := strings.Count(log, fmt.Sprintf("File \"%s\" added to DB.", path)); n != 1 {
				t.Errorf("%s registered %d times", path, n)
			}
			if n := strings.Count(log, fmt.Sprintf("Pull of %s complete", path)); n != 1 {
				t.Errorf("%s pulled %d times", path, n)
			}
		}
		fig.set("second daemons refused", 2)
		fig.set("takeovers after a kill", 1)
		fig.set("files imported and pulled once", 50)
	})
}
