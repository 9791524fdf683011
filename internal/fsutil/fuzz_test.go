package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzTree builds a node root holding every kind of entry a path can go
// through: directories, files, links that stay inside, links that escape
// by absolute and by relative targets, a link to the root's parent, a
// dangling link and a loop. It returns the root spelled three ways (plain,
// with a trailing slash, through a link) and the directory outside it.
func fuzzTree(f *testing.F) (roots []string, outside string) {
	f.Helper()
	base := f.TempDir()
	root := filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{
		filepath.Join(root, "a/b/c"),
		filepath.Join(root, "2025/02/21"),
		filepath.Join(outside, "x"),
	} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for _, p := range []string{
		filepath.Join(root, "a/b/c/file.dat"),
		filepath.Join(root, "2025/02/21/meta.txt"),
		filepath.Join(outside, "x/secret"),
	} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	links := map[string]string{
		"abs-escape":    outside,
		"rel-escape":    "../outside",
		"a/b/deep-up":   "../../../outside/x",
		"parent":        "..",
		"self":          ".",
		"inside":        "a/b",
		"inside-abs":    filepath.Join(root, "2025"),
		"a/up-inside":   "../2025/02",
		"dangling":      "nowhere/at/all",
		"dangling-out":  filepath.Join(outside, "missing"),
		"loop1":         "loop2",
		"loop2":         "loop1",
		"a/b/c/to-file": "file.dat",
		"file-out":      filepath.Join(outside, "x/secret"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			f.Fatal(err)
		}
	}
	// Back into the root from outside: a path through abs-escape/back
	// ends inside the root, which is where writes would land.
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(outside, "back")); err != nil {
		f.Fatal(err)
	}
	linked := filepath.Join(base, "linked-root")
	if err := os.Symlink(root, linked); err != nil {
		f.Fatal(err)
	}
	return []string{root, root + "/", linked}, outside
}

// physical resolves p component by component, following symbolic links by
// hand, as far as the path exists; the components that do not exist are
// appended as they are, since creating them makes plain directories and
// files. It is written independently of JoinUnderRoot so that each checks
// the other. ok is false for a dangling link, a loop, or a link met
// before the end of the path that does not lead to a directory.
func physical(p string) (string, bool) {
	pending := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	cur := "/"
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil {
			// The rest does not exist: it would be created below cur.
			return filepath.Join(append([]string{next}, pending...)...), true
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 255 {
			return "", false
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", false
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		pending = append(strings.Split(target, "/"), pending...)
		if _, err := os.Stat(next); err != nil {
			return "", false
		}
	}
	return cur, true
}

func FuzzJoinUnderRoot(f *testing.F) {
	roots, outside := fuzzTree(f)
	realRoot, err := filepath.EvalSymlinks(roots[0])
	if err != nil {
		f.Fatal(err)
	}
	if outside, err = filepath.EvalSymlinks(outside); err != nil {
		f.Fatal(err)
	}
	for _, rel := range []string{
		".", "a", "a/b/c/file.dat", "a/b/c/new/deeper.dat", "./a", "a/./b", "2025/02/21/meta.txt",
		"", "/", "/etc/passwd", "..", "../outside/x/secret", "a/../../outside", "a//b", "a/", "a\x00b",
		"abs-escape", "abs-escape/x/secret", "abs-escape/new.dat", "abs-escape/back/b/c/file.dat",
		"rel-escape/x", "a/b/deep-up", "a/b/deep-up/secret", "parent", "parent/outside/x",
		"parent/root/a", "self/self/a", "inside/c/file.dat", "inside-abs/02", "a/up-inside/21/meta.txt",
		"dangling", "dangling/x", "dangling-out", "loop1", "loop1/x", "a/b/c/to-file",
		"a/b/c/to-file/x", "file-out", "a/b/c/file.dat/x", strings.Repeat("a/", 300) + "x",
	} {
		for i := range roots {
			f.Add(rel, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, rel string, which uint8) {
		root := roots[int(which)%len(roots)]
		got, err := JoinUnderRoot(root, rel)
		comps := strings.Split(rel, "/")
		for _, c := range comps {
			if c == ".." && err == nil {
				t.Fatalf("JoinUnderRoot(%q, %q) = %q, accepted a \"..\" component", root, rel, got)
			}
			if c == "" && err == nil {
				t.Fatalf("JoinUnderRoot(%q, %q) = %q, accepted an empty component", root, rel, got)
			}
			if c == "." && err == nil {
				t.Fatalf("JoinUnderRoot(%q, %q) = %q, accepted a \".\" component", root, rel, got)
			}
		}
		if err != nil {
			if got != "" {
				t.Fatalf("JoinUnderRoot(%q, %q) returned %q with error %v", root, rel, got, err)
			}
			if strings.HasPrefix(rel, "/") && !strings.ContainsRune(rel, 0) && !errors.Is(err, ErrOutsideRoot) {
				t.Fatalf("JoinUnderRoot(%q, %q): absolute path refused with %v, want ErrOutsideRoot", root, rel, err)
			}
			return
		}
		if want := filepath.Join(root, rel); got != want {
			t.Fatalf("JoinUnderRoot(%q, %q) = %q, want %q", root, rel, got, want)
		}
		if !within(filepath.Clean(root), got) {
			t.Fatalf("JoinUnderRoot(%q, %q) = %q, lexically outside the root", root, rel, got)
		}
		phys, ok := physical(got)
		if !ok {
			t.Fatalf("JoinUnderRoot(%q, %q) = %q, which goes through a dangling or looping link", root, rel, got)
		}
		if !within(realRoot, phys) {
			t.Fatalf("JoinUnderRoot(%q, %q) = %q, which lands at %q outside %q", root, rel, got, phys, realRoot)
		}
		if within(outside, phys) {
			t.Fatalf("JoinUnderRoot(%q, %q) = %q, which lands at %q", root, rel, got, phys)
		}
	})
}

func FuzzRel(f *testing.F) {
	for _, c := range [][2]string{
		{"/data", "/data"}, {"/data/", "/data/2025/02/21/meta.txt"}, {"/data", "/data/./2025//x"},
		{"/data", "/data2/x"}, {"/data", "/"}, {"/data", "/data/../etc"}, {"/data", "data/x"},
		{"/", "/x"}, {"/", "/"}, {"/data/..", "/x"}, {"//data//", "/data/x/.."}, {"", ""},
		{"/data", "/data/.."}, {"/data", "/data/..x"}, {"/a/b", "/a/b/../b/c"}, {"/d\x00", "/d\x00/x"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, root, abs string) {
		got, err := Rel(root, abs)
		if err != nil {
			if got != "" {
				t.Fatalf("Rel(%q, %q) returned %q with error %v", root, abs, got, err)
			}
			return
		}
		if !filepath.IsAbs(root) || !filepath.IsAbs(abs) {
			t.Fatalf("Rel(%q, %q) = %q, accepted a relative path", root, abs, got)
		}
		if filepath.IsAbs(got) || got != filepath.Clean(got) {
			t.Fatalf("Rel(%q, %q) = %q, not a clean relative path", root, abs, got)
		}
		for _, c := range strings.Split(got, "/") {
			if c == ".." {
				t.Fatalf("Rel(%q, %q) = %q, climbs out of the root", root, abs, got)
			}
		}
		if back := filepath.Join(root, got); back != filepath.Clean(abs) {
			t.Fatalf("Rel(%q, %q) = %q, but joining it back gives %q", root, abs, got, back)
		}
	})
}
