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

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
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
	common := []string{"--times", "--protect-args", "--perms", "--group", "--owner", "--copy-links", "--sparse"}
	remoteShell := []string{"--rsync-path=ionice -c2 -n4 rsync", "--rsh=ssh -o LogLevel=ERROR"}
	inStream := []string{"--checksum-choice=md5", "--out-format=%C"}
	for _, c := range []struct {
		host, format string
		want         [][]string
	}{
		{"", "", [][]string{{"--quiet"}, common, {"/src/a", "/dst/.a.tmp"}}},
		{"u@h", "", [][]string{remoteShell, {"--quiet"}, common, {"u@h:/src/a", "/dst/.a.tmp"}}},
		{"u@h", "%C", [][]string{remoteShell, inStream, common, {"u@h:/src/a", "/dst/.a.tmp"}}},
	} {
		src := "/src/a"
		if c.host != "" {
			src = c.host + ":/src/a"
		}
		want := append([]string{"rsync"}, slices.Concat(c.want...)...)
		if got := rsyncArgs(nil, c.host, c.format, nil, src, "/dst/.a.tmp"); !slices.Equal(got, want) {
			t.Errorf("host %q, format %q: rsync %q\nwant %q", c.host, c.format, got, want)
		}
	}
	t.Setenv(SSHConfigEnv, "/etc/alpen horn/it's.conf")
	if got := rsyncArgs(nil, "u@h", "", nil, "u@h:/a", "/b")[2]; got != `--rsh=ssh -o LogLevel=ERROR -F '/etc/alpen horn/it''s.conf'` {
		t.Errorf("--rsh with a configuration file: %s", got)
	}
	s := &SSH{dir: "/run/user/1000/alpen horn%1", hosts: map[string]bool{}}
	want := `--rsh=ssh -o LogLevel=ERROR -F '/etc/alpen horn/it''s.conf' -o ControlMaster=auto -o 'ControlPath=/run/user/1000/alpen horn%%1/%C' -o ControlPersist=5m`
	if got := rsyncArgs(s, "u@h", "", nil, "u@h:/a", "/b")[2]; got != want {
		t.Errorf("--rsh sharing connections: %s\nwant %s", got, want)
	}
}

func TestRsyncVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		output string
		ok     bool
	}{
		{"rsync  version 3.4.1  protocol version 32\nCopyright (C) 1996-2025 by Andrew Tridgell", true},
		{"rsync  version v3.2.3  protocol version 31\n", true},
		{"rsync  version 3.1.3  protocol version 31\n", true},
		{"rsync  version 3.1.2  protocol version 31\n", false},
		{"rsync  version 3.0.9  protocol version 30\n", false},
		{"rsync  version 2.6.9  protocol version 29\n", false},
		{"rsync  version 10.0.0  protocol version 40\n", true},
		{"openrsync: protocol version 29\nrsync version 2.6.9 compatible\n", false},
		{"", false},
	} {
		if got := rsyncVersionAtLeast(c.output, minRsyncMD5); got != c.ok {
			t.Errorf("%q: %v, want %v", c.output, got, c.ok)
		}
	}
}

func TestReportedMD5(t *testing.T) {
	sum := md5hex([]byte("data"))
	for _, c := range []struct{ stdout, want string }{
		{sum + "\n", sum},
		{"\n" + strings.ToUpper(sum) + "\n", strings.ToUpper(sum)},
		{strings.Repeat(" ", 32) + "\n", ""}, // no unsalted checksum known
		{"", ""},
		{sum + "\n" + sum + "\n", ""}, // a redone transfer
		{"note from the sender\n" + sum + "\n", ""},
		{sum[:31] + "\n", ""},
		{sum + "0\n", ""},
		{strings.Repeat("g", 32) + "\n", ""},
	} {
		if got := reportedMD5(c.stdout); got != c.want {
			t.Errorf("%q: %q, want %q", c.stdout, got, c.want)
		}
	}
}

// fakeRsync puts an executable "rsync" running script (a shell script body
// in which $RSYNC is the real rsync and $CALLS a file to append to) first on
// PATH, and returns the file of calls.
func fakeRsync(t *testing.T, script string) (calls string) {
	t.Helper()
	real, err := exec.LookPath("rsync")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	text := "#!/bin/sh\nRSYNC='" + real + "'\nCALLS='" + calls + "'\n" + script
	if err := os.WriteFile(filepath.Join(dir, "rsync"), []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return calls
}

// recordCall is the part of a fakeRsync script that notes the options of
// each transfer, one call a line.
const recordCall = `case "$1" in --version) ;; *) for a; do case "$a" in -*) printf '%s ' "$a" >>"$CALLS";; esac; done; echo >>"$CALLS";; esac
`

// readCalls returns the calls a fakeRsync script recorded.
func readCalls(t *testing.T, calls string) []string {
	t.Helper()
	data, err := os.ReadFile(calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// bytesRead returns what this process, and the commands it ran and
// waited for, have read so far (/proc/self/io rchar), or -1 where that is
// not known.
func bytesRead(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return -1
}

// checkPulls pulls files of several sizes, the empty one included, from
// host (empty: locally) and checks that each is verified, whether the
// copy was read back to verify it (readBack), and that a file whose MD5
// differs from the expected one is an integrity error leaving neither a
// temporary file nor a destination.
func checkPulls(t *testing.T, host string, readBack bool) {
	t.Helper()
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	for _, size := range []int{0, 1, 1000, 4<<20 + 1} {
		data := randomData(size)
		name := "f" + strconv.Itoa(size) + ".dat"
		src := filepath.Join(srcRoot, name)
		mkfile(t, src, data)
		dst := filepath.Join(dstRoot, name)
		read0 := bytesRead(t)
		res, err := RsyncPull(context.Background(), Job{Src: src, Host: host, Dst: dst, Expect: Expect{Size: int64(size), MD5: md5hex(data)}})
		read := bytesRead(t) - read0
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if res.MD5 != md5hex(data) || res.Size != int64(size) {
			t.Errorf("%d bytes: result %+v", size, res)
		}
		if got, _ := os.ReadFile(dst); !slices.Equal(got, data) {
			t.Errorf("%d bytes: data differs", size)
		}
		// rsync reads the data twice: its sender the source and its
		// receiver the pipe from it, or ssh the socket and rsync the pipe
		// from ssh. Reading the copy back is a third time.
		if perByte := float64(read) / float64(size); size > 1<<20 && read0 >= 0 && (perByte > 2.5) != readBack {
			t.Errorf("%d bytes: %.2f bytes read per byte pulled; read back: %v", size, perByte, readBack)
		}

		bad := mkparent(t, filepath.Join(dstRoot, "bad", name))
		_, err = RsyncPull(context.Background(), Job{Src: src, Host: host, Dst: bad, Expect: Expect{MD5: md5hex(append(data, 0))}})
		var e *Error
		if !errors.As(err, &e) || !e.Integrity || e.TimedOut {
			t.Errorf("%d bytes, wrong MD5 expected: %v", size, err)
		}
	}
	if names := dirEntries(t, filepath.Join(dstRoot, "bad")); len(names) != 0 {
		t.Errorf("wrong MD5: left behind %q", names)
	}
	if got, want := dirEntries(t, dstRoot), []string{"f0.dat", "f1.dat", "f1000.dat", "f4194305.dat"}; !slices.Equal(got, want) {
		t.Errorf("destination %q\nwant %q", got, want)
	}
}

// A current rsync reports the MD5 of what it wrote: a remote pull uses it
// and does not read the copy back. A local one hashes the copy.
func TestRsyncVerifies(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t, "alpenhost1")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	for _, host := range []string{"", srv.Host()} {
		calls := fakeRsync(t, recordCall+`exec "$RSYNC" "$@"`)
		checkPulls(t, host, host == "")
		got := readCalls(t, calls)
		if len(got) != 8 {
			t.Errorf("host %q: %d rsync runs, want 8", host, len(got))
		}
		for _, c := range got {
			inStream := strings.Contains(c, "--checksum-choice=md5 --out-format=%C ") && !strings.Contains(c, "--quiet")
			if inStream != (host != "") {
				t.Errorf("host %q: rsync %s", host, c)
			}
		}
	}
}

// A local rsync before 3.1.3 knows neither option: the copy is read back.
func TestRsyncOldLocal(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t, "alpenhost1")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	calls := fakeRsync(t, `case "$1" in --version) echo "rsync  version 3.1.2  protocol version 31"; exit 0;; esac
`+recordCall+`exec "$RSYNC" "$@"`)
	checkPulls(t, srv.Host(), true)
	for _, c := range readCalls(t, calls) {
		if strings.Contains(c, "--checksum-choice") || !strings.Contains(c, "--quiet") {
			t.Errorf("rsync %s", c)
		}
	}
}

// An rsync on the source host that refuses --checksum-choice=md5 (one
// before 3.1.3 does not know it; here a current one whose checksum list
// leaves MD5 out): the pull runs again without it and its copy is read
// back, and later pulls from that host go without it at once.
func TestRsyncRemoteRefusesMD5(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t, "nomd5host")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	t.Cleanup(func() { rsyncMD5Refused.Delete(srv.Host()) })
	real, err := exec.LookPath("rsync")
	if err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(t.TempDir(), "rsync-nomd5")
	script := "#!/bin/sh\nRSYNC_CHECKSUM_LIST='xxh128 md4' exec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(server, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The local rsync is the real one, made to start that server.
	calls := fakeRsync(t, recordCall+`for a; do
	shift
	case "$a" in --rsync-path=*) set -- "$@" "${a%rsync}`+server+`";; *) set -- "$@" "$a";; esac
done
exec "$RSYNC" "$@"`)

	checkPulls(t, srv.Host(), true)
	got := readCalls(t, calls)
	if len(got) != 9 {
		t.Fatalf("%d rsync runs, want 9: %q", len(got), got)
	}
	if !strings.Contains(got[0], "--checksum-choice=md5") {
		t.Errorf("first rsync %s", got[0])
	}
	for _, c := range got[1:] {
		if strings.Contains(c, "--checksum-choice") || !strings.Contains(c, "--quiet") {
			t.Errorf("rsync %s", c)
		}
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
	t.Parallel()
	needRsync(t)
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	for i, name := range nastyNames {
		data := randomData(1000 + i)
		src := filepath.Join(srcRoot, "2025/02/21", name)
		mkfile(t, src, data)
		dst := mkparent(t, filepath.Join(dstRoot, "2025/02/21", name))
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
	t.Parallel()
	needRsync(t)
	dir := t.TempDir()
	dst := mkparent(t, filepath.Join(dir, "dst/meta.txt"))
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
	srv, srcRoot, dstRoot := remoteRig(t)
	pwned := filepath.Join(os.Getenv("HOME"), "pwned")
	os.Remove(pwned)

	for i, name := range nastyNames {
		data := randomData(500 + i)
		src := filepath.Join(srcRoot, "2025/02/21", name)
		mkfile(t, src, data)
		dst := mkparent(t, filepath.Join(dstRoot, "2025/02/21", name))
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
		dst := mkparent(t, filepath.Join(dir, host, "dst.dat"))
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

	dst := mkparent(t, filepath.Join(dir, "dst/file.dat"))
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
