// Package scratch makes temporary directories that outlive a test but not
// the test binary: the binary removes them when its tests end, and if it
// is killed first (a test timeout, a crash), the next binary to make one
// of the same kind removes them instead.
package scratch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ownerFile holds the id of the process a directory belongs to.
const ownerFile = "owner"

// Dir creates a new directory in parent (the system's temporary directory
// if parent is ""), named prefix followed by a random string, and records
// this process as its owner. It first removes the directories of parent
// with that prefix whose owner has exited.
func Dir(parent, prefix string) (string, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	removeStale(parent, prefix)
	dir, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func removeStale(parent, prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, prefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil && errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone) {
			os.RemoveAll(dir)
		}
	}
}
