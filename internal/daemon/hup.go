package daemon

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// handleHangUp makes SIGHUP reopen the log file, as daemons do for
// logrotate, instead of killing the daemon. It returns the function that
// stops the handling.
func handleHangUp() (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	done := make(chan struct{})
	log := logging.FromContext(logging.ContextWithThread(context.Background(), logging.MainThread), logging.LoggerDaemonEntry)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sigs:
				// Logged after the reopening, so that the line starts the
				// new file.
				if err := logging.Reopen(); err != nil {
					log.Errorf("Caught SIGHUP: cannot reopen the log file: %v", err)
				} else {
					log.Info("Caught SIGHUP: log file reopened.")
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
