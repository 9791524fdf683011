package bench

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	loopCopies  = flag.Int("copies", 1000000, "file copies in the data index (item 5); half as many files, each on two nodes")
	loopPending = flag.Int("pending", 100000, "pending copy requests in the data index (item 5)")
)

// steadyPasses is how many passes after the first are timed.
const steadyPasses = 5

// BenchmarkUpdateLoop (item 5) times alpenhornd's update loop ("Main loop
// execution was …") over a data index of loopCopies copies and
// loopPending pending copy requests, put in with bulk SQL, and counts the
// statements of each pass with the daemon built to print them.
//
// Two cases:
//   - waiting: the requests are for files on an HSM node of another host
//     whose copies are on tape (not ready), so that every pass goes
//     through all of them and pulls none, pass after pass;
//   - dispatching: the requests are for files on a node of this host,
//     and the first pass queues a pull for each (the files are not on
//     disk: the pulls fail, which does not matter here).
func BenchmarkUpdateLoop(b *testing.B) {
	bins := build(b)
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			updateLoop(b, bins, engine)
		})
	}
}

func updateLoop(b *testing.B, bins binaries, engine string) {
	files, pending := *loopCopies/2, *loopPending
	w := newWorld(b, bins, engine)
	setup := time.Now()
	here, tape, dest, first, _ := w.tapeFiles(b, files)
	w.addRequests(tape, dest, first, first+int64(pending)-1)
	b.Logf("data index filled in %.1f s: %d copies, %d pending requests", time.Since(setup).Seconds(),
		w.count("SELECT COUNT(*) FROM archivefilecopy"), w.count("SELECT COUNT(*) FROM archivefilecopyrequest WHERE completed = 0 AND cancelled = 0"))
	what := func(s string) string {
		return fmt.Sprintf("%d copies, %d pending requests, %s, %s", 2*files, pending, engine, s)
	}

	// Waiting: time the passes, then count their statements.
	d := w.startDaemon(daemonOpts{host: "alpenhost", workers: 2})
	stop := d.profile("waiting")
	passes := d.waitPasses(1+steadyPasses, 10*time.Minute)
	stop()
	st, err := readStatus(d.pid())
	if err != nil {
		b.Fatal(err)
	}
	d.stop()
	firstPass, steady := passTimes(b, passes)
	report(b, "5. update loop", what("requests waiting for tape: first pass"), firstPass, "s", "≤ 1 s a pass", "153 s (first pass, 10k pending)")
	report(b, "5. update loop", what("requests waiting for tape: slowest later pass"), steady, "s", "≤ 1 s a pass", "")
	report(b, "7. footprint", what("RSS after the passes (VmHWM)"), inMiB(st.rss), fmt.Sprintf("MiB (%.1f)", inMiB(st.hwm)), "", "")
	traced := w.startDaemon(daemonOpts{host: "alpenhost", workers: 2, traced: true})
	passes = traced.waitPasses(3, 10*time.Minute)
	traced.stop()
	report(b, "5. update loop", what("requests waiting for tape: statements in a later pass"), float64(passes[2].queries), "statements", "", "")
	// Printed rather than logged: go test cuts a benchmark's log short.
	fmt.Printf("%s: statements of a later pass (milliseconds, rows, statement):\n    %s\n", b.Name(), strings.Join(passes[2].statements, "\n    "))

	// Dispatching: the same number of requests, from this host's node.
	w.exec("UPDATE archivefilecopyrequest SET cancelled = 1")
	w.addRequests(here, dest, first, first+int64(pending)-1)
	d = w.startDaemon(daemonOpts{host: "alpenhost", workers: 2})
	passes = d.waitPasses(1, 10*time.Minute)
	st, err = readStatus(d.pid())
	if err != nil {
		b.Fatal(err)
	}
	d.kill()
	firstPass, _ = passTimes(b, passes)
	report(b, "5. update loop", what("first pass, queueing a pull for each request"), firstPass, "s", "≤ 1 s a pass", "153 s (first pass, 10k pending)")
	report(b, "7. footprint", what("RSS after queueing the pulls (VmHWM)"), inMiB(st.rss), fmt.Sprintf("MiB (%.1f)", inMiB(st.hwm)), "", "")

	// The killed daemon's pulls marked some sources suspect: undo that, so
	// that the traced daemon finds what the first did.
	w.exec("UPDATE archivefilecopy SET has_file = 'Y' WHERE node_id = ?", here)
	traced = w.startDaemon(daemonOpts{host: "alpenhost", workers: 2, traced: true})
	passes = traced.waitPasses(1, 10*time.Minute)
	traced.kill()
	report(b, "5. update loop", what("statements in the first pass, queueing the pulls (with start-up)"), float64(passes[0].queries), "statements", "", "")
}

// passTimes returns the logged time of the first pass and the longest of
// those after it, in seconds.
func passTimes(b *testing.B, passes []pass) (first, slowest float64) {
	b.Helper()
	var later []float64
	for i, p := range passes {
		d, err := time.ParseDuration(p.logged)
		if err != nil {
			b.Fatalf("pass %d: logged %q: %v", i+1, p.logged, err)
		}
		if i == 0 {
			first = d.Seconds()
		} else {
			later = append(later, d.Seconds())
		}
	}
	if len(later) > 0 {
		slowest = slices.Max(later)
	}
	return first, slowest
}

// tapeFiles registers files small files, each with a copy on "here", a
// node of this host, and one on "tape", a LustreHSM node of another host
// that has them all released (not ready), and makes a group "dest" with a
// node of this host: requests from tape into dest wait for the tape, and
// make a pass read them without pulling anything. It returns the ids of
// here, tape, dest and the files.
func (w *world) tapeFiles(b *testing.B, files int) (here, tape, dest, first, last int64) {
	dir := b.TempDir()
	here = w.node("here", "here", nodeOpts{host: "alpenhost", root: filepath.Join(dir, "here")})
	tape = w.node("tape", "tape", nodeOpts{host: "tapehost", address: "tapehost", username: "alpenhorn"})
	// The CLI would insist on the HSM's settings, which a node of another
	// host never reads here.
	w.exec("UPDATE storagenode SET io_class = 'LustreHSM' WHERE id = ?", tape)
	w.node("dest", "dest", nodeOpts{host: "alpenhost", root: filepath.Join(dir, "dest")})
	dest = w.groupID("dest")
	first = w.registerFiles(files, smallData)
	last = first + int64(files) - 1
	w.addCopies(here, first, last)
	w.addCopiesReady(tape, first, last, false)
	return here, tape, dest, first, last
}
