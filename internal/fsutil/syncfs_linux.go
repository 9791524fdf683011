package fsutil

import (
	"os"

	"golang.org/x/sys/unix"
)

// SyncFS flushes everything written to the filesystem holding path
// (syncfs(2)): for many new files, one call instead of one fsync each.
func SyncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return &os.PathError{Op: "syncfs", Path: path, Err: err}
	}
	return nil
}
