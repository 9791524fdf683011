package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// CommitTemp moves the finished temporary file tmp onto dst, which must be
// in the same directory or, for a batch transfer, in a staging directory
// (MkStaging) of the same filesystem, replacing any file there in one
// step: readers see
// either the old file or the whole new one. tmp's data is flushed to disk
// first and the directory afterwards, so after a crash dst holds the old
// or the new file but never a truncated one. On failure tmp is left for
// the caller to remove.
func CommitTemp(tmp, dst string) error {
	return commitTemp(tmp, dst, true, true)
}

// CommitLink is CommitTemp for a temporary file that is a new hard link to
// a file already on disk: its data are not flushed again, only the rename.
func CommitLink(tmp, dst string) error {
	return commitTemp(tmp, dst, false, true)
}

// CommitStaged is CommitTemp for one of many files a batch transfer moves
// into place: the caller has flushed their data beforehand (SyncFS) and
// flushes each destination directory once afterwards (SyncDir), rather
// than once for every file.
func CommitStaged(tmp, dst string) error {
	return commitTemp(tmp, dst, false, false)
}

// SyncDir flushes the directory dir: the renames into it are then on disk.
func SyncDir(dir string) error {
	return syncPath(dir)
}

func commitTemp(tmp, dst string, flush, syncDir bool) error {
	dir := filepath.Dir(dst)
	if filepath.Dir(tmp) != dir && !InStaging(tmp) {
		return fmt.Errorf("commit %s: temporary file %s is in another directory", dst, tmp)
	}
	if flush {
		if err := syncPath(tmp); err != nil {
			return err
		}
	}
	// rename(2) does nothing, and leaves tmp behind, when tmp and dst are
	// already links to one file (a repeated hard-link pull).
	if ti, err := os.Stat(tmp); err == nil {
		if di, err := os.Stat(dst); err == nil && os.SameFile(ti, di) {
			return os.Remove(tmp)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if !syncDir {
		return nil
	}
	return syncPath(dir)
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
