package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// openPTY opens a pseudo-terminal pair, or skips the test without one.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlocking the pseudo-terminal: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("naming the pseudo-terminal: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	return master, tty
}

// onTerminal runs alpenhorn with args on the index at url, its stdout and
// stderr a terminal, and returns the exit status and all the terminal was
// sent.
func onTerminal(t *testing.T, url string, args ...string) (int, string) {
	t.Helper()
	master, tty := openPTY(t)
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&screen, master) // ends with EIO once the terminal is closed
		close(done)
	}()
	code := Main(append([]string{"--test-isolation", "--conf", writeConfig(t, url)}, args...), strings.NewReader(""), tty, tty)
	tty.Close()
	<-done
	return code, screen.String()
}

// toFile runs alpenhorn with args on the index at url, its stderr a
// regular file, as when a script redirects it.
func toFile(t *testing.T, url string, args ...string) result {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	code := Main(append([]string{"--test-isolation", "--conf", writeConfig(t, url)}, args...), strings.NewReader(""), &out, f)
	stderr, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), string(stderr), code}
}

// On a terminal the ingest draws a progress bar; elsewhere (every other
// test) its output has none.
func TestIngestManifestProgressBar(t *testing.T) {
	url := testdb.SQLiteURL(t)
	s := ship(t, url, secondIndex(t, url))
	code, out := onTerminal(t, s.dst.url, "node", "ingest-manifest", "transport1", "--manifest", s.manifest)
	if code != 0 || !strings.Contains(out, "Ingesting manifest") || !strings.Contains(out, "(4/4") ||
		!strings.Contains(out, "Ingested 4/4 files, 0/4 already existed, 0 failed.\r\n") {
		t.Errorf("exit %d, terminal shows %q", code, out)
	}
}

// The bulk commands draw a bar while they select files and while they
// add copy requests, on a terminal only: not with -q or --json, and not
// when stderr is a file, where the output is what the buffered tests see.
func TestBulkProgressBars(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		// bars are what the terminal must show; nil: no bar at all.
		bars []string
	}{
		{[]string{"node", "sync", "N1", "G2", "--force"}, 0, []string{"Selecting files", "Adding copy requests", "(2/2"}},
		{[]string{"group", "sync", "G2", "N1", "--check"}, ExitWorkToDo, []string{"Selecting files"}},
		{[]string{"node", "clean", "N1", "--check"}, ExitWorkToDo, []string{"Selecting files"}},
		{[]string{"node", "verify", "N1", "--all", "--check"}, ExitWorkToDo, []string{"Selecting files"}},
		{[]string{"-q", "node", "sync", "N1", "G2", "--force"}, 0, nil},
		{[]string{"--json", "node", "verify", "N1", "--all", "--check"}, ExitWorkToDo, nil},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			want := run(t, newBulkIndex(t, testdb.SQLiteURL(t)).url, "", c.args...)
			if got := toFile(t, newBulkIndex(t, testdb.SQLiteURL(t)).url, c.args...); got != want || got.code != c.code {
				t.Errorf("stderr a file: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q",
					got.code, got.stdout, got.stderr, c.code, want.stdout, want.stderr)
			}
			code, screen := onTerminal(t, newBulkIndex(t, testdb.SQLiteURL(t)).url, c.args...)
			if code != c.code || !strings.Contains(screen, strings.ReplaceAll(want.stdout, "\n", "\r\n")) {
				t.Errorf("on a terminal: exit %d, terminal shows %q; want exit %d and %q", code, screen, c.code, want.stdout)
			}
			for _, bar := range c.bars {
				if !strings.Contains(screen, bar) {
					t.Errorf("terminal shows no %q: %q", bar, screen)
				}
			}
			if c.bars == nil && strings.Contains(screen, "Selecting files") {
				t.Errorf("terminal shows a bar: %q", screen)
			}
		})
	}
}

// node manifest draws a bar while it records the manifest's entries, on
// a terminal only.
func TestNodeManifestProgressBar(t *testing.T) {
	args := []string{"node", "manifest", "transport1"}
	url := testdb.SQLiteURL(t)
	transportSource(t, url, filepath.Join(t.TempDir(), "transport"))
	if r := toFile(t, url, args...); r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "\nWrote manifest ") {
		t.Errorf("stderr a file: %+v", r)
	}
	url = testdb.SQLiteURL(t)
	transportSource(t, url, filepath.Join(t.TempDir(), "transport"))
	code, screen := onTerminal(t, url, args...)
	if code != 0 || !strings.Contains(screen, "Recording manifest") || !strings.Contains(screen, "(4/4") || !strings.Contains(screen, "Wrote manifest ") {
		t.Errorf("exit %d, terminal shows %q", code, screen)
	}
}
