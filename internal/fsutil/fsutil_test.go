package fsutil

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func TestJoinUnderRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkfile(t, filepath.Join(root, "2025/02/21/meta.txt"), []byte("x"))
	must(t, os.Symlink(outside, filepath.Join(root, "escape")))
	must(t, os.Symlink(filepath.Join(root, "2025"), filepath.Join(root, "inside")))
	must(t, os.Symlink(filepath.Join(outside, "nothing"), filepath.Join(root, "dangling")))
	// A root reached through a symbolic link is resolved before comparing.
	linkedRoot := filepath.Join(t.TempDir(), "root")
	must(t, os.Symlink(root, linkedRoot))

	ok := []struct{ root, rel string }{
		{root, "2025/02/21/meta.txt"},
		{root, "2025/02/21/23/1324.dat"}, // not there yet
		{root, "inside/02/21/meta.txt"},
		{root, "with space/it's ;odd\n.dat"},
		{root + "/", "2025"},
		{linkedRoot, "2025/02/21/meta.txt"},
	}
	for _, c := range ok {
		got, err := JoinUnderRoot(c.root, c.rel)
		if err != nil {
			t.Errorf("JoinUnderRoot(%q, %q): %v", c.root, c.rel, err)
			continue
		}
		if want := filepath.Join(c.root, c.rel); got != want {
			t.Errorf("JoinUnderRoot(%q, %q) = %q, want %q", c.root, c.rel, got, want)
		}
	}

	bad := []struct {
		rel     string
		outside bool
	}{
		{"", false},
		{"/etc/passwd", true},
		{"..", true},
		{"../x", true},
		{"2025/../../x", true},
		{"2025//02", false},
		{"2025/", false},
		{".", false},
		{"./2025", false},
		{"2025/./02", false},
		{"./ALPENHORN_NODE", false},
		{"a\x00b", false},
		{"escape", true},
		{"escape/file.dat", true},
		{"escape/new/dir/file.dat", true},
		{"dangling", true},
		{"dangling/x", true},
	}
	for _, c := range bad {
		got, err := JoinUnderRoot(root, c.rel)
		if err == nil {
			t.Errorf("JoinUnderRoot(root, %q) = %q, want an error", c.rel, got)
			continue
		}
		if c.outside && !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("JoinUnderRoot(root, %q): %v, want ErrOutsideRoot", c.rel, err)
		}
	}
	if _, err := JoinUnderRoot("relative/root", "x"); err == nil {
		t.Error("relative root accepted")
	}
}

func TestRel(t *testing.T) {
	for _, c := range []struct{ root, abs, want string }{
		{"/data", "/data", "."},
		{"/data/", "/data/2025/02/21/meta.txt", "2025/02/21/meta.txt"},
		{"/data", "/data/./2025//x", "2025/x"},
	} {
		got, err := Rel(c.root, c.abs)
		if err != nil || got != c.want {
			t.Errorf("Rel(%q, %q) = %q, %v; want %q", c.root, c.abs, got, err, c.want)
		}
	}
	for _, c := range []struct{ root, abs string }{
		{"/data", "/data2/x"},
		{"/data", "/"},
		{"/data", "/data/../etc"},
		{"/data", "data/x"},
	} {
		if got, err := Rel(c.root, c.abs); err == nil {
			t.Errorf("Rel(%q, %q) = %q, want an error", c.root, c.abs, got)
		}
	}
}

func TestMD5File(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// Sizes around the buffer size, and an empty file.
	for _, n := range []int{0, 52, BufferSize, 3*BufferSize + 12345} {
		data := make([]byte, n)
		rand.Read(data)
		p := filepath.Join(dir, "f.dat")
		mkfile(t, p, data)
		sum := md5.Sum(data)
		got, err := MD5File(ctx, p)
		if err != nil || got != hex.EncodeToString(sum[:]) {
			t.Errorf("MD5File of %d bytes = %q, %v; want %x", n, got, err, sum)
		}
	}
	if _, err := MD5File(ctx, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := MD5File(cancelled, filepath.Join(dir, "f.dat")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

// A read that never returns (here: a pipe nobody writes to) gives up with
// ErrStalled instead of holding the caller for ever.
func TestMD5FileStalls(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	// Opened read-write it never blocks the reader's open and never sends
	// end-of-file.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	must(t, err)
	defer w.Close()
	if _, err := md5File(context.Background(), fifo, 100*time.Millisecond); !errors.Is(err, ErrStalled) {
		t.Fatalf("md5 of a silent pipe: %v, want ErrStalled", err)
	}
}

// BenchmarkMD5File hashes a 100-byte file, where the cost of a call
// matters, and a 64 MiB one, where the throughput does (both in the page
// cache: this measures the hashing, not the disk).
func BenchmarkMD5File(b *testing.B) {
	for _, size := range []int{100, 64 << 20} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			data := make([]byte, size)
			rand.Read(data)
			p := filepath.Join(b.TempDir(), "f.dat")
			mkfile(b, p, data)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := MD5File(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSizes(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 1<<20)
	rand.Read(data)
	full := filepath.Join(dir, "full.dat")
	mkfile(t, full, data)
	alloc, err := AllocatedSize(full)
	must(t, err)
	if alloc < int64(len(data)) {
		t.Errorf("allocated size of a written 1 MiB file = %d", alloc)
	}

	sparse := filepath.Join(dir, "sparse.dat")
	f, err := os.Create(sparse)
	must(t, err)
	must(t, f.Truncate(64<<20))
	f.Close()
	alloc, err = AllocatedSize(sparse)
	must(t, err)
	if alloc >= 64<<20 {
		t.Errorf("allocated size of a 64 MiB hole = %d, want less than its apparent size", alloc)
	}
	if _, err := AllocatedSize(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	avail, err := BytesAvail(dir)
	if err != nil || avail <= 0 {
		t.Errorf("BytesAvail = %d, %v", avail, err)
	}
	if _, err := BytesAvail(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("BytesAvail of a missing path: %v", err)
	}
}

func TestLocks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "2025/02/21/meta.txt")
	mkfile(t, file, nil)
	if Locked(file) {
		t.Error("unlocked file reported locked")
	}
	lock := filepath.Join(dir, "2025/02/21/.meta.txt.lock")
	if LockPath(file) != lock {
		t.Errorf("LockPath = %q", LockPath(file))
	}
	mkfile(t, lock, nil)
	if !Locked(file) {
		t.Error("locked file reported unlocked")
	}
	// A missing file may be locked too (the lock comes first).
	if Locked(filepath.Join(dir, "2025/02/21/other.txt")) {
		t.Error("file without lock reported locked")
	}

	for _, c := range []struct {
		path, target string
		ok           bool
	}{
		{"/d/.meta.txt.lock", "/d/meta.txt", true},
		{".a.lock", "a", true},
		{"/d/..lock", "", false},
		{"/d/.lock", "", false},
		{"/d/meta.txt.lock", "", false},
		{"/d/.meta.txt", "", false},
		{"/d/.lock/x", "", false},
	} {
		target, ok := LockTarget(c.path)
		if target != c.target || ok != c.ok || IsLockFile(c.path) != c.ok {
			t.Errorf("LockTarget(%q) = %q, %v; want %q, %v", c.path, target, ok, c.target, c.ok)
		}
	}

	for _, c := range []struct {
		path string
		dot  bool
	}{
		{"2025/02/21/.meta.txt", true},
		{".x", true},
		{"2025/.hidden/meta.txt", false},
		{"2025/02/21/meta.txt", false},
	} {
		if IsDotFile(c.path) != c.dot {
			t.Errorf("IsDotFile(%q) = %v", c.path, !c.dot)
		}
	}
}

func TestTempAndPlaceholderNames(t *testing.T) {
	dst := "/data/2025/02/21/23/1324.dat"
	if p := PlaceholderPath(dst); p != "/data/2025/02/21/23/.1324.dat.placeholder" || !IsPlaceholder(p) {
		t.Errorf("PlaceholderPath = %q", p)
	}
	seen := map[string]bool{}
	for range 100 {
		p, err := TempPath(dst)
		must(t, err)
		if filepath.Dir(p) != filepath.Dir(dst) || !IsDotFile(p) || !IsTemp(p) || IsPlaceholder(p) || IsLockFile(p) {
			t.Fatalf("TempPath(%q) = %q", dst, p)
		}
		if seen[p] {
			t.Fatalf("TempPath repeated %q", p)
		}
		seen[p] = true
		// rsync's own temporary file made from it.
		if !IsTemp(filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".Ab12Cd")) {
			t.Errorf("rsync temporary of %q not recognised", p)
		}
	}
	long := "/data/" + strings.Repeat("é", 127) + ".dat" // 258 bytes
	p, err := TempPath(long)
	must(t, err)
	if b := filepath.Base(p); len(b) > maxTempName || !IsTemp(p) || !strings.HasPrefix(b, ".éé") {
		t.Errorf("TempPath of a long name = %q (%d bytes)", b, len(b))
	}
	for _, user := range []string{"x.tmp", ".x.tmp", ".x.alpenhorn-12.tmp", ".x.alpenhorn-0123456789abcdef.tmp~", "x.alpenhorn-0123456789abcdef.tmp", ".placeholder", "x.placeholder"} {
		if IsTemp(user) || IsPlaceholder(user) {
			t.Errorf("%q taken for a leftover", user)
		}
	}
}

func TestCreateTempAndPlaceholder(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "f.dat")
	f, err := CreateTemp(dst)
	must(t, err)
	defer f.Close()
	fi, err := f.Stat()
	must(t, err)
	if fi.Mode().Perm() != 0o600 || !IsTemp(f.Name()) || filepath.Dir(f.Name()) != dir {
		t.Errorf("CreateTemp made %q mode %v", f.Name(), fi.Mode())
	}
	must(t, CreatePlaceholder(dst))
	must(t, CreatePlaceholder(dst))
	if !exists(PlaceholderPath(dst)) {
		t.Error("no placeholder")
	}
}

func TestPruneEmptyDirs(t *testing.T) {
	type event struct {
		dir string
		err bool
	}
	prune := func(root, dir string) ([]event, error) {
		var got []event
		err := PruneEmptyDirs(root, dir, func(d string, err error) { got = append(got, event{d, err != nil}) })
		return got, err
	}

	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "2025/02/21/23"), 0o755))
	mkfile(t, filepath.Join(root, "2025/keep.txt"), nil)
	got, err := prune(root, filepath.Join(root, "2025/02/21/23"))
	must(t, err)
	want := []event{{filepath.Join(root, "2025/02/21/23"), false}, {filepath.Join(root, "2025/02/21"), false}, {filepath.Join(root, "2025/02"), false}}
	if !slices.Equal(got, want) {
		t.Errorf("pruned %v, want %v", got, want)
	}
	if !exists(filepath.Join(root, "2025/keep.txt")) {
		t.Error("non-empty directory's content removed")
	}

	// Everything empty: the climb ends below the root, also when the root
	// is spelt with a trailing slash, and a missing directory is passed over.
	must(t, os.Remove(filepath.Join(root, "2025/keep.txt")))
	got, err = prune(root+"/", filepath.Join(root, "2025/02/21/23"))
	must(t, err)
	want = []event{{filepath.Join(root, "2025"), false}}
	if !slices.Equal(got, want) {
		t.Errorf("pruned %v, want %v", got, want)
	}
	if !exists(root) {
		t.Fatal("root removed")
	}
	got, err = prune(root, root)
	if err != nil || len(got) != 0 || !exists(root) {
		t.Errorf("pruning the root itself: %v, %v", got, err)
	}

	// A file where a directory is expected is reported and left alone.
	mkfile(t, filepath.Join(root, "a/notadir"), []byte("data"))
	got, err = prune(root, filepath.Join(root, "a/notadir"))
	must(t, err)
	if len(got) != 1 || !got[0].err || !exists(filepath.Join(root, "a/notadir")) {
		t.Errorf("pruning a file: %v", got)
	}

	// Outside the root nothing is touched.
	other := t.TempDir()
	must(t, os.Mkdir(filepath.Join(other, "empty"), 0o755))
	for _, dir := range []string{filepath.Join(other, "empty"), filepath.Dir(root), root + "/../" + filepath.Base(other) + "/empty"} {
		if _, err := prune(root, dir); !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("prune %q: %v, want ErrOutsideRoot", dir, err)
		}
	}
	if !exists(filepath.Join(other, "empty")) {
		t.Error("directory outside the root removed")
	}
}

func TestTidy(t *testing.T) {
	root := t.TempDir()
	acq := filepath.Join(root, "2025/02/21")
	tmp1, err := TempPath(filepath.Join(acq, "23/1324.dat"))
	must(t, err)
	tmp2, err := TempPath(filepath.Join(acq, "meta.txt"))
	must(t, err)
	placeholders := []string{
		PlaceholderPath(filepath.Join(acq, "23/1324.dat")),
		PlaceholderPath(filepath.Join(acq, "meta.txt")),
	}
	temps := []string{
		tmp1,
		filepath.Join(filepath.Dir(tmp2), "."+filepath.Base(tmp2)+".x9Y8z7"),
	}
	known := map[string]bool{"2025/02/21/23/1324.dat": true, "2025/02/21/meta.txt": true}
	// A nested node's own in-flight temporary file.
	nested := filepath.Join(root, "nested")
	mkfile(t, filepath.Join(nested, "ALPENHORN_NODE"), []byte("nested\n"))
	nestedTmp, err := TempPath(filepath.Join(nested, "2025/x.dat"))
	must(t, err)
	keep := []string{
		filepath.Join(acq, "meta.txt"),
		filepath.Join(acq, ".meta.txt.lock"),
		filepath.Join(acq, ".hidden"),
		filepath.Join(acq, "23/1324.dat.temp"),
		filepath.Join(acq, "notes.placeholder"),
		// A user's file with a placeholder's name and text in it.
		PlaceholderPath(filepath.Join(root, "docs/README")),
		nestedTmp,
		PlaceholderPath(filepath.Join(nested, "2025/x.dat")),
		filepath.Join(root, "ALPENHORN_NODE"),
	}
	known["docs/README"], known["nested/2025/x.dat"] = true, true
	// Empty, but for a file the data index does not know.
	unknown := PlaceholderPath(filepath.Join(acq, "unknown.dat"))
	for _, p := range append(slices.Clone(temps), keep...) {
		mkfile(t, p, []byte("x"))
	}
	for _, p := range append(slices.Clone(placeholders), unknown, PlaceholderPath(filepath.Join(nested, "2025/x.dat"))) {
		mkfile(t, p, nil)
	}
	keep = append(keep, unknown)
	// A placeholder-named directory is not a placeholder.
	must(t, os.Mkdir(filepath.Join(acq, ".dir.placeholder"), 0o755))
	// A batch transfer's staging directory, with what it was writing.
	staging, err := MkStaging(root)
	must(t, err)
	mkfile(t, filepath.Join(staging, "2025/02/21/.meta.txt.Ab12Cd"), []byte("x"))
	mkfile(t, filepath.Join(staging, "2025/02/21/23/1324.dat"), []byte("x"))
	temps = append(temps, staging)
	keep = append(keep, filepath.Join(root, ".alpenhorn-staging-mine/x.dat"))
	mkfile(t, keep[len(keep)-1], []byte("x"))

	var removed []string
	rules := TidyRules{NodeFile: "ALPENHORN_NODE", Known: func(rel string) bool { return known[rel] }}
	err = Tidy(context.Background(), root, rules, func(p string, err error) {
		if err != nil {
			t.Errorf("tidy %s: %v", p, err)
		}
		removed = append(removed, p)
	})
	must(t, err)
	leftovers := append(placeholders, temps...)
	slices.Sort(removed)
	slices.Sort(leftovers)
	if !slices.Equal(removed, leftovers) {
		t.Errorf("removed %q, want %q", removed, leftovers)
	}
	for _, p := range leftovers {
		if exists(p) {
			t.Errorf("%s survived", p)
		}
	}
	for _, p := range append(keep, filepath.Join(acq, ".dir.placeholder")) {
		if !exists(p) {
			t.Errorf("%s removed", p)
		}
	}

	// A failing presence check ends the tidy-up before any removal.
	mkfile(t, tmp1, nil)
	gone := errors.New("gone")
	err = Tidy(context.Background(), root, TidyRules{Present: func() error { return gone }}, nil)
	if !errors.Is(err, gone) || !exists(tmp1) {
		t.Errorf("tidy of a vanished node: %v, temporary file kept %v", err, exists(tmp1))
	}
}

// TestTidyStaysOnItsFilesystem: a filesystem mounted below the root (as
// /proc is below "/") is not entered.
func TestTidyStaysOnItsFilesystem(t *testing.T) {
	root := t.TempDir()
	mnt := filepath.Join(root, "mnt")
	must(t, os.Mkdir(mnt, 0o755))
	mountTmpfs(t, mnt)
	inner, err := TempPath(filepath.Join(mnt, "x.dat"))
	must(t, err)
	mkfile(t, inner, nil)
	must(t, Tidy(context.Background(), root, TidyRules{}, func(p string, err error) { t.Errorf("tidy touched %s (%v)", p, err) }))
	if !exists(inner) {
		t.Error("temporary file on another filesystem removed")
	}
}

// mountTmpfs mounts a tmpfs on dir for the test's duration, or skips the
// test, loudly, where mounting is impossible.
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("SKIPPED: cannot mount a tmpfs (%v): this test needs root and mount rights", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

func TestCommitTemp(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "f.dat")
	mkfile(t, dst, []byte("old"))
	f, err := CreateTemp(dst)
	must(t, err)
	f.WriteString("new")
	f.Close()
	must(t, CommitTemp(f.Name(), dst))
	if b, _ := os.ReadFile(dst); string(b) != "new" || exists(f.Name()) {
		t.Errorf("after commit: %q, temporary left: %v", b, exists(f.Name()))
	}

	// A temporary that is already the destination (a second hard link).
	tmp, err := TempPath(dst)
	must(t, err)
	must(t, os.Link(dst, tmp))
	must(t, CommitTemp(tmp, dst))
	if exists(tmp) || !exists(dst) {
		t.Errorf("same-file commit: temporary left %v, destination kept %v", exists(tmp), exists(dst))
	}

	// A new hard link to another file.
	src := filepath.Join(dir, "src.dat")
	mkfile(t, src, []byte("linked"))
	tmp, err = TempPath(dst)
	must(t, err)
	must(t, os.Link(src, tmp))
	must(t, CommitLink(tmp, dst))
	if b, _ := os.ReadFile(dst); string(b) != "linked" || exists(tmp) {
		t.Errorf("after committing a link: %q, temporary left: %v", b, exists(tmp))
	}

	other := filepath.Join(t.TempDir(), "x")
	mkfile(t, other, nil)
	if err := CommitTemp(other, dst); err == nil {
		t.Error("commit from another directory accepted")
	}

	staging, err := MkStaging(dir)
	must(t, err)
	staged := filepath.Join(staging, "f.dat")
	mkfile(t, staged, []byte("staged"))
	must(t, CommitTemp(staged, dst))
	if b, _ := os.ReadFile(dst); string(b) != "staged" || exists(staged) {
		t.Errorf("after commit from staging: %q, staged file left: %v", b, exists(staged))
	}
	mkfile(t, staged, []byte("batch"))
	must(t, SyncFS(staging))
	must(t, CommitStaged(staged, dst))
	must(t, SyncDir(dir))
	if b, _ := os.ReadFile(dst); string(b) != "batch" || exists(staged) {
		t.Errorf("after a staged commit: %q, staged file left: %v", b, exists(staged))
	}
}

func TestStaging(t *testing.T) {
	root := t.TempDir()
	a, err := MkStaging(root)
	must(t, err)
	b, err := MkStaging(root)
	must(t, err)
	if a == b || filepath.Dir(a) != root || !IsStaging(a) || !IsDotFile(a) || IsTemp(a) {
		t.Errorf("MkStaging: %q, %q", a, b)
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Errorf("staging directory: %v %v", fi, err)
	}
	for _, p := range []string{filepath.Join(a, "x.dat"), filepath.Join(a, "2025/02/21/x.dat"), "acq/" + filepath.Base(a) + "/x"} {
		if !InStaging(p) {
			t.Errorf("%q not in staging", p)
		}
	}
	for _, p := range []string{a, filepath.Join(root, "2025/x.dat"), "x.dat", "/", ".", "acq/.alpenhorn-staging-x/y", "acq/.alpenhorn-staging-0123456789abcdef0/y"} {
		if InStaging(p) {
			t.Errorf("%q in staging", p)
		}
	}
}

func TestBounded(t *testing.T) {
	want := errors.New("done")
	if err := Bounded(context.Background(), func() error { return want }); err != want {
		t.Errorf("Bounded = %v", err)
	}
	// Work that notices the end of its context returns its own error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Bounded(ctx, func() error {
		<-ctx.Done()
		return want
	})
	if err != want {
		t.Errorf("Bounded after cancel = %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMkdirNode: directories are made below a root holding its node file,
// never below a bare mount point whose filesystem has gone.
func TestMkdirNode(t *testing.T) {
	root := t.TempDir()
	mountTmpfs(t, root)
	mkfile(t, filepath.Join(root, "ALPENHORN_NODE"), []byte("n\n"))
	dir := filepath.Join(root, "2025/02/21")
	must(t, MkdirNode(root, dir, "ALPENHORN_NODE", 0o755))
	must(t, MkdirNode(root, dir, "ALPENHORN_NODE", 0o755))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s not made: %v", dir, err)
	}

	// Lazily unmounted: the root is the bare directory below.
	must(t, syscall.Unmount(root, syscall.MNT_DETACH))
	err := MkdirNode(root, filepath.Join(root, "2026/01"), "ALPENHORN_NODE", 0o755)
	if !errors.Is(err, ErrNoNodeFile) {
		t.Errorf("MkdirNode on a bare mount point: %v, want ErrNoNodeFile", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("bare mount point holds %v", entries)
	}
	// Without a node file to look for, as on an HSM node.
	must(t, MkdirNode(root, filepath.Join(root, "a/b"), "", 0o755))
	if err := MkdirNode(root, "/elsewhere", "", 0o755); !errors.Is(err, ErrOutsideRoot) {
		t.Errorf("MkdirNode outside the root: %v, want ErrOutsideRoot", err)
	}
}
