package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestWaitLimit: a command gives up on a data index that stays
// unreachable (all its hosts) within database.wait_limit, with one line,
// without the password.
func TestWaitLimit(t *testing.T) {
	conf := waitConfig(t, "mysql://alp:s3cret@127.0.0.1:1,127.0.0.1:2/x", 1)
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main([]string{"--test-isolation", "--conf", conf, "group", "list"}, strings.NewReader(""), &out, &errb)
	took := time.Since(start)
	lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || strings.Contains(errb.String(), "s3cret") {
		t.Fatalf("exit %d, stderr %q: want status 1 and one error line", code, errb.String())
	}
	if took > 10*time.Second {
		t.Fatalf("gave up after %v, want about a second", took)
	}
	t.Logf("gave up after %v: %s", took.Round(time.Millisecond), lines[0])
}

// TestWaitForLock: a command that must write an SQLite data index whose
// write lock another process holds says, once, that it waits, and gives
// up with one line at database.wait_limit; Ctrl-C ends the wait at once.
func TestWaitForLock(t *testing.T) {
	bin := daemontest.Build(t, "./cmd/alpenhorn", false)
	url := testdb.SQLiteURL(t)
	initIndex(t, url)
	holdWriteLock(t, url)

	p := startCLI(t, bin, waitConfig(t, url, 2), "group", "create", "g")
	code, lines := p.exit(t, 2*time.Second+cliBound)
	waiting := "Waiting for the data index at " + url + ": database is locked"
	if code != 1 || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], waiting) || !strings.HasSuffix(lines[0], ". Giving up after 2 s (database.wait_limit).") ||
		!strings.HasPrefix(lines[1], "Error: Gave up waiting for the data index after 2 s: database is locked") {
		t.Fatalf("exit %d, stderr %q: want status 1, the line saying it waits, and the one saying it gave up", code, lines)
	}

	p = startCLI(t, bin, waitConfig(t, url, 600), "group", "create", "g")
	if line := p.next(t, cliBound); !strings.HasPrefix(line, waiting) {
		t.Fatalf("first line %q, want one saying it waits", line)
	}
	p.interrupt(t)
	if code, lines := p.exit(t, interruptBound); code == 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "Error: ") {
		t.Fatalf("after Ctrl-C: exit %d, stderr %q: want a failure with one error line", code, lines)
	}
}

// holdWriteLock takes the write lock of the SQLite data index at url, as
// a writer in another process would, until the test ends.
func holdWriteLock(t *testing.T, url string) {
	t.Helper()
	pool, err := testdb.Open(t, url).Gorm.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
	})
}

// cliBound bounds a run of alpenhorn that waits for a data index; only a
// command hung for good reaches it. interruptBound bounds its end after
// Ctrl-C, well below the waits the tests configure.
const (
	cliBound       = 2 * time.Minute
	interruptBound = 30 * time.Second
)

// waitConfig writes a configuration naming the data index at url, with a
// wait limit of limit seconds.
func waitConfig(t *testing.T, url string, limit int) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "alpenhorn.conf")
	text := fmt.Sprintf("database:\n  url: %s\n  wait_limit: %d\n", url, limit)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// cliProc is a running alpenhorn program.
type cliProc struct {
	cmd *exec.Cmd
	// lines are what it writes to stderr, closed at its end; seen holds
	// those read so far.
	lines chan string
	seen  []string
}

// startCLI runs the alpenhorn program bin with the configuration conf and
// args; it is killed when the test ends, if still running.
func startCLI(t *testing.T, bin, conf string, args ...string) *cliProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--test-isolation", "--conf", conf}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &cliProc{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		defer close(p.lines)
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// next returns the next line the program writes to stderr, failing the
// test unless one comes within limit.
func (p *cliProc) next(t *testing.T, limit time.Duration) string {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			t.Fatalf("alpenhorn ended; stderr %q", p.seen)
		}
		p.seen = append(p.seen, line)
		return line
	case <-time.After(limit):
		t.Fatalf("alpenhorn wrote nothing more within %v; stderr %q", limit, p.seen)
	}
	return ""
}

// interrupt sends the program SIGINT, as Ctrl-C does.
func (p *cliProc) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
}

// exit waits for the program's end, failing the test unless it comes
// within limit, and returns its exit status and every line of its stderr.
func (p *cliProc) exit(t *testing.T, limit time.Duration) (int, []string) {
	t.Helper()
	deadline := time.After(limit)
	for done := false; !done; {
		select {
		case line, ok := <-p.lines:
			if done = !ok; ok {
				p.seen = append(p.seen, line)
			}
		case <-deadline:
			t.Fatalf("alpenhorn still running after %v; stderr %q", limit, p.seen)
		}
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode(), p.seen
}
