package bench

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	// 100,000 files take over four minutes an engine at today's rate,
	// too long for `make bench`: -small=10000,100000 measures them.
	smallSizes = flag.String("small", "10000,100000", "comma-separated numbers of small files to import (item 1)")
	workerList = flag.String("workers", "2,4", "comma-separated num_workers for the smallest import (item 1); larger imports use 2")
	traceSQL   = flag.Bool("sqltrace", false, "run imports and pulls with the statement-printing daemon and report statements per file (items 1, 4)")
)

func intList(b *testing.B, s string) []int {
	b.Helper()
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("bad number %q in %q", f, s)
		}
		out = append(out, n)
	}
	return out
}

const importedLine = "Imported file copy"

// BenchmarkImportSmall (items 1 and 7) writes small files in the seed's
// layout into a node, starts alpenhornd, asks for `alpenhorn node scan
// --register-new` and measures files per second from the request to the
// last copy registered, and the daemon's memory meanwhile.
func BenchmarkImportSmall(b *testing.B) {
	bins := build(b)
	sizes := intList(b, *smallSizes)
	for _, engine := range engines {
		for i, n := range sizes {
			workers := []int{2}
			if i == 0 {
				workers = intList(b, *workerList)
			}
			for _, nw := range workers {
				b.Run(fmt.Sprintf("%s/files=%d/workers=%d", engine, n, nw), func(b *testing.B) {
					importSmall(b, bins, engine, n, nw)
				})
			}
		}
	}
}

func importSmall(b *testing.B, bins binaries, engine string, n, workers int) {
	w := newWorld(b, bins, engine)
	root := filepath.Join(b.TempDir(), "storage")
	node := w.node("storage", "storage", nodeOpts{host: "alpenhost", root: root})
	writeSmallFiles(b, root, n)

	scanning := `Scanning "." on "storage" for new files.`
	d := w.startDaemon(daemonOpts{host: "alpenhost", workers: workers, traced: *traceSQL}, importedLine, scanning)
	d.waitPasses(2, time.Minute)
	before := d.statements()
	idle, err := readStatus(d.pid())
	if err != nil {
		b.Fatal(err)
	}
	rss := sampleRSS(d.pid())
	stopProfile := d.profile("import")
	start := time.Now()
	w.cli("node", "scan", "storage", "--register-new")
	// A bound on the wait, so that a stuck import ends the run: twenty times
	// slower than the target.
	end := d.waitSeen(importedLine, n, time.Minute+time.Duration(n)*10*time.Millisecond)
	stopProfile()
	peak := rss.end()
	scanAt := d.firstSeen(scanning)
	st, err := readStatus(d.pid())
	if err != nil {
		b.Fatal(err)
	}

	if got := w.count("SELECT COUNT(*) FROM archivefilecopy WHERE node_id = ? AND has_file = 'Y'", node); got != int64(n) {
		b.Fatalf("%d copies registered, want %d", got, n)
	}
	if got := w.count("SELECT COUNT(*) FROM archivefile"); got != int64(n) {
		b.Fatalf("%d files registered, want %d", got, n)
	}

	if *traceSQL {
		b.Logf("%.1f statements per file", float64(d.statements()-before)/float64(n))
	}
	elapsed := end.Sub(start)
	what := fmt.Sprintf("%d files, %s, %d workers", n, engine, workers)
	report(b, "1. small-file import", what, float64(n)/elapsed.Seconds(), "files/s", "≥ 2,000 files/s",
		map[string]string{"sqlite": "60 files/s", "mariadb": "54 files/s"}[engine])
	b.Logf("request picked up after %.2f s; import %.2f s from then", scanAt.Sub(start).Seconds(), end.Sub(scanAt).Seconds())
	if workers == 2 {
		report(b, "7. footprint", fmt.Sprintf("RSS idle (before the import), %s", engine), inMiB(idle.rss), "MiB", "≤ 25 MB", "35 MB")
		report(b, "7. footprint", fmt.Sprintf("RSS importing %d files, %s: largest VmRSS sampled (VmHWM)", n, engine),
			inMiB(peak), fmt.Sprintf("MiB (%.1f)", inMiB(st.hwm)), "≤ 25 MB", "50 MB")
	}
}
