package bench

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	queuePending = flag.String("queue-pending", "10000,1000000", "comma-separated numbers of pending copy requests whose footprint is measured (item 7)")
	queueEngines = flag.String("queue-engines", "sqlite", "comma-separated engines for the pending-requests footprint")
)

// queuePasses is how many passes the daemon makes before its memory is
// read.
const queuePasses = 3

// BenchmarkPendingFootprint (item 7) reads alpenhornd's memory (VmHWM and
// VmRSS in /proc/PID/status) after a few passes over each number of
// pending copy requests of -queue-pending, put in with bulk SQL, into a
// group whose node is on this host. The daemon reads the requests a page
// at a time and queues a bounded number of pulls a pass, so the figures
// should hardly grow with the number of requests.
//
// Two cases, each with a fresh daemon:
//   - waiting: the requests are for files on an HSM node of another host
//     whose copies are on tape (not ready), so that every pass reads all
//     of them and pulls none;
//   - dispatching: the requests are for files on a node of this host, and
//     the first pass queues as many pulls as one pass may (the files are
//     not on disk: the pulls fail, which does not matter here).
func BenchmarkPendingFootprint(b *testing.B) {
	bins := build(b)
	for _, engine := range strings.Split(*queueEngines, ",") {
		for _, n := range intList(b, *queuePending) {
			b.Run(fmt.Sprintf("%s/%d", engine, n), func(b *testing.B) {
				pendingFootprint(b, bins, engine, n)
			})
		}
	}
}

func pendingFootprint(b *testing.B, bins binaries, engine string, pending int) {
	w := newWorld(b, bins, engine)
	setup := time.Now()
	here, tape, dest, first, last := w.tapeFiles(b, pending)
	w.addRequests(tape, dest, first, last)
	b.Logf("data index filled in %.1f s: %d pending requests", time.Since(setup).Seconds(),
		w.count("SELECT COUNT(*) FROM archivefilecopyrequest WHERE completed = 0 AND cancelled = 0"))

	measure := func(what string) {
		d := w.startDaemon(daemonOpts{host: "alpenhost", workers: 2})
		passes := d.waitPasses(queuePasses, 30*time.Minute)
		st, err := readStatus(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		d.kill()
		firstPass, slowest := passTimes(b, passes)
		label := fmt.Sprintf("%d pending requests, %s, %s, after %d passes", pending, engine, what, queuePasses)
		report(b, "7. footprint", label+": RSS (VmRSS)", inMiB(st.rss), "MiB", "", "")
		report(b, "7. footprint", label+": largest RSS (VmHWM)", inMiB(st.hwm), "MiB", "", "")
		report(b, "5. update loop", label+": first pass", firstPass, "s", "", "")
		report(b, "5. update loop", label+": slowest later pass", slowest, "s", "", "")
	}
	measure("requests waiting for tape")
	w.exec("UPDATE archivefilecopyrequest SET cancelled = 1")
	w.addRequests(here, dest, first, last)
	measure("pulls from this host")
}
