package transfer

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
)

func mkfile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(mkparent(t, path), data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// mkparent creates the directory of path, as the caller of a pull does
// (a pull never creates directories), and returns path.
func mkparent(t testing.TB, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// dirEntries lists every name under dir, so tests can tell that no
// temporary file or placeholder was left behind.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return nil
	})
	slices.Sort(names)
	return names
}

func sameFile(t testing.TB, a, b string) bool {
	t.Helper()
	ai, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(ai, bi)
}

func device(t testing.TB, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Dev)
}

// otherFilesystem returns a directory on a filesystem other than dir's, or
// skips the test.
func otherFilesystem(t testing.TB, dir string) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err != nil || !fi.IsDir() {
		t.Skip("SKIPPING: /dev/shm not available to give a second filesystem")
	}
	other, err := os.MkdirTemp("/dev/shm", "alpenhorn-test-")
	if err != nil {
		t.Skipf("SKIPPING: cannot write to /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	if device(t, other) == device(t, dir) {
		t.Skip("SKIPPING: /dev/shm is on the same filesystem as the temporary directory")
	}
	return other
}

// The acquisition "2025/02/21" with the file "23/1324.dat": alpenhorn's
// hard link never worked for such names; here it does.
func TestHardLinkNestedName(t *testing.T) {
	src := filepath.Join(t.TempDir(), "2025/02/21/23/1324.dat")
	data := []byte("0 1 2 3 4 5\n")
	mkfile(t, src, data)
	dstRoot := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(src))))), "dst")
	dst := mkparent(t, filepath.Join(dstRoot, "2025/02/21/23/1324.dat"))
	job := Job{Src: src, Dst: dst, Expect: Expect{Size: int64(len(data)), MD5: md5hex(data)}}

	res, err := HardLink(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != MethodLink || res.Size != int64(len(data)) || res.MD5 != md5hex(data) {
		t.Errorf("result %+v", res)
	}
	if !sameFile(t, src, dst) {
		t.Error("destination is not a hard link of the source")
	}
	if got := dirEntries(t, dstRoot); !slices.Equal(got, []string{"2025/02/21/23/1324.dat"}) {
		t.Errorf("destination tree %q", got)
	}

	// Pulling again over the existing link would "repair" the copy from
	// itself: refused, and nothing is left behind.
	_, err = HardLink(context.Background(), job)
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, ErrNoLink) || SourceSuspect(err) || !strings.Contains(e.Output, "is the source file") {
		t.Errorf("second link: %v", err)
	}
	if got := dirEntries(t, dstRoot); !slices.Equal(got, []string{"2025/02/21/23/1324.dat"}) {
		t.Errorf("destination tree after a second link %q", got)
	}
}

// A link is checked against the MD5 the data index records: a source that
// no longer matches it is an integrity failure, and the link never takes
// the destination's name.
func TestHardLinkChecksMD5(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src/a.dat")
	dst := mkparent(t, filepath.Join(dir, "dst/a.dat"))
	mkfile(t, src, []byte("rotten data"))
	_, err := HardLink(context.Background(), Job{Src: src, SrcRoot: filepath.Join(dir, "src"), Dst: dst, Expect: Expect{Size: 11, MD5: md5hex([]byte("good data!!"))}})
	var e *Error
	if !errors.As(err, &e) || !e.Integrity || !SourceSuspect(err) {
		t.Fatalf("MD5 mismatch: %v", err)
	}
	if names := dirEntries(t, filepath.Dir(dst)); len(names) != 0 {
		t.Errorf("left behind %q", names)
	}
}

// A source reached through a symbolic link must still be inside the
// source node's root.
func TestHardLinkStaysInRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "node")
	outside := filepath.Join(dir, "elsewhere/secret.dat")
	inside := filepath.Join(root, "acq/real.dat")
	mkfile(t, outside, []byte("secret"))
	mkfile(t, inside, []byte("real"))
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.dat", filepath.Join(root, "acq/alias.dat")); err != nil {
		t.Fatal(err)
	}
	// The root itself may be reached through a link.
	rootLink := filepath.Join(dir, "rootlink")
	if err := os.Symlink(root, rootLink); err != nil {
		t.Fatal(err)
	}
	dst := mkparent(t, filepath.Join(dir, "dst/secret.dat"))
	_, err := HardLink(context.Background(), Job{Src: filepath.Join(rootLink, "out/secret.dat"), SrcRoot: rootLink, Dst: dst})
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, ErrNoLink) || SourceSuspect(err) || !strings.Contains(e.Output, "outside the source node's root") {
		t.Errorf("link out of the root: %v", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		t.Error("file from outside the root linked")
	}

	dst = filepath.Join(dir, "dst/alias.dat")
	res, err := HardLink(context.Background(), Job{Src: filepath.Join(rootLink, "acq/alias.dat"), SrcRoot: rootLink, Dst: dst, Expect: Expect{MD5: md5hex([]byte("real"))}})
	if err != nil || res.MD5 != md5hex([]byte("real")) || !sameFile(t, inside, dst) {
		t.Errorf("link inside the root: %+v, %v", res, err)
	}
}

func TestHardLinkReplacesAndChecksSize(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src/a.dat")
	dst := filepath.Join(dir, "dst/a.dat")
	mkfile(t, src, []byte("good data"))
	mkfile(t, dst, []byte("corrupt"))

	_, err := HardLink(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: 100}})
	var e *Error
	if !errors.As(err, &e) || !e.Integrity || !SourceSuspect(err) {
		t.Fatalf("size mismatch: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "corrupt" || len(dirEntries(t, filepath.Dir(dst))) != 1 {
		t.Errorf("failed link touched the destination: %q, %q", b, dirEntries(t, filepath.Dir(dst)))
	}

	if _, err := HardLink(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: 9}}); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, src, dst) {
		t.Error("existing destination not replaced by the link")
	}
}

func TestHardLinkCrossDevice(t *testing.T) {
	dir := t.TempDir()
	other := otherFilesystem(t, dir)
	src := filepath.Join(other, "a.dat")
	mkfile(t, src, []byte("x"))
	dst := filepath.Join(dir, "a.dat")
	_, err := HardLink(context.Background(), Job{Src: src, Dst: dst})
	if !errors.Is(err, ErrNoLink) || !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("cross-device link: %v, want ErrNoLink (EXDEV)", err)
	}
	if got := dirEntries(t, dir); len(got) != 0 {
		t.Errorf("left behind %q", got)
	}
}

func TestCopyCrossDevice(t *testing.T) {
	dir := t.TempDir()
	other := otherFilesystem(t, dir)
	data := randomData(3*fsutil.BufferSize + 777)
	src := filepath.Join(other, "2025/02/21/23/1324.dat")
	mkfile(t, src, data)
	mtime := time.Date(2025, 2, 21, 23, 51, 59, 0, time.UTC)
	if err := os.Chtimes(src, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	dst := mkparent(t, filepath.Join(dir, "2025/02/21/23/1324.dat"))

	res, err := Copy(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: int64(len(data)), MD5: md5hex(data)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != MethodInternal || res.Size != int64(len(data)) || res.MD5 != md5hex(data) {
		t.Errorf("result %+v", res)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !slices.Equal(got, data) {
		t.Fatalf("copied data differs (%v)", err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 || !fi.ModTime().Equal(mtime) {
		t.Errorf("copy has mode %v, mtime %v; want 0640, %v", fi.Mode().Perm(), fi.ModTime(), mtime)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"2025/02/21/23/1324.dat"}) {
		t.Errorf("destination tree %q", names)
	}
}

// A sparse source (a few blocks of data in a large hole) gives a sparse
// copy with the same content and MD5; a hole at the end is kept too.
func TestCopySparse(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src/sparse.dat")
	const size = 64 << 20
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 5<<20 + 123, 40 << 20} {
		if _, err := f.WriteAt(randomData(10000), off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := mkparent(t, filepath.Join(dir, "dst/sparse.dat"))
	res, err := Copy(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: size, MD5: md5hex(data)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != size || res.MD5 != md5hex(data) {
		t.Errorf("result %+v", res)
	}
	if got, _ := os.ReadFile(dst); !slices.Equal(got, data) {
		t.Error("copied data differs")
	}
	alloc, err := fsutil.AllocatedSize(dst)
	if err != nil {
		t.Fatal(err)
	}
	if alloc > 1<<20 {
		t.Errorf("copy of a sparse file takes %d bytes on disk for %d bytes of data", alloc, size)
	}
}

func TestCopyChecksBeforeRename(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src/a.dat")
	dst := filepath.Join(dir, "dst/a.dat")
	mkfile(t, src, []byte("corrupted source"))
	mkfile(t, dst, []byte("previous"))

	for _, exp := range []Expect{
		{MD5: md5hex([]byte("the real thing"))},
		{Size: 14},
	} {
		_, err := Copy(context.Background(), Job{Src: src, Dst: dst, Expect: exp})
		var e *Error
		if !errors.As(err, &e) || !e.Integrity || !SourceSuspect(err) {
			t.Fatalf("mismatch %+v: %v", exp, err)
		}
		if b, _ := os.ReadFile(dst); string(b) != "previous" {
			t.Errorf("destination overwritten by unverified data: %q", b)
		}
		if names := dirEntries(t, filepath.Dir(dst)); !slices.Equal(names, []string{"a.dat"}) {
			t.Errorf("left behind %q", names)
		}
	}

	res, err := Copy(context.Background(), Job{Src: src, Dst: dst, Expect: Expect{Size: 16, MD5: md5hex([]byte("corrupted source"))}})
	if err != nil || res.Method != MethodInternal {
		t.Fatalf("copy: %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "corrupted source" {
		t.Errorf("destination %q", b)
	}
}

func TestCopyFailures(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src/a.dat")
	mkfile(t, src, randomData(2*fsutil.BufferSize))
	dstDir := filepath.Join(dir, "dst")
	dst := filepath.Join(dstDir, "a.dat")
	if err := os.Mkdir(dstDir, 0o755); err != nil {
		t.Fatal(err)
	}

	check := func(name string, err error, suspect, timedOut bool, cause error) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v, want *Error", name, err)
		}
		if e.SourceSuspect != suspect || e.TimedOut != timedOut || e.Integrity {
			t.Errorf("%s: %+v", name, e)
		}
		if cause != nil && !errors.Is(err, cause) {
			t.Errorf("%s: %v, want %v", name, err, cause)
		}
		if names := dirEntries(t, dstDir); len(names) != 0 {
			t.Errorf("%s: left behind %q", name, names)
		}
	}

	_, err := Copy(context.Background(), Job{Src: filepath.Join(dir, "src/missing.dat"), Dst: dst})
	check("missing source", err, true, false, os.ErrNotExist)

	_, err = Copy(context.Background(), Job{Src: filepath.Dir(src), Dst: dst})
	check("directory as source", err, true, false, nil)

	// Something that is no directory stands where the destination's
	// directory should be: a destination problem.
	blocker := filepath.Join(dstDir, "file")
	mkfile(t, blocker, nil)
	_, err = Copy(context.Background(), Job{Src: src, Dst: filepath.Join(blocker, "a.dat")})
	var e *Error
	if !errors.As(err, &e) || e.SourceSuspect {
		t.Errorf("unwritable destination: %v", err)
	}
	os.Remove(blocker)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Copy(ctx, Job{Src: src, Dst: dst})
	check("cancelled", err, false, false, context.Canceled)

	_, err = Copy(context.Background(), Job{Src: src, Dst: dst, Timeout: 1e-9})
	check("timed out", err, false, true, nil)

	if _, err := Copy(context.Background(), Job{Src: "relative/a.dat", Dst: dst}); err == nil {
		t.Error("relative source accepted")
	}
}

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	data := []byte("meta data\n")
	dst := filepath.Join(dir, "meta.txt")
	newTemp := func() string {
		f, err := fsutil.CreateTemp(dst)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
		f.Close()
		return f.Name()
	}

	for _, exp := range []Expect{{Size: 9}, {MD5: md5hex([]byte("other"))}} {
		tmp := newTemp()
		_, err := Commit(context.Background(), tmp, dst, exp)
		if !SourceSuspect(err) {
			t.Errorf("%+v: %v", exp, err)
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Errorf("%+v: left %q", exp, names)
		}
	}

	tmp := newTemp()
	res, err := Commit(context.Background(), tmp, dst, Expect{Size: int64(len(data)), MD5: md5hex(data)})
	if err != nil || res.Size != int64(len(data)) || res.MD5 != md5hex(data) {
		t.Fatalf("commit: %+v, %v", res, err)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"meta.txt"}) {
		t.Errorf("after commit %q", names)
	}
}

func TestPullTimeout(t *testing.T) {
	for _, c := range []struct {
		size      int64
		base, bps float64
		want      string
	}{
		{1e8, DefaultPullTimeoutBase, DefaultPullBytesPerSecond, "305.0"},
		{52, DefaultPullTimeoutBase, DefaultPullBytesPerSecond, "300.0000026"},
		{0, DefaultPullTimeoutBase, DefaultPullBytesPerSecond, "300.0"},
		{1e11, 0, 1, "100000000000.0"},
		{1e17, 0, 1, "1e+17"},
		{1, 0, 1e6, "1e-06"},
		{1e8, 300, 0, "None"},
	} {
		if got := FormatTimeout(PullTimeout(c.size, c.base, c.bps)); got != c.want {
			t.Errorf("timeout for %d bytes (%v + size/%v) = %s, want %s", c.size, c.base, c.bps, got, c.want)
		}
	}
}
