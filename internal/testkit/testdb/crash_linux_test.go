package testdb_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

const crashChildEnv = "ALPENHORN_TESTDB_CRASH_CHILD"

// TestCrashChild is the test binary TestCrashLeavesNoServer kills: it starts
// the server and waits to be killed.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("run as a child by TestCrashLeavesNoServer")
	}
	if err := connect(t, testdb.MariaDB(t)).Ping(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	time.Sleep(time.Hour)
}

// TestCrashLeavesNoServer kills a test binary that has a server running and
// checks that the server dies with it and that the next test binary removes
// the files it left.
func TestCrashLeavesNoServer(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: starts two more test binaries with servers of their own (`make test` runs it)")
	}
	testdb.MariaDB(t) // skips, or fails, like any MariaDB test
	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), crashChildEnv+"=1")
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		child.Process.Kill()
		child.Wait()
	})
	var out strings.Builder
	ready := false
	for sc := bufio.NewScanner(stdout); sc.Scan(); {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == "READY" {
			ready = true
			break
		}
	}
	if !ready {
		t.Fatalf("child did not start its server:\n%s%s", out.String(), stderr.String())
	}

	server, datadir := childServer(t, child.Process.Pid)
	child.Process.Kill()
	child.Wait()

	deadline := time.Now().Add(time.Minute)
	for alive(server) {
		if time.Now().After(deadline) {
			t.Fatalf("mariadbd (pid %d) still running after its test binary was killed", server)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Any test binary starting a server removes the files; with packages
	// tested side by side, another may already have.
	base := filepath.Dir(datadir)
	next := exec.Command(os.Args[0], "-test.run=^TestMariaDB$", "-test.count=1")
	next.Env = append(os.Environ(), crashChildEnv+"=")
	if b, err := next.CombinedOutput(); err != nil {
		t.Fatalf("next test binary failed: %v\n%s", err, b)
	}
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		t.Fatalf("%s left behind by the killed binary was not removed (err %v)", base, err)
	}
}

// childServer finds the server process started by the process parent and
// its data directory.
func childServer(t *testing.T, parent int) (pid int, datadir string) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || procField(p, "PPid") != strconv.Itoa(parent) {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(cmdline), "\x00") {
			if d, ok := strings.CutPrefix(arg, "--datadir="); ok {
				return p, d
			}
		}
	}
	t.Fatalf("no server process under pid %d", parent)
	return 0, ""
}

// alive reports whether pid runs; a zombie, dead but not yet reaped by
// init, does not count.
func alive(pid int) bool {
	state := procField(pid, "State")
	return state != "" && !strings.HasPrefix(state, "Z")
}

func procField(pid int, field string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
