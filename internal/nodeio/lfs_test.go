package nodeio

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func newTestLFS(t *testing.T, f *fakeLFS, quotaType string, fixed *int64, timeout float64) *LFS {
	t.Helper()
	l, err := NewLFS("alpenhorn", quotaType, fixed, f.path, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLFSQuotaRemaining(t *testing.T) {
	const root = "/lustre/project/alpenhorn"
	const line = "  1024  2048  3000  -  5  0  0  -"
	fixed := int64(10000)
	cases := []struct {
		name   string
		out    string
		fixed  *int64
		want   int64
		ok     bool
		logged string
	}{
		{name: "same line", out: root + line + "\n", want: 1024 * 1024, ok: true},
		{name: "wrapped path", out: root + "\n" + line + "\n", want: 1024 * 1024, ok: true},
		{name: "over quota", out: root + "  4096*  2048  3000  6d  5  0  0  -\n", want: -2048 * 1024, ok: true},
		{name: "fixed quota", out: root + line + "\n", fixed: &fixed, want: (10000 - 1024) * 1024, ok: true},
		{name: "default quota", out: root + line + "\ngid 1000 is using default block quota setting\n",
			logged: "ERROR ERROR: Unable to fetch default block quota for " + root},
		{name: "default quota, fixed", out: root + line + "\ngid 1000 is using default block quota setting\n",
			fixed: &fixed, want: (10000 - 1024) * 1024, ok: true},
		{name: "seven fields", out: root + "  1024  2048  3000  -  5  0  0\n",
			logged: "WARNING Error parsing \"lfs quota\" output: " + root + "  1024  2048  3000  -  5  0  0\n"},
		{name: "other path", out: "/lustre/other" + line + "\n",
			logged: "WARNING Error parsing \"lfs quota\" output: /lustre/other" + line + "\n"},
		{name: "path alone", out: root + "\n", logged: "WARNING Error parsing \"lfs quota\" output: " + root + "\n"},
		{name: "empty", out: "", logged: "WARNING Error parsing \"lfs quota\" output: "},
		{name: "not a number", out: root + "  lots  2048  3000  -  5  0  0  -\n",
			logged: "WARNING Error parsing \"lfs quota\" output: " + root + "  lots  2048  3000  -  5  0  0  -\n"},
	}
	f := newFakeLFS(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := recordLog(t)
			f.setQuota(c.out)
			l := newTestLFS(t, f, "group", c.fixed, lfsDefaultTimeout)
			got, ok := l.QuotaRemaining(context.Background(), root)
			if ok != c.ok || got != c.want {
				t.Errorf("QuotaRemaining = %d, %v; want %d, %v", got, ok, c.want, c.ok)
			}
			if c.logged != "" {
				rec.expect(t, c.logged)
			}
			if calls := f.calls(); !slices.Equal(calls, []string{"quota -q -g alpenhorn " + root}) {
				t.Errorf("lfs run as %q", calls)
			}
		})
	}

	t.Run("quota types", func(t *testing.T) {
		f.setQuota(root + line + "\n")
		for typ, flag := range map[string]string{"user": "-u", "group": "-g", "project": "-p"} {
			l := newTestLFS(t, f, typ, nil, lfsDefaultTimeout)
			l.QuotaRemaining(context.Background(), root)
			if calls := f.calls(); !slices.Equal(calls, []string{"quota -q " + flag + " alpenhorn " + root}) {
				t.Errorf("quota_type %s: lfs run as %q", typ, calls)
			}
		}
	})

	t.Run("command fails", func(t *testing.T) {
		rec := recordLog(t)
		f.failQuota()
		l := newTestLFS(t, f, "group", nil, lfsDefaultTimeout)
		if got, ok := l.QuotaRemaining(context.Background(), root); ok {
			t.Errorf("QuotaRemaining = %d after a failed command", got)
		}
		rec.expect(t, "WARNING LFS command failed: quota -q -g alpenhorn "+root,
			"DEBUG LFS stderr: lfs quota: quotactl failed: Operation not permitted\n")
	})
}

func TestLFSHSMState(t *testing.T) {
	f := newFakeLFS(t)
	dir := t.TempDir()
	file := func(name, state string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		if state != "" {
			f.setState(p, state)
		}
		return p
	}
	l := newTestLFS(t, f, "group", nil, lfsDefaultTimeout)
	ctx := context.Background()

	cases := []struct {
		path  string
		state HSMState
		ok    bool
	}{
		{file("new", ""), HSMUnarchived, true},
		{file("on-disk", "restored"), HSMRestored, true},
		{file("on-tape", "released"), HSMReleased, true},
		{file("coming-back", "restoring"), HSMRestoring, true},
		{filepath.Join(dir, "never-was"), HSMMissing, true},
		// A file whose name holds the words looked for in the output.
		{file("archived released", ""), HSMUnarchived, true},
		{file("odd", "garbage"), 0, false},
		{file("broken", "broken"), 0, false},
	}
	for _, c := range cases {
		state, ok := l.HSMState(ctx, c.path)
		if ok != c.ok || (ok && state != c.state) {
			t.Errorf("HSMState(%s) = %v, %v; want %v, %v", filepath.Base(c.path), state, ok, c.state, c.ok)
		}
	}

	rec := recordLog(t)
	l.HSMState(ctx, filepath.Join(dir, "odd"))
	l.HSMState(ctx, filepath.Join(dir, "broken"))
	l.HSMState(ctx, filepath.Join(dir, "never-was"))
	rec.expect(t,
		"WARNING Error parsing hsm_state output: lfs: something unexpected\n",
		"WARNING LFS command failed: hsm_state "+filepath.Join(dir, "broken"),
		"DEBUG LFS missing file: hsm_state "+filepath.Join(dir, "never-was"))

	t.Run("timeout", func(t *testing.T) {
		rec := recordLog(t)
		f.hang("hsm_state")
		defer os.Remove(filepath.Join(f.dir, "hang"))
		quick := newTestLFS(t, f, "group", nil, 0.2)
		p := filepath.Join(dir, "new")
		if state, ok := quick.HSMState(ctx, p); ok {
			t.Errorf("HSMState of a hung lfs = %v", state)
		}
		rec.expect(t, "WARNING LFS command timed out: hsm_state "+p,
			"WARNING Process overrun [timeout=0.2]: "+f.path+" hsm_state "+p)
	})
}

func TestLFSRestoreRelease(t *testing.T) {
	f := newFakeLFS(t)
	dir := t.TempDir()
	file := func(name, state string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		f.setState(p, state)
		return p
	}
	l := newTestLFS(t, f, "group", nil, lfsDefaultTimeout)
	ctx := context.Background()
	ran := func(cmd string) bool {
		return slices.ContainsFunc(f.calls(), func(c string) bool { return strings.HasPrefix(c, cmd+" ") })
	}

	t.Run("restore", func(t *testing.T) {
		rec := recordLog(t)
		missing := filepath.Join(dir, "missing")
		if got := l.HSMRestore(ctx, missing); got != RestoreRefused {
			t.Errorf("restore of a missing file = %v", got)
		}
		rec.expect(t, "DEBUG Attempt to restore non-existent file: "+missing)

		restored := file("restored", "restored")
		if got := l.HSMRestore(ctx, restored); got != RestoreRequested || ran("hsm_restore") {
			t.Errorf("restore of a restored file = %v, or ran hsm_restore", got)
		}

		released := file("released", "released")
		if got := l.HSMRestore(ctx, released); got != RestoreRequested || f.state(released) != "restoring" {
			t.Errorf("restore of a released file = %v, state now %s", got, f.state(released))
		}

		gone := file("gone", "released")
		f.failRestore(gone, "missing")
		if got := l.HSMRestore(ctx, gone); got != RestoreRefused {
			t.Errorf("restore reported missing = %v", got)
		}
		failing := file("failing", "released")
		f.failRestore(failing, "fail")
		if got := l.HSMRestore(ctx, failing); got != RestoreUnsure {
			t.Errorf("restore that failed = %v", got)
		}
	})

	t.Run("release", func(t *testing.T) {
		rec := recordLog(t)
		restored := file("to-release", "restored")
		if !l.HSMRelease(ctx, restored) || f.state(restored) != "released" {
			t.Errorf("release of a restored file failed; state %s", f.state(restored))
		}
		f.calls()
		if !l.HSMRelease(ctx, restored) || ran("hsm_release") {
			t.Error("release of a released file failed, or ran hsm_release")
		}

		unarchived := file("unarchived", "unarchived")
		if l.HSMRelease(ctx, unarchived) {
			t.Error("released a file not yet archived")
		}
		missing := filepath.Join(dir, "missing")
		if l.HSMRelease(ctx, missing) {
			t.Error("released a missing file")
		}
		rec.expect(t,
			`DEBUG Unable to release "`+unarchived+`" [state=HSMState.UNARCHIVED]`,
			`DEBUG Unable to release "`+missing+`" [state=HSMState.MISSING]`)

		refused := file("refused", "restored")
		f.failRelease(refused)
		if l.HSMRelease(ctx, refused) {
			t.Error("a failed release was reported done")
		}
	})
}

func TestNewLFS(t *testing.T) {
	f := newFakeLFS(t)
	cases := []struct {
		typ     string
		cmd     string
		timeout float64
		err     string
	}{
		{"group", f.path, 60, ""},
		{"other", f.path, 60, "invalid quota_type: other"},
		{"user", f.path, 0, "io_config key 'lfs_timeout' non-positive (=0)"},
		{"user", f.path, -1.5, "io_config key 'lfs_timeout' non-positive (=-1.5)"},
		{"user", filepath.Join(f.dir, "nothing-here"), 60, "lfs command not found."},
		{"user", "", 60, "lfs command not found."},
	}
	for _, c := range cases {
		_, err := NewLFS("id", c.typ, nil, c.cmd, c.timeout)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.err {
			t.Errorf("NewLFS(%s, %s, %v) error %q; want %q", c.typ, c.cmd, c.timeout, got, c.err)
		}
	}
}
