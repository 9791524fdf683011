package nodeio

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// A Lustre node whose io_config is unusable is left out, with the reason,
// rather than stopping the daemon.
func TestLustreQuotaConfig(t *testing.T) {
	f := newFakeLFS(t)
	f.onPath()
	w := newClassWorld(t, "")
	g := w.group("lustre", "", "")
	cases := []struct {
		config string
		err    string
		warn   string
		cmd    string
	}{
		{config: `{}`, err: `"quota_id" missing from StorageNode lq io_config  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "grp"}`, err: `"quota_type" missing from StorageNode lq io_config  Ignoring StorageNode lq.`},
		{config: `{"quota_type": "group"}`, err: `"quota_id" missing from StorageNode lq io_config  Ignoring StorageNode lq.`},
		{config: `{"quota_id": null, "quota_type": "user"}`, err: `"quota_id" missing from StorageNode lq io_config  Ignoring StorageNode lq.`},
		{config: `{"quota_group": "grp"}`, cmd: "quota -q -g grp",
			warn: "WARNING Using deprecated 'quota_group' in StorageNode lq io_config"},
		{config: `{"quota_id": "who", "quota_group": "grp"}`, cmd: "quota -q -g grp",
			warn: "WARNING Using deprecated 'quota_group' in StorageNode lq io_config"},
		{config: `{"quota_id": "me", "quota_type": "user"}`, cmd: "quota -q -u me"},
		{config: `{"quota_id": 1000, "quota_type": "project"}`, cmd: "quota -q -p 1000"},
		{config: `{"quota_id": "x", "quota_type": "other"}`, err: `invalid quota_type: other  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": 3}`, err: `invalid quota_type: 3  Ignoring StorageNode lq.`},
		{config: `{"quota_id": true, "quota_type": "user"}`,
			err: `io_config key 'quota_id' must be a string or a number (=True)  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": "user", "lfs": "no-such-lfs"}`, err: `lfs command not found.  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": "user", "lfs": 5}`, err: `io_config key 'lfs' must be a string (=5)  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": "user", "lfs": "` + f.path + `"}`, cmd: "quota -q -u x"},
		{config: `{"quota_id": "x", "quota_type": "user", "lfs_timeout": 0}`,
			err: `io_config key 'lfs_timeout' non-positive (=0)  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": "user", "lfs_timeout": "10"}`,
			err: `io_config key 'lfs_timeout' must be a number (=10)  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x", "quota_type": "user", "fixed_quota": 1.5}`,
			err: `io_config key 'fixed_quota' must be a whole number of kiB (=1.5)  Ignoring StorageNode lq.`},
		{config: `["quota_id"]`, err: `Invalid io_config: "["quota_id"]".  Ignoring StorageNode lq.`},
		{config: `{"quota_id": "x",`, err: `Invalid io_config: "{"quota_id": "x",": Expecting property name enclosed in double quotes: line 1 column 18 (char 17).  Ignoring StorageNode lq.`},
	}
	for _, c := range cases {
		t.Run(c.config, func(t *testing.T) {
			rec := recordLog(t)
			n := w.node("lq", g, nodeSpec{ioClass: "LustreQuota", ioConfig: c.config})
			nio, err := NewNodeIO(w.env, n, w.queue.NewFIFO("Node lq"))
			if c.err != "" {
				var ce *ClassError
				if !errors.As(err, &ce) || err.Error() != c.err {
					t.Fatalf("NewNodeIO error %v; want ClassError %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.warn != "" {
				rec.expect(t, c.warn)
			} else {
				rec.refuse(t, "deprecated")
			}
			nio.BytesAvail(context.Background(), false)
			if calls := f.calls(); !slices.Equal(calls, []string{c.cmd + " " + *n.Root}) {
				t.Errorf("lfs run as %q; want %q", calls, c.cmd+" "+*n.Root)
			}
		})
	}

	t.Run("group", func(t *testing.T) {
		_, err := NewGroupIO(w.env, w.group("lq-group", "LustreQuota", ""), w.queue.NewFIFO("Group lq-group"))
		want := `I/O class "LustreQuotaGroupIO" not found in module "alpenhorn.io.lustrequota". Required for StorageGroup lq-group.`
		if err == nil || err.Error() != want {
			t.Errorf("NewGroupIO error %v; want %q", err, want)
		}
	})
}

func TestLustreQuotaBytesAvail(t *testing.T) {
	f := newFakeLFS(t)
	f.onPath()
	w := newClassWorld(t, "")
	n := w.node("lq", w.group("lustre", "", ""), nodeSpec{ioClass: "LustreQuota", ioConfig: quotaConfig(`"fixed_quota": 2048`)})
	nio := w.nodeIO(n).IO()
	ctx := context.Background()

	if got, ok := nio.BytesAvail(ctx, true); ok || len(f.calls()) != 0 {
		t.Errorf("fast BytesAvail = %d, %v, or it ran lfs", got, ok)
	}
	f.setQuota(*n.Root + "  1000*  0  0  -  1  0  0  -\n")
	if got, ok := nio.BytesAvail(ctx, false); !ok || got != (2048-1000)*1024 {
		t.Errorf("BytesAvail = %d, %v; want %d", got, ok, (2048-1000)*1024)
	}
	f.failQuota()
	if got, ok := nio.BytesAvail(ctx, false); ok {
		t.Errorf("BytesAvail = %d after lfs failed", got)
	}
}

// Pulls onto a LustreQuota node reserve space against the quota, and the
// quota is not measured again after each pull.
func TestLustreQuotaPull(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFakeLFS(t)
		f.onPath()
		w := newClassWorld(t, url)
		src := w.node("src", w.group("src", "", ""), nodeSpec{})
		dstGroup := w.group("dst", "", "")
		dst := w.node("lq", dstGroup, nodeSpec{ioClass: "LustreQuota", ioConfig: quotaConfig("")})
		content := string(make([]byte, 3000))
		file := w.file("acq", "data.bin", content, src)
		w.copy(file, src, db.HasYes, true, time.Now())
		req := w.request(file, src, dstGroup)
		lq := w.nodeIO(dst)
		ctx := context.Background()

		// 5 kiB left: less than twice the file.
		f.setQuota(*dst.Root + "  15  20  30  -  1  0  0  -\n")
		rec := recordLog(t)
		if err := lq.IO().Pull(ctx, req); err != nil {
			t.Fatal(err)
		}
		if lq.queued() != 0 {
			t.Fatal("pull queued without room for it")
		}
		rec.expect(t, "WARNING Skipping request for acq/data.bin: insufficient space on node lq.")

		f.setQuota(*dst.Root + "  15  2000  3000  -  1  0  0  -\n")
		if err := lq.IO().Pull(ctx, req); err != nil {
			t.Fatal(err)
		}
		if lq.queued() != 1 {
			t.Fatal("pull not queued")
		}
		w.run()
		got, err := os.ReadFile(*dst.Root + "/acq/data.bin")
		if err != nil || string(got) != content {
			t.Fatalf("pulled file: %v", err)
		}
		if c := w.copyOn(file, dst); c == nil || c.HasFile != db.HasYes {
			t.Fatalf("copy after pull: %+v", c)
		}
		var row db.StorageNode
		if err := w.db.Gorm.Where("id = ?", dst.ID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.AvailGB != nil || row.AvailGBLastChecked != nil {
			t.Errorf("free space recorded after the pull: %v at %v", *row.AvailGB, row.AvailGBLastChecked)
		}
	})
}
