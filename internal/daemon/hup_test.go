package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestHangUpReopensLog: after logrotate has moved the log file away,
// SIGHUP makes the daemon log to a new file at the configured path, and
// say so, instead of killing it.
func TestHangUpReopensLog(t *testing.T) {
	bin := daemontest.BuildDaemon(t)
	w := daemontest.NewWorld(t, bin, testdb.SQLiteURL(t))
	logPath := filepath.Join(t.TempDir(), "alpenhornd.log")
	d := w.StartDaemon("alpha", daemontest.Settings{Interval: 1, Level: "info\n  file:\n    name: " + logPath})
	read := func(path string) string {
		data, _ := os.ReadFile(path)
		return string(data)
	}
	w.WaitFor("the first pass in the log file", func() bool { return strings.Contains(read(logPath), "Main loop execution was") }, d)

	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	d.Cmd.Process.Signal(syscall.SIGHUP)
	const line = "Caught SIGHUP: log file reopened."
	w.WaitFor("a pass logged in the new file", func() bool {
		return strings.Contains(read(logPath), line) && strings.Contains(read(logPath), "Main loop execution was")
	}, d)
	if d.Exited() {
		t.Fatalf("the daemon exited after SIGHUP:\n%s", d.Log.String())
	}
	if n := strings.Count(read(logPath), line); n != 1 {
		t.Errorf("%q logged %d times", line, n)
	}
	if strings.Contains(read(rotated), line) {
		t.Errorf("%q written to the moved file", line)
	}
}
