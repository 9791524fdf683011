package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestReadyWatchdogStopping(t *testing.T) {
	conn := listen(t)
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	stop := Ready(context.Background(), "managing 2 nodes", nil)
	if got := receive(t, conn); got != "READY=1\nSTATUS=managing 2 nodes" {
		t.Errorf("first message %q", got)
	}
	if got := receive(t, conn); got != "WATCHDOG=1" {
		t.Errorf("second message %q", got)
	}
	stop()
	for {
		got := receive(t, conn)
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("unexpected message %q", got)
		}
	}
}

func TestStuckStarvesWatchdog(t *testing.T) {
	conn := listen(t)
	t.Setenv("WATCHDOG_USEC", "50000")
	t.Setenv("WATCHDOG_PID", "")
	stop := Ready(context.Background(), "x", func() bool { return false })
	receive(t, conn)
	time.Sleep(150 * time.Millisecond)
	stop()
	if got := receive(t, conn); got != "STOPPING=1" {
		t.Errorf("a stuck service fed the watchdog: %q", got)
	}
}

func TestOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Send("READY=1"); sent || err != nil {
		t.Errorf("Send without a socket: %v %v", sent, err)
	}
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", "1")
	if WatchdogInterval() != 0 {
		t.Errorf("a watchdog meant for another process applies")
	}
}
