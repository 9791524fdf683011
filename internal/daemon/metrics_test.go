package daemon_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// value is the value of the series (name and labels exactly as exposed) in
// a scrape, or -1 when it is absent.
func value(scrape, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(scrape)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestMetrics: the series alerts rely on exist from the first scrape,
// mostly at zero, and follow the daemon's work: a good pull, an integrity
// failure, a corrupt copy found, a request left pending.
func TestMetrics(t *testing.T) {
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		w := daemontest.NewWorld(t, bin, url)
		b := w.StartBusy(daemontest.FreePort(t))
		l := func(s string) string { return strings.ReplaceAll(s, "'", `"`) }

		var first string
		w.WaitFor("exporter", func() bool { first = b.Scrape(); return first != "" }, b.Daemon)
		for _, s := range []string{
			l(`alpenhorn_data_index_up{daemon='alpha'}`),
			l(`alpenhorn_last_successful_pass_timestamp_seconds{daemon='alpha'}`),
			l(`alpenhorn_pass_duration_seconds_count{daemon='alpha'}`),
		} {
			if value(first, s) < 0 {
				t.Errorf("%s missing from the first scrape:\n%s", s, first)
			}
		}
		if !regexp.MustCompile(`alpenhorn_build_info\{daemon="alpha",goversion="go[^"]+",version="[^"]*"\} 1`).MatchString(first) {
			t.Errorf("no build info:\n%s", first)
		}

		// Once the nodes are up, their series exist, at zero.
		integrity := l(`alpenhorn_transfer_failures_total{daemon='alpha',node='archive2',reason='integrity'}`)
		w.WaitFor("node series", func() bool { return value(b.Scrape(), integrity) == 0 }, b.Daemon)
		b.SyncCorrupt()

		want := map[string]func(float64) bool{
			l(`alpenhorn_data_index_up{daemon='alpha'}`):                                                             eq(1),
			l(`alpenhorn_transfer_failures_total{daemon='alpha',node='archive2',reason='integrity'}`):                eq(1),
			l(`alpenhorn_transfer_failures_total{daemon='alpha',node='archive2',reason='timeout'}`):                  eq(0),
			l(`alpenhorn_verification_results_total{daemon='alpha',node='storage1',result='corrupt'}`):               atLeast(1),
			l(`alpenhorn_verification_results_total{daemon='alpha',node='storage1',result='missing'}`):               eq(0),
			l(`alpenhorn_node_copies{daemon='alpha',node='storage1',state='corrupt'}`):                               eq(1),
			l(`alpenhorn_node_copies{daemon='alpha',node='storage1',state='present'}`):                               eq(1),
			l(`alpenhorn_node_copies{daemon='alpha',node='archive2',state='present'}`):                               eq(1),
			l(`alpenhorn_node_used_bytes{daemon='alpha',node='archive2'}`):                                           eq(float64(len("good data\n"))),
			l(`alpenhorn_pending_requests{daemon='alpha',group='elsewhere'}`):                                        eq(1),
			l(`alpenhorn_pending_requests{daemon='alpha',group='archive2'}`):                                         eq(0),
			l(`alpenhorn_node_free_bytes{daemon='alpha',node='storage1'}`):                                           atLeast(1),
			l(`alpenhorn_last_successful_pass_timestamp_seconds{daemon='alpha'}`):                                    atLeast(1.7e9),
			l(`alpenhorn_pass_duration_seconds_count{daemon='alpha'}`):                                               atLeast(1),
			l(`alpenhorn_transfers_total{daemon='alpha',group_to='archive2',node_from='storage1',result='success'}`): eq(1),
		}
		var off string
		w.WaitFor("metrics after the work", func() bool {
			last := b.Scrape()
			was := off
			off = ""
			for _, s := range slices.Sorted(maps.Keys(want)) {
				if v := value(last, s); !want[s](v) {
					off += fmt.Sprintf("\n%s = %v", s, v)
				}
			}
			if off != was && off != "" {
				t.Logf("not yet:%s", off)
			}
			return off == ""
		}, b.Daemon)
	})
}

func eq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// TestScanSummary: a scan ends with one line counting what it saw.
func TestScanSummary(t *testing.T) {
	bin := daemontest.BuildDaemon(t)
	w := daemontest.NewWorld(t, bin, testdb.SQLiteURL(t))
	n := w.Node("storage1", w.Group("storage1"), daemontest.NodeSpec{Host: "alpha"})
	w.InitNode(n)
	w.File("2025/02/21", "23/1324.dat", "known\n", n)
	daemontest.WriteFile(t, n, "2025/02/21/23/1325.dat", "new\n")
	daemontest.WriteFile(t, n, "2025/02/21/meta.txt", "new\n")
	w.Request(n, "2025/02/21", true, false)
	d := w.StartDaemon("alpha", daemontest.Settings{Interval: 1, Level: "info"})
	line := `Scan of "2025/02/21" on "storage1" done: 3 files seen, 2 to import, 1 already registered skipped, in `
	w.WaitFor("the scan's summary", func() bool { return d.Logged(line) }, d)
}
