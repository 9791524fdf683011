// Package bench measures alpenhorn as it is run: the real alpenhornd and
// alpenhorn binaries, on an SQLite file and on a MariaDB server started by
// internal/testkit/testdb, over real directories, rsync and sshd.
//
// Each scenario is a Go benchmark that runs once (the package sets
// -test.benchtime=1x unless told otherwise) and reports its figures with
// b.ReportMetric; `make bench` runs them all and collects a table of the
// figures next to their targets (see RESULTS.md). Nothing here runs in
// `make test`: go test runs no benchmark without -bench.
//
// Sizes can be lowered for a quick look, e.g.
//
//	go test -run='^$' -bench=Import ./bench/ -args -small=1000 -workers=2
package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) {
	flag.Parse()
	benchtimeGiven := false
	flag.Visit(func(f *flag.Flag) { benchtimeGiven = benchtimeGiven || f.Name == "test.benchtime" })
	if !benchtimeGiven {
		// A scenario sets up minutes of work; repeating it to fill a
		// second of benchmark time would measure nothing new.
		flag.Set("test.benchtime", "1x")
	}
	// The figures are those of a server on disk, as a real one is.
	testdb.MemoryDir = ""
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		if err := startResults(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	daemontest.Main(m)
}
