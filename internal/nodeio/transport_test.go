package nodeio

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestTransportGroup(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		ctx := context.Background()

		src := w.node("src", w.group("src", "", ""), nodeSpec{storage: db.StorageArchive})
		group := w.group("sneaker", "Transport", "")
		t1 := w.nodeIO(w.node("t1", group, nodeSpec{storage: db.StorageTransport}))
		t2 := w.nodeIO(w.node("t2", group, nodeSpec{storage: db.StorageTransport}))
		t3 := w.nodeIO(w.node("t3", group, nodeSpec{storage: db.StorageTransport, ioClass: "LustreQuota", ioConfig: quotaConfig("")}))
		field := w.nodeIO(w.node("field", group, nodeSpec{}))
		gio := w.groupIO(group)
		file := w.file("acq", "f.dat", "transport me", src)
		w.copy(file, src, db.HasYes, true, time.Now())

		rec := recordLog(t)
		if _, err := gio.SetNodes([]Node{field}); err == nil || err.Error() != "no usable nodes (1 unusable) in Transport group sneaker" {
			t.Errorf("SetNodes with no transport node: %v", err)
		}
		rec.expect(t, `WARNING Ignoring non-transport node "field" in Transport Group "sneaker"`)
		// Listed so that list order and fill order differ.
		got, err := gio.SetNodes([]Node{field, t2, t1})
		if err != nil || !slices.Equal(got, []Node{Node(t2), Node(t1)}) {
			t.Fatalf("SetNodes = %v, %v", got, err)
		}

		nodes := []*classNode{t1, t2, t3}
		set := func(n *classNode, avail *float64, min float64, max *float64) {
			row := *n.Row()
			row.AvailGB, row.MinAvailGB, row.MaxTotalGB = avail, min, max
			n.IO().SetStorage(&row)
		}
		// chosen hands a new request to the group and says which node
		// queued its pull, if any.
		chosen := func(from *db.StorageNode) string {
			t.Helper()
			before := make([]int, len(nodes))
			for i, n := range nodes {
				before[i] = n.queued()
			}
			if err := gio.PullForce(ctx, w.request(file, from, group)); err != nil {
				t.Fatal(err)
			}
			who := ""
			for i, n := range nodes {
				if n.queued() != before[i] {
					if who != "" {
						t.Fatalf("pulls queued on %s and %s", who, n.Name())
					}
					who = n.Name()
				}
			}
			return who
		}
		check := func(what, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s: pull went to %q; want %q", what, got, want)
			}
		}

		set(t1, gb(50), 0, nil)
		set(t2, gb(100), 0, nil)
		check("fullest first", chosen(src), "t1")

		rec.reset()
		set(t1, gb(50), 60, nil)
		check("fullest under its minimum", chosen(src), "t2")
		rec.expect(t, "DEBUG Ignoring transport node t1: hit min_avail_gb")

		set(t1, gb(100), 0, nil)
		set(t2, nil, 0, nil)
		check("free space unknown", chosen(src), "t1")

		set(t1, nil, 0, nil)
		check("free space unknown on both", chosen(src), "t1")

		rec.reset()
		other := w.file("acq", "old.dat", "already carried", t1.Row())
		w.copy(other, t1.Row(), db.HasYes, true, time.Now())
		set(t1, gb(50), 0, gb(1e-9))
		set(t2, gb(100), 0, nil)
		check("fullest at its maximum", chosen(src), "t2")
		rec.expect(t, "DEBUG Ignoring transport node t1: hit max_total_gb")

		// t3 is fullest, but its quota is used up.
		rec.reset()
		f.setQuota(*t3.Row().Root + "  2  2  2  -  1  0  0  -\n")
		set(t3, gb(1), 0, nil)
		if _, err := gio.SetNodes([]Node{t2, t1, t3}); err != nil {
			t.Fatal(err)
		}
		set(t1, gb(50), 0, nil)
		check("fullest without room", chosen(src), "t1")
		rec.expect(t, "DEBUG Ignoring transport node t3: not enough space")

		rec.reset()
		for _, n := range nodes {
			set(n, gb(1), 2, nil)
		}
		check("all under their minimum", chosen(src), "")
		rec.expect(t, `DEBUG Unable to find a transport node for "acq/f.dat"`)

		rec.reset()
		set(t1, gb(50), 0, nil)
		remote := w.node("remote", w.group("away", "", ""), nodeSpec{storage: db.StorageArchive, host: "elsewhere"})
		check("source on another host", chosen(remote), "")
		rec.expect(t, "INFO Skipping pull of acq/f.dat from node remote to group sneaker: non-local transfer request.")

		// Exists looks through the nodes in list order.
		spare := w.file("acq", "spare.dat", "on disk, unregistered")
		if n := gio.Exists(ctx, "acq/spare.dat"); n != nil {
			t.Errorf("Exists found an absent file on %s", n.Name())
		}
		w.write(t1.Row(), "acq/spare.dat", "on disk, unregistered")
		if n := gio.Exists(ctx, "acq/spare.dat"); n == nil || n.Name() != "t1" {
			t.Errorf("Exists = %v; want t1", n)
		}
		w.write(t2.Row(), "acq/spare.dat", "on disk, unregistered")
		if n := gio.Exists(ctx, "acq/spare.dat"); n == nil || n.Name() != "t2" {
			t.Errorf("Exists = %v; want t2, first in the list", n)
		}

		// A pull first looks on the disks: the file found is to be checked
		// rather than pulled again.
		os.Remove(filepath.Join(*t2.Row().Root, "acq/spare.dat"))
		w.copy(spare, src, db.HasYes, true, time.Now())
		if err := gio.Pull(ctx, w.request(spare, src, group)); err != nil {
			t.Fatal(err)
		}

		w.run()
		for _, n := range []*classNode{t1, t2} {
			got, err := os.ReadFile(filepath.Join(*n.Row().Root, "acq/f.dat"))
			if err != nil || string(got) != "transport me" {
				t.Errorf("file on %s: %q, %v", n.Name(), got, err)
			}
			if c := w.copyOn(file, n.Row()); c == nil || c.HasFile != db.HasYes {
				t.Errorf("copy on %s: %+v", n.Name(), c)
			}
		}
		if _, err := os.Stat(filepath.Join(*t3.Row().Root, "acq/f.dat")); !os.IsNotExist(err) {
			t.Errorf("file pulled onto t3: %v", err)
		}
		if c := w.copyOn(spare, t1.Row()); c == nil || c.HasFile != db.HasMaybe {
			t.Errorf("copy of the file found on t1: %+v", c)
		}
		if c := w.copyOn(spare, t2.Row()); c != nil {
			t.Errorf("file found on t1 was pulled onto t2: %+v", c)
		}
	})
}
