package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
)

// batchNames are the names of a batch test beside plain ones: what a shell,
// an option parser, rsync's escaping of names or a line-based list would
// mangle.
var batchNames = append(slices.Clone(nastyNames),
	"bad\xff\xfe-not-utf8.dat",
	`back\#123slash-hash.dat`,
	"tab\t.dat",
	"café.dat",
)

// batchFixture writes n plain files and the batchNames under srcRoot, in
// the acquisition "2025/02/21", creates their directories under dstRoot,
// and returns the batch of all of them.
func batchFixture(t testing.TB, srcRoot, dstRoot string, n, size int) []BatchFile {
	t.Helper()
	var files []BatchFile
	names := slices.Clone(batchNames)
	for i := range n {
		names = append(names, fmt.Sprintf("%04d.dat", i))
	}
	for i, name := range names {
		rel := "2025/02/21/" + name
		data := randomData(size + i)
		mkfile(t, filepath.Join(srcRoot, rel), data)
		mkparent(t, filepath.Join(dstRoot, rel))
		files = append(files, BatchFile{Rel: rel, Expect: Expect{Size: int64(len(data)), MD5: md5hex(data)}})
	}
	return files
}

// stagingLeft returns the staging directories under root.
func stagingLeft(t testing.TB, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if fsutil.IsStaging(e.Name()) {
			found = append(found, e.Name())
		}
	}
	return found
}

// A batch pulls every file it can; a file whose data do not match the
// data index, one missing on the source and one with a bad name fail
// alone, each for its own reason.
func TestRsyncBatch(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := batchFixture(t, srcRoot, dstRoot, 35, 700)
	bad := len(files)
	files = append(files, BatchFile{Rel: "2025/02/21/rotten.dat", Expect: Expect{Size: 6, MD5: md5hex([]byte("intact"))}})
	mkfile(t, filepath.Join(srcRoot, files[bad].Rel), []byte("rotten"))
	missing := len(files)
	files = append(files, BatchFile{Rel: "2025/02/21/missing.dat", Expect: Expect{Size: 1}})
	badRels := []string{"../escape.dat", "/abs.dat", "2025/./x.dat", "2025//x.dat", "x\x00y", ""}
	for _, rel := range badRels {
		files = append(files, BatchFile{Rel: rel})
	}
	ssh, err := NewSSH(true)
	if err != nil {
		t.Fatal(err)
	}
	defer ssh.Close()
	// Unknown MD5s and sizes are not checked.
	files[0].Expect = Expect{}

	results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files, Timeout: 300, SSH: ssh}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("%d results for %d files", len(results), len(files))
	}
	var want []string
	for i, f := range files {
		r := results[i]
		var e *Error
		switch {
		case i == bad:
			if !errors.As(r.Err, &e) || !e.Integrity || !SourceSuspect(r.Err) {
				t.Errorf("MD5 mismatch: %v", r.Err)
			}
		case i == missing:
			if !errors.As(r.Err, &e) || !e.SourceSuspect || e.Integrity || !strings.Contains(e.Output, "missing.dat") || strings.Contains(e.Output, "rotten") {
				t.Errorf("missing on the source: %v: %q", r.Err, e.Output)
			}
		case i > missing:
			if !errors.As(r.Err, &e) || SourceSuspect(r.Err) {
				t.Errorf("bad name %q: %v", f.Rel, r.Err)
			}
		default:
			src, _ := os.ReadFile(filepath.Join(srcRoot, f.Rel))
			got, _ := os.ReadFile(filepath.Join(dstRoot, f.Rel))
			if r.Err != nil || !slices.Equal(got, src) || r.Result.Method != MethodRsync || r.Result.Size != int64(len(src)) {
				t.Errorf("%q: %+v, %v", f.Rel, r.Result, r.Err)
			}
			// rsync reported the MD5 of every file, however named.
			if i > 0 && r.Result.MD5 != f.Expect.MD5 {
				t.Errorf("%q: MD5 %q, want %q", f.Rel, r.Result.MD5, f.Expect.MD5)
			}
			want = append(want, f.Rel)
		}
	}
	slices.Sort(want)
	if got := dirEntries(t, dstRoot); !slices.Equal(got, want) {
		t.Errorf("destination %q\nwant %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dstRoot), "escape.dat")); err == nil {
		t.Error("a file was written outside the destination root")
	}
}

// rsyncWriting returns the pid of the rsync writing into a staging
// directory under root, or 0 when it has not started, and how many files
// have arrived whole, in staging or already moved out of it.
func rsyncWriting(t testing.TB, root string) (pid, arrived int) {
	t.Helper()
	staging := stagingLeft(t, root)
	if len(staging) == 0 {
		return 0, 0
	}
	dir := filepath.Join(root, staging[0])
	for _, acq := range []string{filepath.Join(dir, "acq"), filepath.Join(root, "acq")} {
		entries, _ := os.ReadDir(acq)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				arrived++
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		n, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if args[0] == "rsync" && slices.Contains(args, dir+"/") {
			return n, arrived
		}
	}
	return 0, arrived
}

// largeBatch writes n files of 4 MiB each into srcRoot/acq and creates
// dstRoot/acq.
func largeBatch(t testing.TB, srcRoot, dstRoot string, n int) []BatchFile {
	t.Helper()
	block := randomData(4 << 20)
	var files []BatchFile
	for i := range n {
		rel := fmt.Sprintf("acq/%03d.dat", i)
		data := append([]byte(rel), block...)
		mkfile(t, filepath.Join(srcRoot, rel), data)
		mkparent(t, filepath.Join(dstRoot, rel))
		files = append(files, BatchFile{Rel: rel, Expect: Expect{Size: int64(len(data)), MD5: md5hex(data)}})
	}
	return files
}

// during runs the batch and calls act once at least min files have
// arrived in staging, with the pid of the rsync writing them.
func during(t *testing.T, ctx context.Context, job BatchJob, min int, act func(pid int)) ([]FileResult, error) {
	t.Helper()
	type outcome struct {
		res []FileResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := RsyncPullBatch(ctx, job, nil)
		done <- outcome{res, err}
	}()
	acted := false
	for {
		select {
		case o := <-done:
			if !acted {
				t.Fatalf("the batch ended before %d files arrived", min)
			}
			return o.res, o.err
		case <-time.After(2 * time.Millisecond):
		}
		if pid, arrived := rsyncWriting(t, job.DstRoot); !acted && pid != 0 && arrived >= min {
			act(pid)
			acted = true
		}
	}
}

// An rsync killed half way: what arrived whole is verified and in place,
// the rest failed without casting doubt on the source; staging is gone.
func TestRsyncBatchKilled(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := largeBatch(t, srcRoot, dstRoot, 60)
	job := BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files}
	results, err := during(t, context.Background(), job, 3, func(pid int) { syscall.Kill(pid, syscall.SIGKILL) })
	if err != nil {
		t.Fatal(err)
	}
	failed := func(err error) bool {
		var e *Error
		return errors.As(err, &e)
	}
	if cut := cutShort(t, dstRoot, files, results, failed); cut == 0 || len(files)-cut < 3 {
		t.Errorf("%d of %d files pulled", len(files)-cut, len(files))
	}
}

// The daemon stopping half way: the files moved into place before are
// whole; every other file fails, says why, and is not in place.
func TestRsyncBatchCancelled(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := largeBatch(t, srcRoot, dstRoot, 60)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job := BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files}
	results, err := during(t, ctx, job, 2, func(int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("batch error %v", err)
	}
	if cutShort(t, dstRoot, files, results, func(err error) bool { return errors.Is(err, context.Canceled) }) == 0 {
		t.Error("no file was cut off by the cancellation")
	}
}

// cutShort checks the outcome of a batch cut short: each file is either in
// place and whole, or failed for the reason cut recognises, without
// casting doubt on its source, and not in place; staging is gone. It
// returns how many were cut off.
func cutShort(t *testing.T, dstRoot string, files []BatchFile, results []FileResult, cut func(error) bool) int {
	t.Helper()
	n := 0
	for i, r := range results {
		_, statErr := os.Stat(filepath.Join(dstRoot, files[i].Rel))
		switch {
		case r.Err == nil && statErr == nil && r.Result.MD5 == files[i].Expect.MD5:
		case r.Err != nil && cut(r.Err) && !SourceSuspect(r.Err) && statErr != nil:
			n++
		default:
			t.Errorf("%s: %+v, %v (destination: %v)", files[i].Rel, r.Result, r.Err, statErr)
		}
	}
	if left := stagingLeft(t, dstRoot); len(left) != 0 {
		t.Errorf("staging left behind: %q", left)
	}
	return n
}

// A batch that runs out of time keeps what arrived whole (if anything did
// in so short a time: TestRsyncBatchKilled makes sure some does).
func TestRsyncBatchTimeout(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := largeBatch(t, srcRoot, dstRoot, 60)
	results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files, Timeout: 0.3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	timedOut := func(err error) bool {
		var e *Error
		return errors.As(err, &e) && e.TimedOut
	}
	if cutShort(t, dstRoot, files, results, timedOut) == 0 {
		t.Errorf("no file timed out: the batch was too small to test this")
	}
}

// ssh's own message for a key the server refuses reaches the error's
// Output, for the log.
func TestRsyncSSHRefused(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "ssh_config")
	text := "Host wrongkey\n  HostName 127.0.0.1\n  Port " + strconv.Itoa(srv.Port) + "\n  IdentityFile " + filepath.Join(dir, "nokey") +
		"\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n"
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SSHConfigEnv, config)
	host := srv.User + "@wrongkey"
	for _, share := range []bool{false, true} {
		ssh, err := NewSSH(share)
		if err != nil {
			t.Fatal(err)
		}
		_, err = RsyncPull(context.Background(), Job{Src: "/data/x.dat", Host: host, Dst: filepath.Join(dir, "x.dat"), SSH: ssh})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Output, "Permission denied (publickey") || SourceSuspect(err) {
			t.Errorf("share %v: %v: %q", share, err, e.Output)
		}
		if strings.Contains(e.Output, "Warning") {
			t.Errorf("share %v: warnings in the output: %q", share, e.Output)
		}
		results, err := RsyncPullBatch(context.Background(), BatchJob{Host: host, SrcRoot: "/data", DstRoot: dir, Files: []BatchFile{{Rel: "x.dat"}}, SSH: ssh}, nil)
		if err != nil || !errors.As(results[0].Err, &e) || !strings.Contains(e.Output, "Permission denied (publickey") || SourceSuspect(results[0].Err) {
			t.Errorf("share %v, batch: %v, %v", share, err, results[0].Err)
		}
		ssh.Close()
	}
}

// With connection sharing, pulls from one host go over one ssh
// connection, whose socket lives in the SSH's directory until Close.
func TestSSHShared(t *testing.T) {
	needRsync(t)
	srv := sshtest.Start(t, "alpenhost1")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	// t.TempDir's names are too long for sockets.
	runtime, err := os.MkdirTemp("", "run")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	ssh, err := NewSSH(true)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(ssh.dir); err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(ssh.dir) != os.Getenv("XDG_RUNTIME_DIR") {
		t.Fatalf("socket directory %s: %v %v", ssh.dir, fi, err)
	}
	for i := range 4 {
		data := randomData(100 + i)
		name := fmt.Sprintf("acq/%d.dat", i)
		mkfile(t, filepath.Join(srcRoot, name), data)
		_, err := RsyncPull(context.Background(), Job{Src: filepath.Join(srcRoot, name), Host: srv.Host(), Dst: mkparent(t, filepath.Join(dstRoot, name)), Expect: Expect{MD5: md5hex(data)}, SSH: ssh})
		if err != nil {
			t.Fatal(err)
		}
		sockets, _ := os.ReadDir(ssh.dir)
		if len(sockets) != 1 || sockets[0].Type()&os.ModeSocket == 0 {
			t.Fatalf("after pull %d: %v in the socket directory", i, sockets)
		}
	}
	batchRoot := t.TempDir()
	mkparent(t, filepath.Join(batchRoot, "acq/0.dat"))
	results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: batchRoot, Files: []BatchFile{{Rel: "acq/0.dat"}, {Rel: "acq/1.dat"}}, SSH: ssh}, nil)
	if err != nil || results[0].Err != nil || results[1].Err != nil {
		t.Fatalf("batch: %v %+v", err, results)
	}
	if n := strings.Count(srv.Log(), "Accepted publickey"); n != 1 {
		t.Errorf("%d ssh logins for 5 pulls, want 1\n%s", n, srv.Log())
	}
	ssh.Close()
	if _, err := os.Stat(ssh.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket directory after Close: %v", err)
	}
	// The master has gone: the server sees the connection end.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.Log(), "Disconnected from user") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(srv.Log(), "Disconnected from user") {
		t.Errorf("master connection still open after Close\n%s", srv.Log())
	}
}

func TestReportedMD5s(t *testing.T) {
	a, b := md5hex([]byte("a")), md5hex([]byte("b"))
	stdout := strings.Repeat(" ", 32) + " acq/\n" +
		a + " acq/new\\#012line.dat\n" +
		b + " acq/bad\\#377.dat\n" +
		a + " acq/back\\#134#123x\n" +
		a + " acq/twice.dat\n" + b + " acq/twice.dat\n" +
		strings.Repeat(" ", 32) + " acq/blank.dat\n" +
		"note from the sender\n" +
		strings.Repeat("g", 32) + " acq/nothex.dat\n"
	r := newReports()
	// Written in pieces that cut lines, as a pipe delivers them.
	for chunk := range slices.Chunk([]byte(stdout), 7) {
		r.Write(chunk)
	}
	got := r.sums
	want := map[string]string{
		"acq/":              "",
		"acq/new\nline.dat": a,
		"acq/bad\xff.dat":   b,
		`acq/back\#123x`:    a,
		"acq/twice.dat":     "",
		"acq/blank.dat":     "",
		"acq/nothex.dat":    "",
	}
	if len(got) != len(want) {
		t.Errorf("got %q", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: %q, want %q", k, got[k], v)
		}
	}
}

// remoteRig starts an sshd for the test, points remote pulls at it, and
// gives a source and a destination root.
func remoteRig(t *testing.T) (srv *sshtest.Server, srcRoot, dstRoot string) {
	srv = sshtest.Start(t, "alpenhost1")
	t.Setenv(SSHConfigEnv, srv.ConfigFile)
	return srv, t.TempDir(), t.TempDir()
}

// Files are handed over as they arrive, while rsync is still pulling the
// others, each once, with the result the batch ends with.
func TestRsyncBatchPlacesAsItGoes(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := largeBatch(t, srcRoot, dstRoot, 40)
	seen := map[int]Result{}
	early := 0
	results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files}, func(placed []PlacedFile) error {
		if pid, _ := rsyncWriting(t, dstRoot); pid != 0 {
			early++
		}
		for _, p := range placed {
			if _, twice := seen[p.Index]; twice {
				t.Errorf("%s handed over twice", files[p.Index].Rel)
			}
			if _, err := os.Stat(filepath.Join(dstRoot, files[p.Index].Rel)); err != nil {
				t.Errorf("%s handed over but not in place: %v", files[p.Index].Rel, err)
			}
			seen[p.Index] = p.Result
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil || seen[i] != r.Result || r.Result.MD5 != files[i].Expect.MD5 {
			t.Errorf("%s: %+v, %v; handed over %+v", files[i].Rel, r.Result, r.Err, seen[i])
		}
	}
	if early == 0 {
		t.Error("no file was handed over while rsync was still running")
	}
}

// A chunk its caller cannot record ends the batch: nothing more is moved
// into place, and the others fail with the caller's error.
func TestRsyncBatchPlacedError(t *testing.T) {
	needRsync(t)
	srv, srcRoot, dstRoot := remoteRig(t)
	files := largeBatch(t, srcRoot, dstRoot, 40)
	refused := errors.New("data index away")
	first := map[int]bool{}
	results, err := RsyncPullBatch(context.Background(), BatchJob{Host: srv.Host(), SrcRoot: srcRoot, DstRoot: dstRoot, Files: files}, func(placed []PlacedFile) error {
		if len(first) > 0 {
			t.Error("handed over more after an error")
		}
		for _, p := range placed {
			first[p.Index] = true
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("batch error %v", err)
	}
	for i, r := range results {
		_, statErr := os.Stat(filepath.Join(dstRoot, files[i].Rel))
		if first[i] != (statErr == nil) || first[i] != (r.Err == nil) || (r.Err != nil && !errors.Is(r.Err, refused) && r.Err.Error() != refused.Error()) {
			t.Errorf("%s: %v (handed over %v, destination %v)", files[i].Rel, r.Err, first[i], statErr)
		}
	}
	if len(first) == len(files) {
		t.Error("every file was handed over in one chunk: the batch was too small to test this")
	}
	if left := stagingLeft(t, dstRoot); len(left) != 0 {
		t.Errorf("staging left behind: %q", left)
	}
}

// A pull whose destination directory is missing fails for that file with
// the system's error and creates nothing: the caller alone makes
// directories, safely below the node root.
func TestPullMissingDestinationDirectory(t *testing.T) {
	needRsync(t)
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	data := []byte("data")
	mkfile(t, filepath.Join(srcRoot, "acq/a.dat"), data)
	mkfile(t, filepath.Join(srcRoot, "b.dat"), data)
	exp := Expect{Size: int64(len(data)), MD5: md5hex(data)}
	nothingBut := func(what string, want ...string) {
		t.Helper()
		entries, err := os.ReadDir(dstRoot)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: destination root holds %q, want %q", what, got, want)
		}
	}

	_, err := Copy(context.Background(), Job{Src: filepath.Join(srcRoot, "acq/a.dat"), Dst: filepath.Join(dstRoot, "acq/a.dat"), Expect: exp})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, os.ErrNotExist) || SourceSuspect(err) {
		t.Errorf("copy: %v", err)
	}
	nothingBut("copy")

	results, err := RsyncPullBatch(context.Background(), BatchJob{SrcRoot: srcRoot, DstRoot: dstRoot, Files: []BatchFile{{Rel: "acq/a.dat", Expect: exp}, {Rel: "b.dat", Expect: exp}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(results[0].Err, &e) || !errors.Is(results[0].Err, os.ErrNotExist) || SourceSuspect(results[0].Err) {
		t.Errorf("batch, missing directory: %v", results[0].Err)
	}
	if results[1].Err != nil || results[1].Result.MD5 != exp.MD5 {
		t.Errorf("batch, directory present: %+v, %v", results[1].Result, results[1].Err)
	}
	nothingBut("batch", "b.dat")
}
