package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
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

// On a terminal the ingest draws a progress bar; elsewhere (every other
// test) its output has none.
func TestIngestManifestProgressBar(t *testing.T) {
	url := testdb.SQLiteURL(t)
	s := ship(t, url, secondIndex(t, url))
	master, tty := openPTY(t)
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&screen, master) // ends with EIO once the terminal is closed
		close(done)
	}()
	code := Main([]string{"--test-isolation", "--conf", writeConfig(t, s.dst.url), "node", "ingest-manifest", "transport1", "--manifest", s.manifest},
		strings.NewReader(""), tty, tty)
	tty.Close()
	<-done
	out := screen.String()
	if code != 0 || !strings.Contains(out, "Ingesting manifest") || !strings.Contains(out, "(4/4") ||
		!strings.Contains(out, "Ingested 4/4 files, 0/4 already existed, 0 failed.\r\n") {
		t.Errorf("exit %d, terminal shows %q", code, out)
	}
}
