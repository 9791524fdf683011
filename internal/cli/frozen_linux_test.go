package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestFrozenServer: a command on a MariaDB server that is stopped
// (SIGSTOP: it accepts connections, the kernel does, but never answers)
// gives up with one line, within bounds of its own; Ctrl-C ends the wait
// at once. The test binary's server is frozen: no other test runs
// meanwhile, as none of this package's runs in parallel.
func TestFrozenServer(t *testing.T) {
	bin := daemontest.Build(t, "./cmd/alpenhorn", false)
	url := testdb.MariaDB(t)
	initIndex(t, url)
	freeze(t, url)

	p := startCLI(t, bin, waitConfig(t, url, 2), "node", "list")
	code, lines := p.exit(t, 2*time.Second+cliBound)
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || !strings.Contains(lines[0], "did not answer within 10 s") {
		t.Fatalf("exit %d, stderr %q: want status 1 and one line saying the server did not answer", code, lines)
	}
	t.Log(lines[0])

	// Without Ctrl-C, this one would wait ten minutes for an answer.
	p = startCLI(t, bin, waitConfig(t, url+"?connect_timeout=600", 600), "node", "list")
	awaitSocket(t, p.cmd.Process.Pid)
	p.interrupt(t)
	if code, lines := p.exit(t, interruptBound); code == 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Fatalf("after Ctrl-C: exit %d, stderr %q: want a failure with one error line", code, lines)
	}
}

// freeze stops the MariaDB server of url with SIGSTOP until the test
// ends, whether it passes or not.
func freeze(t *testing.T, url string) {
	t.Helper()
	var file string
	if err := testdb.Open(t, url).Gorm.Raw("SELECT @@pid_file").Scan(&file).Error; err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", file, err)
	}
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if name := strings.TrimSpace(string(comm)); err != nil || name != "mariadbd" && name != "mysqld" {
		t.Fatalf("process %d of pid file %s is not the server: %q, %v", pid, file, comm, err)
	}
	t.Cleanup(func() {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Errorf("resume the MariaDB server: %v", err)
		}
	})
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// awaitSocket returns once process pid has opened a socket: alpenhorn
// then waits on the server, with its signal handling in place.
func awaitSocket(t *testing.T, pid int) {
	t.Helper()
	fds := "/proc/" + strconv.Itoa(pid) + "/fd"
	for deadline := time.Now().Add(cliBound); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(fds)
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
				return
			}
		}
	}
	t.Fatalf("alpenhorn (pid %d) opened no socket within %v", pid, cliBound)
}
