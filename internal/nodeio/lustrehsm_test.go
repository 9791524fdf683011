package nodeio

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// hsmConfig is the io_config of a LustreHSM node using the lfs stand-in
// with a one-second restore_wait.
func hsmConfig(extra string) string {
	c := `"headroom": 0, "restore_wait": 1`
	if extra != "" {
		c = extra + ", " + `"restore_wait": 1`
	}
	return quotaConfig(c)
}

func TestLustreHSMConfig(t *testing.T) {
	newFakeLFS(t).onPath()
	w := newClassWorld(t, "")
	g := w.group("hsm", "", "")
	cases := []struct{ config, err string }{
		{quotaConfig(`"headroom": 10`), ""},
		{quotaConfig(`"headroom": 10.5, "restore_wait": "5", "release_check_count": 1`), ""},
		{`{"headroom": 10}`, `"quota_id" missing from StorageNode tape io_config`},
		{quotaConfig(""), `"headroom" missing from StorageNode tape io_config`},
		{quotaConfig(`"headroom": "lots"`), `io_config key 'headroom' must be a number (=lots)`},
		{quotaConfig(`"headroom": 10, "restore_wait": 0`), `io_config key 'restore_wait' non-positive (=0)`},
		{quotaConfig(`"headroom": 10, "restore_wait": 0.5`), `io_config key 'restore_wait' non-positive (=0)`},
		{quotaConfig(`"headroom": 10, "restore_wait": [1]`), `io_config key 'restore_wait' must be an integer (=[1])`},
		{quotaConfig(`"headroom": 10, "release_check_count": -3`), `io_config key 'release_check_count' non-positive (=-3)`},
		{quotaConfig(`"headroom": 10, "release_check_count": "many"`), `io_config key 'release_check_count' must be an integer (=many)`},
	}
	for _, c := range cases {
		n := w.node("tape", g, nodeSpec{ioClass: "LustreHSM", ioConfig: c.config})
		_, err := NewNodeIO(w.env, n, w.queue.NewFIFO("Node tape"))
		want := ""
		if c.err != "" {
			want = c.err + "  Ignoring StorageNode tape."
		}
		var ce *ClassError
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", c.config, err)
		case want != "" && (!errors.As(err, &ce) || err.Error() != want):
			t.Errorf("%s: error %v; want ClassError %q", c.config, err, want)
		}
	}

	// The remote view needs none of it: it only reads the data index.
	n := w.node("tape", g, nodeSpec{ioClass: "LustreHSM", ioConfig: `{}`})
	if r, err := NewRemote(w.env, n); err != nil {
		t.Errorf("NewRemote: %v", err)
	} else if _, ok := r.(LustreHSMRemote); !ok {
		t.Errorf("remote view is %T", r)
	}

	for config, want := range map[string]string{
		`{}`:                      "",
		`{"threshold": 1e6}`:      "",
		`{"threshold": "a lot"}`:  `io_config key 'threshold' must be a number (=a lot)  Ignoring StorageGroup pair.`,
		`{"threshold": [1, 2.5]}`: `io_config key 'threshold' must be a number (=[1,2.5])  Ignoring StorageGroup pair.`,
	} {
		_, err := NewGroupIO(w.env, w.group("pair", "LustreHSM", config), w.queue.NewFIFO("Group pair"))
		if got := errText(err); got != want {
			t.Errorf("group io_config %s: error %q; want %q", config, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestLustreHSMNode(t *testing.T) {
	f := newFakeLFS(t)
	f.onPath()
	w := newClassWorld(t, "")
	n := w.node("tape", w.group("hsm", "", ""), nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig("")})
	nio := w.nodeIO(n).IO()
	ctx := context.Background()

	if !nio.CheckInit(ctx) || !nio.Init(ctx) {
		t.Error("HSM node without a node file not initialised")
	}
	if _, err := os.Stat(filepath.Join(*n.Root, nodeFile)); !os.IsNotExist(err) {
		t.Errorf("node file written: %v", err)
	}
	if !nio.Fits(ctx, 1<<60) {
		t.Error("a file does not fit on tape")
	}

	// A stub on disk: its apparent size is what counts.
	stub := filepath.Join(*n.Root, "acq", "stub.dat")
	w.write(n, "acq/stub.dat", "")
	if err := os.Truncate(stub, 1<<20); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stub, "acq/stub.dat"} {
		if size, err := nio.FileSize(p, true); err != nil || size != 1<<20 {
			t.Errorf("FileSize(%s) = %d, %v; want %d", p, size, err, 1<<20)
		}
	}

	if nio.Exists(ctx, "acq/absent.dat") {
		t.Error("absent file exists")
	}
	f.setState(stub, "released")
	if !nio.Exists(ctx, "acq/stub.dat") {
		t.Error("released file does not exist")
	}
	f.setState(stub, "broken")
	if !nio.Exists(ctx, "acq/stub.dat") {
		t.Error("file of unknown state does not exist")
	}

	// Import waits for a released file until it is restored.
	f.setState(stub, "released")
	if nio.ReadyPath(ctx, "acq/stub.dat") {
		t.Error("released file ready for import")
	}
	if got := f.state(stub); got != "restoring" {
		t.Errorf("released file not being restored: %s", got)
	}
	for state, want := range map[string]bool{"restored": true, "unarchived": true, "restoring": false, "broken": false} {
		f.setState(stub, state)
		if got := nio.ReadyPath(ctx, "acq/stub.dat"); got != want {
			t.Errorf("%s file ready for import: %v", state, got)
		}
	}

	remote, err := NewRemote(w.env, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		copy *db.ArchiveFileCopy
		want bool
	}{{nil, false}, {&db.ArchiveFileCopy{Ready: false}, false}, {&db.ArchiveFileCopy{Ready: true}, true}} {
		if got := remote.PullReady(c.copy); got != c.want {
			t.Errorf("PullReady(%+v) = %v", c.copy, got)
		}
	}
}

func TestLustreHSMCheck(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		tape := w.node("tape", w.group("hsm", "", ""), nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig("")})
		nio := w.nodeIO(tape)
		abs := func(p string) string { return filepath.Join(*tape.Root, p) }
		ctx := context.Background()
		now := time.Now()

		released := w.copy(w.file("acq", "released.dat", "from tape", tape), tape, db.HasMaybe, false, now)
		f.setState(abs("acq/released.dat"), "released")
		onDisk := w.copy(w.file("acq", "ondisk.dat", "on disk", tape), tape, db.HasMaybe, true, now)
		f.setState(abs("acq/ondisk.dat"), "restored")
		gone := w.copy(w.file("acq", "gone.dat", "nowhere"), tape, db.HasMaybe, true, now)
		lost := w.copy(w.file("acq", "lost.dat", "stuck on tape", tape), tape, db.HasMaybe, false, now)
		f.setState(abs("acq/lost.dat"), "released")
		f.failRestore(abs("acq/lost.dat"), "missing")

		rec := recordLog(t)
		for _, c := range []*db.ArchiveFileCopy{released, onDisk, gone, lost} {
			nio.IO().Check(ctx, c)
		}
		w.run()

		rec.expect(t,
			"INFO Beginning task Check file acq/released.dat on node tape",
			"DEBUG Restore in progress: "+abs("acq/released.dat"),
			"INFO File acq/released.dat on node tape is A-OK!",
			"DEBUG Already restored: "+abs("acq/ondisk.dat"),
			"INFO File acq/ondisk.dat on node tape is A-OK!",
			"WARNING File copy missing during check: "+abs("acq/gone.dat")+".  Updating database.",
			"WARNING Restore request failed: "+abs("acq/lost.dat"),
			"DEBUG Aborting check of "+abs("acq/lost.dat")+" after failed restore.")
		rec.expectPrefix(t, "INFO acq/released.dat restored on node tape after ")

		for _, c := range []struct {
			copy  *db.ArchiveFileCopy
			has   db.HasFile
			state string
		}{
			// Verified, then put back on tape: its copy is not ready.
			{released, db.HasYes, "released"},
			{onDisk, db.HasYes, "restored"},
			{gone, db.HasNo, ""},
			// Left suspect, to be checked again.
			{lost, db.HasMaybe, "released"},
		} {
			got := w.reread(c.copy)
			if got.HasFile != c.has {
				t.Errorf("copy of %s: has_file %s; want %s", c.copy.File.Name, got.HasFile, c.has)
			}
			if got.Ready != c.copy.Ready {
				t.Errorf("copy of %s: ready changed to %v", c.copy.File.Name, got.Ready)
			}
			if c.state != "" {
				if s := f.state(abs("acq/" + c.copy.File.Name)); s != c.state {
					t.Errorf("%s left %s; want %s", c.copy.File.Name, s, c.state)
				}
			}
		}
	})
}

func TestLustreHSMReadyPull(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		tape := w.node("tape", w.group("hsm", "", ""), nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig("")})
		dst := w.group("dst", "", "")
		nio := w.nodeIO(tape)
		abs := func(p string) string { return filepath.Join(*tape.Root, p) }
		ctx := context.Background()

		wanted := w.file("acq", "wanted.dat", "please restore", tape)
		wantedCopy := w.copy(wanted, tape, db.HasYes, false, time.Now())
		f.setState(abs("acq/wanted.dat"), "released")
		f.holdRestore(abs("acq/wanted.dat"))
		stuck := w.file("acq", "stuck.dat", "cannot come back", tape)
		stuckCopy := w.copy(stuck, tape, db.HasYes, true, time.Now())
		f.setState(abs("acq/stuck.dat"), "released")
		f.failRestore(abs("acq/stuck.dat"), "missing")

		rec := recordLog(t)
		req := w.request(wanted, tape, dst)
		nio.IO().ReadyPull(ctx, req)
		nio.IO().ReadyPull(ctx, w.request(stuck, tape, dst))
		// Let the restore start, then ask again for the file while it is
		// being waited for.
		w.start()
		w.waitFor("the restore to start", func() bool {
			q, d, p := w.queue.Counts()
			return q == 0 && p == 0 && d == 1 && f.state(abs("acq/wanted.dat")) == "restoring"
		})
		nio.IO().ReadyPull(ctx, req)
		again := w.reread(wantedCopy)
		again.File = wanted
		nio.IO().Check(ctx, &again)
		rec.expect(t,
			"DEBUG Skipping ready of acq/wanted.dat on node tape: restore in progress.",
			"DEBUG Skipping check of "+abs("acq/wanted.dat")+": restore in progress.")
		f.finishRestore(abs("acq/wanted.dat"))
		w.run()

		rec.expect(t,
			"INFO Beginning task Ready file acq/wanted.dat on node tape",
			"INFO File copy acq/wanted.dat on node tape now restored",
			"INFO File copy acq/stuck.dat on node tape now released")
		if got := w.reread(wantedCopy); !got.Ready {
			t.Error("restored copy not ready")
		}
		if got := w.reread(stuckCopy); got.Ready {
			t.Error("copy that failed to restore still ready")
		}
		if s := f.state(abs("acq/wanted.dat")); s != "restored" {
			t.Errorf("wanted file left %s", s)
		}
	})
}

func TestLustreHSMRelease(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		tape := w.node("tape", w.group("hsm", "", ""), nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig(`"headroom": 100`)})
		nio := w.nodeIO(tape)
		abs := func(p string) string { return filepath.Join(*tape.Root, p) }
		ctx := context.Background()
		setAvail := func(v *float64) {
			row := *nio.Row()
			row.AvailGB = v
			nio.IO().SetStorage(&row)
		}

		// Oldest first; each 60000 bytes.
		start := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
		content := strings.Repeat("x", 60000)
		copies := map[string]*db.ArchiveFileCopy{}
		for i, c := range []struct {
			name, state string
			ready       bool
		}{
			{"already.dat", "released", false},
			{"oldest.dat", "restored", true},
			{"unarchived.dat", "unarchived", true},
			{"refused.dat", "restored", true},
			{"older.dat", "restored", true},
			{"newest.dat", "restored", true},
		} {
			file := w.file("acq", c.name, content, tape)
			copies[c.name] = w.copy(file, tape, db.HasYes, c.ready, start.Add(time.Duration(i)*time.Minute))
			f.setState(abs("acq/"+c.name), c.state)
		}
		f.failRelease(abs("acq/refused.dat"))

		rec := recordLog(t)
		if !nio.IO().BeforeUpdate(ctx, true) || nio.queued() != 0 {
			t.Fatal("release queued, or update cancelled, with free space unknown")
		}
		rec.expect(t, "DEBUG Skipping release_files: free space unknown.")

		setAvail(gb(1))
		if !nio.IO().BeforeUpdate(ctx, true) || nio.queued() != 0 {
			t.Fatal("release queued, or update cancelled, with headroom to spare")
		}
		setAvail(gb(0))
		if !nio.IO().BeforeUpdate(ctx, false) || nio.queued() != 0 {
			t.Fatal("release queued, or update cancelled, on a busy node")
		}

		// Pages of two copies: released copies leave the selection as the
		// pages go by.
		defer func(n int) { releasePage = n }(releasePage)
		releasePage = 2
		if !nio.IO().BeforeUpdate(ctx, true) || nio.queued() != 1 {
			t.Fatal("release not queued")
		}
		w.run()
		rec.expect(t,
			"INFO Beginning task Node tape: HSM release 100.0 kiB",
			"DEBUG releasing file copy "+abs("acq/oldest.dat")+" [=58.59 kiB] on node tape",
			"INFO Released 117.2 kiB in 2 files on node tape")
		for name, want := range map[string]string{
			"already.dat": "released", "oldest.dat": "released", "unarchived.dat": "unarchived",
			"refused.dat": "restored", "older.dat": "released", "newest.dat": "restored",
		} {
			if got := f.state(abs("acq/" + name)); got != want {
				t.Errorf("%s left %s; want %s", name, got, want)
			}
			if got := w.reread(copies[name]); got.Ready != (want != "released") {
				t.Errorf("%s: ready %v", name, got.Ready)
			}
		}
	})
}

func TestLustreHSMStateCheck(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		g := w.group("hsm", "", "")
		tape := w.node("tape", g, nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig(`"headroom": 0, "release_check_count": 5`)})
		nio := w.nodeIO(tape)
		abs := func(p string) string { return filepath.Join(*tape.Root, p) }
		ctx := context.Background()

		rec := recordLog(t)
		nio.IO().IdleUpdate(ctx, false)
		if nio.queued() != 0 {
			t.Fatal("state check queued for a node without files")
		}

		copies := map[string]*db.ArchiveFileCopy{}
		for _, c := range []struct {
			name, state string
			has         db.HasFile
			ready       bool
		}{
			{"released.dat", "released", db.HasYes, true},
			{"restored.dat", "restored", db.HasYes, false},
			{"missing.dat", "", db.HasYes, true},
			{"broken.dat", "broken", db.HasYes, true},
			{"unarchived.dat", "unarchived", db.HasYes, true},
			{"removed.dat", "released", db.HasNo, true},
		} {
			var file *db.ArchiveFile
			if c.state == "" {
				file = w.file("acq", c.name, c.name)
			} else {
				file = w.file("acq", c.name, c.name, tape)
				f.setState(abs("acq/"+c.name), c.state)
			}
			copies[c.name] = w.copy(file, tape, c.has, c.ready, time.Now())
		}

		nio.IO().IdleUpdate(ctx, false)
		w.run()
		rec.expect(t,
			"INFO Beginning task Node tape: HSM state check of 5 files",
			"INFO Updating file copy acq/released.dat: ready -> False",
			"INFO Updating file copy acq/restored.dat: ready -> True",
			"WARNING File copy acq/missing.dat on node tape is missing!",
			"WARNING Unable to determine state for acq/broken.dat on node tape.")
		rec.refuse(t, "Updating file copy acq/unarchived.dat")
		rec.refuse(t, "acq/removed.dat")
		for name, want := range map[string]struct {
			has   db.HasFile
			ready bool
		}{
			"released.dat": {db.HasYes, false}, "restored.dat": {db.HasYes, true}, "missing.dat": {db.HasNo, false},
			"broken.dat": {db.HasYes, true}, "unarchived.dat": {db.HasYes, true}, "removed.dat": {db.HasNo, true},
		} {
			got := w.reread(copies[name])
			if got.HasFile != want.has || got.Ready != want.ready {
				t.Errorf("%s: has_file %s, ready %v; want %s, %v", name, got.HasFile, got.Ready, want.has, want.ready)
			}
		}

		// The walk carries on round the node, repeating copies when there
		// are fewer than a batch.
		rec.reset()
		nio.IO().IdleUpdate(ctx, false)
		w.run()
		rec.expect(t, "INFO Beginning task Node tape: HSM state check of 5 files")
	})
}

func TestLustreHSMGroup(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		ctx := context.Background()
		src := w.node("src", w.group("src", "", ""), nodeSpec{storage: db.StorageArchive})
		group := w.group("pair", "LustreHSM", `{"threshold": 100}`)
		tape := w.nodeIO(w.node("tape", group, nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig("")}))
		tape2 := w.nodeIO(w.node("tape2", group, nodeSpec{ioClass: "LustreHSM", ioConfig: hsmConfig("")}))
		disk := w.nodeIO(w.node("disk", group, nodeSpec{ioClass: "Polling"}))
		disk2 := w.nodeIO(w.node("disk2", group, nodeSpec{}))
		gio := w.groupIO(group)

		for _, c := range []struct {
			nodes []Node
			err   string
		}{
			{[]Node{tape}, "need exactly two nodes in StorageGroup group pair (have 1)"},
			{[]Node{tape, disk, disk2}, "need exactly two nodes in StorageGroup group pair (have 3)"},
			{[]Node{tape, tape2}, "Can't use two LustreHSM nodes in StorageGroup pair"},
			{[]Node{disk, disk2}, "no LustreHSM node in StorageGroup pair"},
		} {
			if _, err := gio.SetNodes(c.nodes); errText(err) != c.err {
				t.Errorf("SetNodes error %q; want %q", errText(err), c.err)
			}
		}
		if got, err := gio.SetNodes([]Node{disk, tape}); err != nil || len(got) != 2 {
			t.Fatalf("SetNodes = %v, %v", got, err)
		}

		// The threshold is inclusive.
		small := w.file("acq", "small.dat", strings.Repeat("s", 100), src)
		large := w.file("acq", "large.dat", strings.Repeat("L", 101), src)
		unsized := w.file("acq", "unsized.dat", "size unknown", src)
		w.mustUpdate(&db.ArchiveFile{}, unsized.ID, map[string]any{"size_b": nil})
		unsized.SizeB = nil
		for _, c := range []struct {
			file *db.ArchiveFile
			to   *classNode
		}{{small, disk}, {large, tape}, {unsized, tape}} {
			w.copy(c.file, src, db.HasYes, true, time.Now())
			before := c.to.queued()
			if err := gio.PullForce(ctx, w.request(c.file, src, group)); err != nil {
				t.Fatal(err)
			}
			if c.to.queued() != before+1 {
				t.Errorf("%s not pulled onto %s", c.file.Name, c.to.Name())
			}
		}
		if disk.queued() != 1 || tape.queued() != 2 {
			t.Errorf("pulls queued: %d on disk, %d on tape; want 1 and 2", disk.queued(), tape.queued())
		}
		w.run()
		for _, c := range []struct {
			file *db.ArchiveFile
			on   *classNode
		}{{small, disk}, {large, tape}} {
			if copy := w.copyOn(c.file, c.on.Row()); copy == nil || copy.HasFile != db.HasYes || !copy.Ready {
				t.Errorf("copy of %s on %s: %+v", c.file.Name, c.on.Name(), copy)
			}
		}

		// Exists looks on the small-file node first.
		if n := gio.Exists(ctx, "acq/elsewhere.dat"); n != nil {
			t.Errorf("Exists found an absent file on %s", n.Name())
		}
		if n := gio.Exists(ctx, "acq/large.dat"); n == nil || n.Name() != "tape" {
			t.Errorf("Exists(large) = %v; want tape", n)
		}
		w.write(disk.Row(), "acq/large.dat", "a second one")
		if n := gio.Exists(ctx, "acq/large.dat"); n == nil || n.Name() != "disk" {
			t.Errorf("Exists(large) = %v; want disk", n)
		}
	})
}
