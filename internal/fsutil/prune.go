package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// PruneEmptyDirs removes dir and then each of its parents while they are
// empty, stopping below root: root itself and anything above it are never
// touched. The paths are compared cleaned, so a root given with a trailing
// slash still stops the climb. As in alpenhorn, a directory that is already
// gone is passed over and the climb goes on, a non-empty one ends it, and
// any other failure is reported and the climb goes on.
//
// report, when not nil, is called with each directory removed (err nil)
// and each failure (the daemon logs "Removed directory {dir} on {node}" and
// "Error deleting directory {dir} on {node}: {err}"). An error is returned
// only when dir is not strictly inside root. The daemon holds its tree lock
// in the "down" state around the call.
func PruneEmptyDirs(root, dir string, report func(dir string, err error)) error {
	if !filepath.IsAbs(root) || !filepath.IsAbs(dir) {
		return fmt.Errorf("prune %q under %q: paths must be absolute", dir, root)
	}
	root, dir = filepath.Clean(root), filepath.Clean(dir)
	if !within(root, dir) {
		return fmt.Errorf("prune %q: %w %q", dir, ErrOutsideRoot, root)
	}
	for ; dir != root; dir = filepath.Dir(dir) {
		// syscall.Rmdir rather than os.Remove: the latter would unlink a
		// file standing where a directory was expected.
		err := syscall.Rmdir(dir)
		switch {
		case err == nil:
			if report != nil {
				report(dir, nil)
			}
		case errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST):
			return nil
		case errors.Is(err, syscall.ENOENT):
		default:
			if report != nil {
				report(dir, &os.PathError{Op: "rmdir", Path: dir, Err: err})
			}
		}
	}
	return nil
}

// Tidy removes the leftovers of transfers a crash interrupted anywhere
// under root: placeholders (IsPlaceholder) and temporary files (IsTemp).
// Symbolic links are not followed. Only call it while no transfer into the
// node is running (the daemon's tidy-up task is exclusive on the node).
//
// report, when not nil, is told about each file removed (err nil; the
// daemon logs "Removing stale placeholder {path}" for placeholders) and
// each file or directory that could not be removed or read. Tidy returns
// early only when ctx ends.
func Tidy(ctx context.Context, root string, report func(path string, err error)) error {
	if report == nil {
		report = func(string, error) {}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			report(p, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !(IsPlaceholder(p) || IsTemp(p)) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			report(p, err)
			return nil
		}
		report(p, nil)
		return nil
	})
}
