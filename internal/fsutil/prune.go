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

// TidyRules bound what Tidy removes and where it goes.
type TidyRules struct {
	// NodeFile names the file that marks a node's root: a directory below
	// root holding one is another node's, and Tidy does not enter it.
	NodeFile string
	// Known reports whether the file a placeholder stands for (its path
	// relative to root) is one the data index knows. Only the empty
	// placeholders of known files are removed: anything else with the
	// name of a placeholder is somebody else's.
	Known func(rel string) bool
	// Present, when not nil, is asked before each removal; an error ends
	// the tidy-up and is returned (the node has gone).
	Present func() error
}

// Tidy removes the leftovers of transfers a crash interrupted anywhere
// under root: empty placeholders (IsPlaceholder) of files rules.Known
// knows, temporary files (IsTemp) and staging directories (IsStaging)
// with all they hold. It stays on root's filesystem and out of other
// nodes' roots (rules.NodeFile), and does not follow symbolic links. Only
// call it while no transfer into the node is running (the
// daemon's tidy-up task is exclusive on the node).
//
// report, when not nil, is told about each file or staging directory
// removed (err nil; the daemon logs "Removing stale placeholder {path}"
// for placeholders) and each file or directory that could not be removed
// or read. Tidy returns
// early only when ctx ends or rules.Present fails.
func Tidy(ctx context.Context, root string, rules TidyRules, report func(path string, err error)) error {
	if report == nil {
		report = func(string, error) {}
	}
	root = filepath.Clean(root)
	dev, err := Device(root)
	if err != nil {
		return err
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
		if d.IsDir() {
			if p == root {
				return nil
			}
			if dd, err := Device(p); err != nil || dd != dev {
				return fs.SkipDir
			}
			if rules.NodeFile != "" {
				if _, err := os.Lstat(filepath.Join(p, rules.NodeFile)); !errors.Is(err, fs.ErrNotExist) {
					return fs.SkipDir
				}
			}
			if !IsStaging(p) {
				return nil
			}
			if err := rules.remove(p, os.RemoveAll, report); err != nil {
				return err
			}
			return fs.SkipDir
		}
		if !d.Type().IsRegular() || !(IsTemp(p) || ownPlaceholder(root, p, rules.Known)) {
			return nil
		}
		return rules.remove(p, os.Remove, report)
	})
}

// remove is Tidy's removal of p with rm, after asking rules.Present and
// followed by the report. Only a failing presence check is returned.
func (rules TidyRules) remove(p string, rm func(string) error, report func(string, error)) error {
	if rules.Present != nil {
		if err := rules.Present(); err != nil {
			return err
		}
	}
	if err := rm(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		report(p, err)
		return nil
	}
	report(p, nil)
	return nil
}

// ownPlaceholder reports whether the file at p is a placeholder a pull
// left: named as one, empty, and standing for a file known is told of.
func ownPlaceholder(root, p string, known func(rel string) bool) bool {
	if !IsPlaceholder(p) || known == nil {
		return false
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		return false
	}
	base := filepath.Base(p)
	target := filepath.Join(filepath.Dir(p), base[1:len(base)-len(placeholderSuffix)])
	rel, err := Rel(root, target)
	return err == nil && known(rel)
}
