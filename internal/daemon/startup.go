package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/sdnotify"
	"github.com/radiocosmology/alpenhorn-go/internal/version"
)

// startupSummary is the one line that says what this daemon is: which
// build, as which host, against which data index, with how many workers,
// serving metrics where. It opens every run's log, so that a log read
// later tells what produced it.
func startupSummary(cfgFile *config.Config, cfg config.Daemon) string {
	index := "a database extension"
	if url, err := cfgFile.DatabaseURL(); err == nil && url != "" {
		index = config.RedactURL(url)
	}
	metrics := "no metrics"
	if cfg.PromClientPort > 0 {
		metrics = fmt.Sprintf("metrics on port %d", cfg.PromClientPort)
	}
	return fmt.Sprintf("alpenhornd %s on host %s: data index %s, %d workers, %s.", version.Version, cfg.Hostname, index, cfg.NumWorkers, metrics)
}

func logStartup(log *logrus.Entry, cfgFile *config.Config, cfg config.Daemon) {
	log.Info(startupSummary(cfgFile, cfg))
}

// stallLimit is how long a main-loop pass may go unfinished before the
// daemon counts as stuck and stops feeding systemd's watchdog, which then
// restarts it. Passes wait out database outages and serial I/O, so the
// limit is far above any pass seen working.
func stallLimit(cfg config.Daemon) time.Duration {
	return 2*time.Hour + time.Duration(cfg.UpdateInterval+cfg.SerialIOTimeout)*time.Second
}

// notifyReady tells systemd (Type=notify) that the daemon is up, and feeds
// its watchdog while main-loop passes keep finishing. The returned function
// says the daemon is stopping.
func notifyReady(ctx context.Context, d *Daemon) func() {
	var mu sync.Mutex
	lastCount, lastChange := -1.0, time.Now()
	alive := func() bool {
		var m dto.Metric
		if d.metrics.MainLoops.Write(&m) != nil {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		if n := m.GetCounter().GetValue(); n != lastCount {
			lastCount, lastChange = n, time.Now()
		}
		return time.Since(lastChange) < stallLimit(d.cfg)
	}
	return sdnotify.Ready(ctx, fmt.Sprintf("host %s, %d workers", d.cfg.Hostname, d.cfg.NumWorkers), alive)
}
