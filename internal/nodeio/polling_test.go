package nodeio

import (
	"testing"
)

// A Polling node is a Default node that asks to be watched by rescans.
func TestPolling(t *testing.T) {
	w := newClassWorld(t, "")
	g := w.group("nfs", "", "")
	n := w.node("nfs", g, nodeSpec{ioClass: "Polling", ioConfig: `{"anything": ["goes"]}`})
	nio := w.nodeIO(n).IO()
	if got := nio.Watch(); got != WatchPolling {
		t.Errorf("Polling node watched by %v; want WatchPolling", got)
	}
	if _, ok := nio.(*PollingNode); !ok {
		t.Errorf("Polling node I/O is %T", nio)
	}
	remote, err := NewRemote(w.env, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := remote.(DefaultRemote); !ok {
		t.Errorf("Polling remote view is %T; want DefaultRemote", remote)
	}

	if _, err := NewGroupIO(w.env, w.group("polled", "Polling", ""), w.queue.NewFIFO("Group polled")); err == nil {
		t.Error("Polling accepted as a group class")
	}
	// The class name must be spelled exactly.
	n.IOClass = optional("polling")
	if _, err := NewNodeIO(w.env, n, w.queue.NewFIFO("Node nfs")); err == nil {
		t.Error(`io_class "polling" accepted`)
	}
}
