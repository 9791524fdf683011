// Package sdnotify tells systemd how a Type=notify service is doing: ready
// once it can do its work, alive while its watchdog runs, stopping when it
// begins to shut down. Outside systemd (no NOTIFY_SOCKET) it does nothing.
package sdnotify

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// Send writes state ("READY=1", "STATUS=...", ...) to systemd's
// notification socket. It reports false when there is no socket.
func Send(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' {
		// An abstract socket: Go spells its leading NUL as "@" too.
		path = "@" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// WatchdogInterval is how often systemd expects to hear from the service
// (WatchdogSec), or 0 when no watchdog is set for this process.
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond
}

// Ready says the service is ready with status as its status line, and
// keeps the watchdog fed at half its interval until ctx ends or the
// returned function is called; that function says the service is
// stopping. alive, when not nil, is asked before each feed: a false answer
// starves the watchdog, so that systemd restarts a service that is stuck.
func Ready(ctx context.Context, status string, alive func() bool) (stopping func()) {
	Send("READY=1\nSTATUS=" + status)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if every := WatchdogInterval() / 2; every > 0 {
		go func() {
			defer close(done)
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if alive == nil || alive() {
						Send("WATCHDOG=1")
					}
				}
			}
		}()
	} else {
		close(done)
	}
	return func() {
		cancel()
		<-done
		Send("STOPPING=1")
	}
}
