package transfer

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/transfer/sshtest"
)

func needRsync(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("SKIPPING: rsync is not installed")
	}
}

// nastyNames are file names a shell or an option parser would mangle.
var nastyNames = []string{
	"with space.dat",
	`it's "quoted".dat`,
	"semi;colon && echo pwned.dat",
	"new\nline.dat",
	"-leading-dash.dat",
	"--rsh=evil",
	"$(touch pwned).dat",
	"back\\slash`tick`.dat",
	"*glob?[x].dat",
	"colon:in:name.dat",
	"23/1324.dat",
}

func TestRsyncArgs(t *testing.T) {
	t.Setenv(SSHConfigEnv, "")
	local := rsyncArgs("/src/a", "/dst/.a.tmp", false)
	want := []string{"rsync", "--quiet", "--times", "--protect-args", "--perms", "--group", "--owner", "--copy-links", "--sparse", "/src/a", "/dst/.a.tmp"}
	if !slices.Equal(local, want) {
		t.Errorf("local rsync %q\nwant %q", local, want)
	}
	remote := rsyncArgs("u@h:/src/a", "/dst/.a.tmp", true)
	want = append([]string{"rsync", "--rsync-path=ionice -c2 -n4 rsync", "--rsh=ssh -q"}, want[1:9]...)
	want = append(want, "u@h:/src/a", "/dst/.a.tmp")
	if !slices.Equal(remote, want) {
		t.Errorf("remote rsync %q\nwant %q", remote, want)
	}
	t.Setenv(SSHConfigEnv, "/etc/alpen horn/it's.conf")
	if got := rsyncArgs("u@h:/a", "/b", true)[2]; got != `--rsh=ssh -q -F '/etc/alpen horn/it''s.conf'` {
		t.Errorf("--rsh with a configuration file: %s", got)
	}
}

func TestCheckHost(t *testing.T) {
	for _, h := range []string{"root@alpenhost1", "alpen.user@10.0.0.1", "u@[::1]", "u@host-2.example.org"} {
		if err := checkHost(h); err != nil {
			t.Errorf("%q refused: %v", h, err)
		}
	}
	for _, h := range []string{"", "alpenhost1", "@h", "u@", "-oProxyCommand=x@h", "u@-oProxyCommand=x", "u@h h", "u@h\n", "u@a@b", "u@h/x", "u@::1", "u:x@h", "u@h'"} {
		if err := checkHost(h); err == nil {
			t.Errorf("%q accepted", h)
		}
	}
}

func TestRsyncSourceSuspect(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		exit    int
		stderr  string
		suspect bool
	}{
		{23, `rsync: [receiver] mkstemp "/data/2025/.meta.txt.XXXXXX" failed: Permission denied (13)`, false},
		{11, `rsync: [receiver] write failed on "/data/2025/meta.txt": No space left on device (28)`, false},
		{255, "ssh: connect to host alpenhost1 port 22: Connection refused\nrsync: connection unexpectedly closed (0 bytes received so far) [Receiver]", false},
		{12, "rsync error: error in rsync protocol data stream (code 12) at io.c(232)", false},
		{5, "rsync error: error starting client-server protocol (code 5)", false},
		{23, `rsync: [sender] link_stat "/data/2025/meta.txt" failed: No such file or directory (2)`, true},
		{23, `rsync: [sender] read errors mapping "/data/2025/meta.txt": Input/output error (5)`, true},
		{24, "file has vanished: \"/data/2025/meta.txt\"", true},
		{23, `rsync: [receiver] rename "/data/.x.AbCdEf" -> "x": Permission denied (13)`, false},
		{23, "something unexpected", true},
		{23, "rsync: [sender] link_stat \"/data/x\" failed: No such file or directory (2)\nrsync: [Receiver] write error: Broken pipe (32)\n", true},
		{23, "rsync: [sender] write error: Broken pipe (32)\n", false},
	} {
		if got := rsyncSourceSuspect(ctx, c.exit, c.stderr); got != c.suspect {
			t.Errorf("exit %d %q: suspect %v, want %v", c.exit, c.stderr, got, c.suspect)
		}
	}
}

func TestRsyncLocalNastyNames(t *testing.T) {
	needRsync(t)
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	for i, name := range nastyNames {
		data := randomData(1000 + i)
		src := filepath.Join(srcRoot, "2025/02/21", name)
		mkfile(t, src, data)
		dst := filepath.Join(dstRoot, "2025/02/21", name)
		res, err := RsyncPull(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: int64(len(data)), MD5: md5hex(data)}})
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if res.Method != MethodRsync || res.MD5 != md5hex(data) || res.Size != int64(len(data)) {
			t.Errorf("%q: result %+v", name, res)
		}
		if got, _ := os.ReadFile(dst); !slices.Equal(got, data) {
			t.Errorf("%q: data differs", name)
		}
	}
	want := dirEntries(t, srcRoot)
	if got := dirEntries(t, dstRoot); !slices.Equal(got, want) {
		t.Errorf("destination %q\nwant %q", got, want)
	}
}

func TestRsyncLocalFailures(t *testing.T) {
	needRsync(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "dst/meta.txt")
	src := filepath.Join(dir, "src/meta.txt")
	mkfile(t, src, []byte("meta"))

	_, err := RsyncPull(context.Background(), Job{Src: filepath.Join(dir, "src/missing.txt"), Dst: dst})
	var e *Error
	if !errors.As(err, &e) || !e.SourceSuspect || e.Output == "" {
		t.Errorf("missing source: %+v", err)
	}

	// rsync copies faithfully; what it copies is checked afterwards.
	_, err = RsyncPull(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{MD5: md5hex([]byte("real"))}})
	if !errors.As(err, &e) || !e.Integrity {
		t.Errorf("MD5 mismatch: %v", err)
	}
	if names := dirEntries(t, filepath.Dir(dst)); len(names) != 0 {
		t.Errorf("left behind %q", names)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = RsyncPull(ctx, Job{Src: src, Dst: dst})
	if !errors.Is(err, context.Canceled) || SourceSuspect(err) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRsyncRemote(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t, "alpenhost1")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	pwned := filepath.Join(os.Getenv("HOME"), "pwned")
	os.Remove(pwned)

	for i, name := range nastyNames {
		data := randomData(500 + i)
		src := filepath.Join(srcRoot, "2025/02/21", name)
		mkfile(t, src, data)
		dst := filepath.Join(dstRoot, "2025/02/21", name)
		job := Job{
			Src:     src,
			Host:    srv.Host(),
			Dst:     dst,
			Expect:  Expect{Size: int64(len(data)), MD5: md5hex(data)},
			Timeout: PullTimeout(int64(len(data)), DefaultPullTimeoutBase, DefaultPullBytesPerSecond),
		}
		res, err := RsyncPull(context.Background(), job)
		if err != nil {
			t.Fatalf("%q: %v\nsshd log:\n%s", name, err, srv.Log())
		}
		if res.MD5 != md5hex(data) {
			t.Errorf("%q: result %+v", name, res)
		}
		if got, _ := os.ReadFile(dst); !slices.Equal(got, data) {
			t.Errorf("%q: data differs", name)
		}
	}
	if got, want := dirEntries(t, dstRoot), dirEntries(t, srcRoot); !slices.Equal(got, want) {
		t.Errorf("destination %q\nwant %q", got, want)
	}
	for _, p := range []string{pwned, filepath.Join(dstRoot, "pwned"), filepath.Join(srcRoot, "pwned")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a file name was run as a command: %s exists", p)
		}
	}

	// A source missing on the remote side is the source's fault.
	_, err := RsyncPull(context.Background(), Job{Src: filepath.Join(srcRoot, "missing.dat"), Host: srv.Host(), Dst: filepath.Join(dstRoot, "missing.dat")})
	var e *Error
	if !errors.As(err, &e) || !e.SourceSuspect {
		t.Errorf("missing remote source: %v: %q", err, e.Output)
	}
}

// Failures of ssh itself say nothing about the source file.
func TestRsyncRemoteUnreachable(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.dat")
	mkfile(t, src, []byte("data"))

	// Nothing listens on a port just released.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	config := filepath.Join(dir, "ssh_config")
	base, err := os.ReadFile(srv.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	extra := "Host deadhost\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(closedPort) + "\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n" +
		"Host wrongkey\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(srv.Port) + "\n  IdentityFile " + filepath.Join(dir, "nokey") + "\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n"
	if err := os.WriteFile(config, append([]byte(extra), base...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SSHConfigEnv, config)

	for _, host := range []string{"deadhost", "wrongkey"} {
		dst := filepath.Join(dir, host, "dst.dat")
		_, err := RsyncPull(context.Background(), Job{Src: src, Host: srv.User + "@" + host, Dst: dst})
		var e *Error
		if !errors.As(err, &e) || e.SourceSuspect || e.TimedOut {
			t.Errorf("%s: %+v", host, err)
		}
		if names := dirEntries(t, filepath.Dir(dst)); len(names) != 0 {
			t.Errorf("%s: left behind %q", host, names)
		}
	}
}

// A server that accepts the connection and then says nothing hangs ssh;
// the pull's time limit kills it (and the ssh it started).
func TestRsyncTimeout(t *testing.T) {
	needRsync(t)
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("SKIPPING: ssh is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	dir := t.TempDir()
	config := filepath.Join(dir, "ssh_config")
	text := "Host silent\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(l.Addr().(*net.TCPAddr).Port) + "\n  BatchMode yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SSHConfigEnv, config)

	dst := filepath.Join(dir, "dst/file.dat")
	_, err = RsyncPull(context.Background(), Job{Src: "/data/file.dat", Host: "someone@silent", Dst: dst, Timeout: 0.5})
	var e *Error
	if !errors.As(err, &e) || !e.TimedOut || e.SourceSuspect || e.Output != "" {
		t.Fatalf("silent server: %+v", err)
	}
	if names := dirEntries(t, filepath.Dir(dst)); len(names) != 0 {
		t.Errorf("left behind %q", names)
	}
}

func TestBbcpArgs(t *testing.T) {
	got := bbcpArgs("u@h:/data/2025/02/21/meta.txt", "/data/2025/02/21/.meta.txt.tmp", 2)
	want := strings.Fields("bbcp -V -f -z --port 4220 -W 4M -s 16 -e -E %md5= u@h:/data/2025/02/21/meta.txt /data/2025/02/21/.meta.txt.tmp")
	if !slices.Equal(got, want) {
		t.Errorf("bbcp %q\nwant %q", got, want)
	}
	if got := bbcpArgs("a", "b", 0)[5]; got != "4200" {
		t.Errorf("serial port %s", got)
	}
}

func TestBbcpRefusesUnsafeNames(t *testing.T) {
	for _, p := range []string{"/data/2025/02/21/23/1324.dat", "/d/a-b_c+d,e=f%g@h.i"} {
		if !BbcpSafe(p) {
			t.Errorf("%q refused", p)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"with space.dat", `it's "quoted".dat`, "semi;colon && echo pwned.dat", "new\nline.dat", "$(touch pwned).dat", "back\\slash`tick`.dat", "*glob?[x].dat", "colon:in:name.dat", "tab\t.dat", "é.dat"} {
		src := filepath.Join("/data/2025", name)
		if BbcpSafe(src) {
			t.Errorf("%q accepted", src)
		}
		_, err := BbcpPull(context.Background(), Job{Src: src, Host: "u@h", Dst: filepath.Join(dir, "x.dat")}, 1)
		if !errors.Is(err, ErrBbcpUnsafe) || SourceSuspect(err) {
			t.Errorf("%q: %v", name, err)
		}
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("left behind %q", names)
	}
	if _, err := BbcpPull(context.Background(), Job{Src: "/data/a.dat", Dst: filepath.Join(dir, "a.dat")}, 1); err == nil {
		t.Error("local bbcp pull accepted")
	}
}
