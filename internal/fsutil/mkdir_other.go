//go:build !linux

package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// MkdirNode creates dir and any missing parents below root, as os.MkdirAll
// would, but only while root holds nodeFile ("" skips that check). Without
// the *at system calls the check and the creation go by path, one after
// the other.
func MkdirNode(root, dir, nodeFile string, perm os.FileMode) error {
	if _, err := Rel(root, dir); err != nil {
		return err
	}
	if nodeFile != "" {
		if _, err := os.Stat(filepath.Join(root, nodeFile)); err != nil {
			return fmt.Errorf("create %s: %w in %s: %v", dir, ErrNoNodeFile, root, err)
		}
	}
	return os.MkdirAll(dir, perm)
}
