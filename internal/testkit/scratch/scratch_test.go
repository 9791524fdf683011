package scratch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestDirRemovesOnlyDeadOwners(t *testing.T) {
	t.Parallel()
	prefix := "alpenhorn-scratch-test-" + strconv.Itoa(os.Getpid()) + "-"
	// A process that has exited owns one directory, this one another.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	orphan, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(orphan) })
	if err := os.WriteFile(filepath.Join(orphan, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	mine, err := Dir("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(mine) })
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the dead process's directory is still there: %v", err)
	}

	other, err := Dir("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a live process's directory was removed: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, ownerFile)); string(b) != strconv.Itoa(os.Getpid()) {
		t.Errorf("owner recorded as %q", b)
	}
}
