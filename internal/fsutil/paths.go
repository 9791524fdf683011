// Package fsutil holds the filesystem primitives of the Default I/O class:
// confined path joining, MD5 hashing, sizes and free space, lock files and
// dot-files, the names of placeholders and temporary files, crash tidy-up,
// directory pruning and the atomic commit of a finished file. It knows
// nothing of the data index.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutsideRoot is wrapped by the errors of JoinUnderRoot, Rel and
// PruneEmptyDirs for a path that is not inside the node root.
var ErrOutsideRoot = errors.New("not under the node root")

// JoinUnderRoot joins rel onto the absolute directory root and refuses any
// result that would lie outside root: rel must be relative, must not
// contain "..", "." or empty components (so no leading, trailing or
// doubled slash) nor NUL bytes, and the longest part of the result that
// exists on disk must not resolve, through symbolic links, to a place
// outside root (itself resolved). A dangling symbolic link in the result
// is refused as well, because creating a file through it would write
// wherever it points. "." is refused because a name from the data index
// spelled with it ("./ALPENHORN_NODE", say) would name a file at another
// level than the one its acquisition says, the node's own file among them.
//
// The check is made once, when called: it guards against misconfiguration
// and bad names in the data index, not against someone racing to swap
// directories for links.
func JoinUnderRoot(root, rel string) (string, error) {
	if !filepath.IsAbs(root) {
		return "", fmt.Errorf("node root %q is not an absolute path", root)
	}
	if err := CheckRel(rel); err != nil {
		return "", err
	}
	root = filepath.Clean(root)
	full := filepath.Join(root, rel)

	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolve node root: %w", err)
	}
	// Down from the root, a component at a time: the first one missing
	// ends the walk, since nothing below it exists either, and a symbolic
	// link on the way must resolve inside the root. A path into a missing
	// directory costs one lstat past the root's resolution, where
	// resolving the path, then each parent in turn, cost dozens: the
	// pre-pull search and the pulls of a batch check hundreds of names.
	p := root
	for c := range strings.SplitSeq(rel, "/") {
		p += "/" + c
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return full, nil
		case err != nil:
			return "", fmt.Errorf("resolve %q: %w", p, err)
		case fi.Mode()&fs.ModeSymlink == 0:
			continue
		}
		resolved, err := filepath.EvalSymlinks(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("%q is a dangling symbolic link: %w", p, ErrOutsideRoot)
		case err != nil:
			return "", fmt.Errorf("resolve %q: %w", p, err)
		case !within(realRoot, resolved):
			return "", fmt.Errorf("%q resolves to %q: %w", full, resolved, ErrOutsideRoot)
		}
	}
	return full, nil
}

// CheckRel refuses a node-relative path that is empty, absolute, holds a
// NUL byte or has an empty, "." or ".." component: only such a path stays,
// joined onto any root, inside it.
func CheckRel(rel string) error {
	switch {
	case rel == "":
		return errors.New("empty path")
	case strings.ContainsRune(rel, 0):
		return fmt.Errorf("path %q contains a NUL byte", rel)
	case strings.HasPrefix(rel, "/"):
		return fmt.Errorf("path %q is absolute: %w", rel, ErrOutsideRoot)
	}
	for _, c := range strings.Split(rel, "/") {
		switch c {
		case "":
			return fmt.Errorf("path %q has an empty component", rel)
		case ".":
			return fmt.Errorf("path %q has a \".\" component", rel)
		case "..":
			return fmt.Errorf("path %q climbs with \"..\": %w", rel, ErrOutsideRoot)
		}
	}
	return nil
}

// within reports whether the clean absolute path p is dir or below it.
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, "../")
}

// Rel returns abs relative to root ("." for root itself), refusing paths
// outside root. The comparison is lexical on cleaned paths: neither path
// is resolved through symbolic links, so both must be spelled the same way.
func Rel(root, abs string) (string, error) {
	if !filepath.IsAbs(root) || !filepath.IsAbs(abs) {
		return "", fmt.Errorf("%q or %q is not an absolute path", root, abs)
	}
	root, abs = filepath.Clean(root), filepath.Clean(abs)
	if !within(root, abs) {
		return "", fmt.Errorf("%q: %w %q", abs, ErrOutsideRoot, root)
	}
	return filepath.Rel(root, abs)
}
