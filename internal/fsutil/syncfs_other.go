//go:build !linux

package fsutil

import "syscall"

// SyncFS flushes everything written to the filesystems; elsewhere than on
// Linux there is no call for a single one.
func SyncFS(string) error {
	syscall.Sync()
	return nil
}
