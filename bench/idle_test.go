package bench

import (
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

var idleWindow = flag.Duration("idle", 60*time.Second, "how long idle daemons are watched (item 7)")

// idleInterval is daemon.update_interval for the idle daemons: the seed's
// demo setting.
const idleInterval = 10

// BenchmarkIdle (item 7) watches one idle alpenhornd per engine, side by
// side, each managing a node of a data index holding a small archive:
// the CPU time each uses over the window, from /proc/PID/stat, and its
// resident set at the end.
func BenchmarkIdle(b *testing.B) {
	bins := build(b)
	const files = 1000
	daemons := map[string]*daemon{}
	for _, engine := range engines {
		w := newWorld(b, bins, engine)
		root := filepath.Join(b.TempDir(), engine)
		node := w.node("storage", "storage", nodeOpts{host: "alpenhost", root: root})
		writeSmallFiles(b, root, files)
		first := w.registerFiles(files, smallData)
		w.addCopies(node, first, first+files-1)
		d := w.startDaemon(daemonOpts{host: "alpenhost", workers: 2, interval: idleInterval})
		d.waitPasses(3, time.Minute)
		daemons[engine] = d
	}
	// Start-up is over once every daemon has made three passes: the first
	// ones run the tasks a start queues (tidy-up, the first free-space
	// readings).
	cpu0 := map[string]time.Duration{}
	for engine, d := range daemons {
		t, err := cpuTime(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		cpu0[engine] = t
	}
	var stops []func()
	for _, engine := range engines {
		stops = append(stops, daemons[engine].profile("idle_"+engine))
	}
	start := time.Now()
	time.Sleep(*idleWindow)
	window := time.Since(start)
	for _, stop := range stops {
		stop()
	}
	for _, engine := range engines {
		d := daemons[engine]
		t, err := cpuTime(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		st, err := readStatus(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		passes := len(d.passList())
		what := fmt.Sprintf("%s, update_interval %d s, %d files, %.0f s", engine, idleInterval, files, window.Seconds())
		report(b, "7. footprint", "CPU idle, "+what, 100*(t-cpu0[engine]).Seconds()/window.Seconds(), "%", "< 0.1 %", "0.15 %")
		report(b, "7. footprint", "RSS idle (VmHWM), "+what, inMiB(st.rss), fmt.Sprintf("MiB (%.1f)", inMiB(st.hwm)), "≤ 25 MB", "35 MB")
		b.Logf("%s: %d passes", engine, passes)
	}
}
