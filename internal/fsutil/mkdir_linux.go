package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MkdirNode creates dir and any missing parents below root, as os.MkdirAll
// would, but only while root holds nodeFile ("" skips that check). Every
// step goes through a descriptor of root opened once, the node file being
// looked for through it too: a filesystem unmounted under the daemon
// leaves a bare mount point without the node file, which is refused, and
// one unmounted after the check takes the new directories with it, rather
// than letting them land in the filesystem below.
func MkdirNode(root, dir, nodeFile string, perm os.FileMode) error {
	rel, err := Rel(root, dir)
	if err != nil {
		return err
	}
	fd, err := syscall.Open(filepath.Clean(root), syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer func() { syscall.Close(fd) }()
	if nodeFile != "" {
		f, err := syscall.Openat(fd, nodeFile, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("create %s: %w in %s: %v", dir, ErrNoNodeFile, root, err)
		}
		syscall.Close(f)
	}
	if rel == "." {
		return nil
	}
	at := filepath.Clean(root)
	for _, c := range strings.Split(rel, "/") {
		at = filepath.Join(at, c)
		if err := syscall.Mkdirat(fd, c, uint32(perm.Perm())); err != nil && !errors.Is(err, syscall.EEXIST) {
			return &os.PathError{Op: "mkdir", Path: at, Err: err}
		}
		next, err := syscall.Openat(fd, c, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open", Path: at, Err: err}
		}
		syscall.Close(fd)
		fd = next
	}
	return nil
}
