package scheduler

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// HandleSignals makes SIGUSR1 add a worker and SIGUSR2 remove one, until ctx
// ends. The handlers are in place when it returns (until then the signals
// would kill the process); messages are logged in the thread ctx names.
func (p *Pool) HandleSignals(ctx context.Context) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	log := p.log.Entry(ctx, componentPool)
	go func() {
		defer signal.Stop(sigs)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR1 {
					log.Info("Caught SIGUSR1: incrementing workers.")
					p.AddWorker(ctx)
				} else {
					log.Info("Caught SIGUSR2: decrementing workers.")
					p.RemoveWorker(ctx)
				}
			}
		}
	}()
}
