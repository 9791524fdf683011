package fsutil

import (
	"fmt"
	"os"
	"syscall"
)

// AllocatedSize returns the space the file at path takes on disk,
// st_blocks × 512 (POSIX fixes the unit of st_blocks at 512 bytes whatever
// the filesystem's block size). Symbolic links are followed.
func AllocatedSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no block count on this platform", path)
	}
	return int64(st.Blocks) * 512, nil
}

// BytesAvail returns the bytes available to unprivileged users on the
// filesystem holding path: f_bavail × f_bsize, the product alpenhorn has
// always used (not f_frsize; the two agree on the filesystems nodes live on).
func BytesAvail(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Device returns the device number of the filesystem holding path
// (st_dev), following symbolic links.
func Device(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no device number on this platform", path)
	}
	return uint64(st.Dev), nil
}
