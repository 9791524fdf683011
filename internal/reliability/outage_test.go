package reliability

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// Outage scenario sizes: files written to each auto-importing node while
// the scenario runs, files imported by `file import` requests, and the
// outages.
const (
	outageFiles   = 60
	outageImports = 40
	outages       = 2
	outageDown    = 6 * time.Second
	outageSettle  = 3 * time.Minute
)

// noise are signs of a CLI error that is not one clear line: a Go panic or
// stack trace, a driver's own log lines, a Python-style traceback.
var noise = regexp.MustCompile(`goroutine \d|panic:|runtime\.|\.go:\d|\[mysql\]|Traceback`)

// TestDatabaseOutage: the MariaDB server is stopped twice and started
// again while two daemons (two hosts) import and pull and two CLI loops
// make import requests and read the data index. The daemons log each
// outage and its end, wait, and carry on: every request is served exactly
// once (one completion per import request, one copy request and one pull
// per file and destination, one registration per file) and the end state
// is whole. Every CLI run that met an outage either succeeded, or failed
// with exit status 1 and one "Error: …" line, without the password; runs
// outside the outages all succeeded. The password appears in no log.
func TestDatabaseOutage(t *testing.T) {
	rng := gate(t)
	bins := build(t)
	url := testdb.MariaDB(t)
	password := urlPassword(url)
	fig := newFigures(t)
	w := daemontest.NewWorld(t, bins.daemon, url)
	c := newCLI(t, bins.cli, url)

	gs1, gs0, ga2 := w.Group("storage1"), w.Group("storage0"), w.Group("archive2")
	gs3, ga4 := w.Group("storage3"), w.Group("archive4")
	s1 := w.Node("storage1", gs1, daemontest.NodeSpec{Host: "alpha", AutoImport: true})
	s0 := w.Node("storage0", gs0, daemontest.NodeSpec{Host: "alpha"})
	a2 := w.Node("archive2", ga2, daemontest.NodeSpec{Host: "alpha", Archive: true})
	s3 := w.Node("storage3", gs3, daemontest.NodeSpec{Host: "beta", AutoImport: true})
	a4 := w.Node("archive4", ga4, daemontest.NodeSpec{Host: "beta", Archive: true})
	for _, n := range []*db.StorageNode{s1, s0, a2, s3, a4} {
		w.InitNode(n)
	}
	w.Create(&db.StorageTransferAction{NodeFromID: s1.ID, GroupToID: ga2.ID, Autosync: true})
	w.Create(&db.StorageTransferAction{NodeFromID: s0.ID, GroupToID: ga2.ID, Autosync: true})
	w.Create(&db.StorageTransferAction{NodeFromID: s3.ID, GroupToID: ga4.ID, Autosync: true})

	// Files: written during the scenario on storage1 and storage3, and
	// already on storage0 for the `file import` loop.
	plan := func(month, n int) []planned {
		var out []planned
		for i := 0; i < n; i++ {
			acq := fmt.Sprintf("2025/%02d/%02d", month, 1+i/10)
			name := fmt.Sprintf("0%d/%02d%02d.dat", i%10, i/10, rng.IntN(60))
			data := make([]byte, 1024+rng.IntN(32*1024))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			out = append(out, planned{acq: acq, name: name, data: data, md5: daemontest.MD5Hex(string(data)), lockFile: rng.IntN(2) == 0})
		}
		return out
	}
	f1, f3, f0 := plan(1, outageFiles), plan(2, outageFiles), plan(3, outageImports)
	files := map[string]planned{}
	for _, set := range [][]planned{f1, f3, f0} {
		for _, f := range set {
			files[f.path()] = f
		}
	}
	for _, f := range f0 {
		if err := release(*s0.Root, f); err != nil {
			t.Fatal(err)
		}
	}

	alpha := w.Spawn("alpha", daemontest.Settings{Level: "info"}, nil)
	beta := w.Spawn("beta", daemontest.Settings{Level: "info"}, nil)
	t.Cleanup(func() { alpha.Stop(syscall.SIGTERM); beta.Stop(syscall.SIGTERM) })

	var mu sync.Mutex
	var runs []run
	var windows [][2]time.Time
	record := func(r run) {
		mu.Lock()
		defer mu.Unlock()
		runs = append(runs, r)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	// Writers: the acquisition systems of storage1 and storage3.
	for _, job := range []struct {
		n     *db.StorageNode
		files []planned
	}{{s1, f1}, {s3, f3}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range job.files {
				if err := release(*job.n.Root, f); err != nil {
					errs <- err
					return
				}
				time.Sleep(time.Duration(200+rng.IntN(300)) * time.Millisecond)
			}
		}()
	}
	// The import loop: `file import` for each storage0 file, repeated
	// after a failure until it succeeds, as a user would.
	requested := map[string]int{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, f := range f0 {
			for {
				r := c.run("file", "import", f.path(), "storage0", "--register-new")
				record(r)
				if r.code == 0 {
					requested[f.path()]++
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		}
	}()
	// The reader loop, until the others are done.
	readers := sync.WaitGroup{}
	readers.Add(1)
	go func() {
		defer readers.Done()
		reads := [][]string{{"node", "stats", "--extra-stats"}, {"acq", "list"}, {"group", "list"}, {"node", "list"}}
		for i := 0; ctx.Err() == nil; i++ {
			record(c.run(reads[i%len(reads)]...))
			time.Sleep(100 * time.Millisecond)
		}
	}()

	for i := 0; i < outages; i++ {
		// Longer than db.Retry's longest wait between attempts (db.LongestRetryWait),
		// so that each daemon sees the server back before the next
		// outage, however quickly it restarts.
		time.Sleep(time.Duration(7000+rng.IntN(3000)) * time.Millisecond)
		start := time.Now()
		testdb.Stop(t)
		time.Sleep(outageDown)
		testdb.Restart(t)
		mu.Lock()
		windows = append(windows, [2]time.Time{start, time.Now()})
		mu.Unlock()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	all := map[string]bool{}
	on := func(set []planned) map[string]bool {
		m := map[string]bool{}
		for _, f := range set {
			m[f.path()] = true
			all[f.path()] = true
		}
		return m
	}
	want := map[*db.StorageNode]map[string]bool{s1: on(f1), s0: on(f0), s3: on(f3), a4: on(f3)}
	want[a2] = map[string]bool{}
	for _, set := range [][]planned{f1, f0} {
		for _, f := range set {
			want[a2][f.path()] = true
		}
	}
	deadline := time.Now().Add(outageSettle)
	for !outageDone(w, len(all), a2, a4, len(want[a2]), len(want[a4])) {
		for _, d := range []*daemontest.Daemon{alpha, beta} {
			if d.Exited() {
				t.Fatalf("alpenhornd (%s) exited\n%s", d.Host, d.Log.String())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the work was not finished\nalpha:\n%s\nbeta:\n%s", alpha.Log.String(), beta.Log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The work may be done before the last outage ends: wait until each
	// daemon has reached the data index again (its next try comes within
	// db.LongestRetryWait) before stopping it.
	w.WaitFor("the daemons to see the data index back", func() bool {
		for _, d := range []*daemontest.Daemon{alpha, beta} {
			if d.CountLogged("Database available again after ") < d.CountLogged("Database unavailable: ") {
				return false
			}
		}
		return true
	}, alpha, beta)
	cancel()
	readers.Wait()
	alpha.Stop(syscall.SIGTERM)
	beta.Stop(syscall.SIGTERM)
	checkLogs(t, password, alpha, beta)

	// The daemons noticed each outage and its end, and kept no secret.
	for _, d := range []*daemontest.Daemon{alpha, beta} {
		log := d.Log.String()
		lost, back := strings.Count(log, "Database unavailable: "), strings.Count(log, "Database available again after ")
		if lost < outages || back != lost {
			t.Errorf("alpenhornd (%s) logged %d outages and %d recoveries; there were %d outages", d.Host, lost, back, outages)
		}
		fig.add("outages logged by the daemons", lost)
	}

	// CLI runs: clear errors only while the server was down.
	failed, overlapped := 0, 0
	messages := map[string]int{}
	for _, r := range runs {
		during := false
		for _, win := range windows {
			if r.start.Before(win[1]) && r.end.After(win[0]) {
				during = true
			}
		}
		if during {
			overlapped++
		}
		if strings.Contains(r.stdout+r.stderr, password) {
			t.Errorf("alpenhorn %s printed the password", strings.Join(r.args, " "))
		}
		if r.code == 0 {
			continue
		}
		failed++
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		switch {
		case !during:
			t.Errorf("alpenhorn %s failed outside the outages (%d): %s", strings.Join(r.args, " "), r.code, r.stderr)
		case r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || r.stdout != "" || noise.MatchString(r.stderr):
			t.Errorf("alpenhorn %s during an outage: exit %d\nstdout: %q\nstderr: %q", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
		}
		messages[regexp.MustCompile(`\d+`).ReplaceAllString(lines[0], "N")]++
	}
	fig.set("outages", outages)
	fig.set("CLI runs", len(runs))
	fig.set("CLI runs during an outage", overlapped)
	fig.set("CLI runs failed (exit 1, one Error line)", failed)
	for m, n := range messages {
		t.Logf("%d× %s", n, m)
	}

	// Exactly once.
	checkOnce(t, w, fig, files, []*daemontest.Daemon{alpha, beta})
	for path, n := range requested {
		if got := w.Count(&db.ArchiveFileImportRequest{}, "path = ?", path); int(got) != n {
			t.Errorf("%d import requests for %s, %d made", got, path, n)
		}
	}
	var reqs []db.ArchiveFileImportRequest
	if err := w.DB.Gorm.Find(&reqs).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if n := strings.Count(alpha.Log.String()+beta.Log.String(), fmt.Sprintf("Completed import request #%d.", r.ID)); !r.Completed || n != 1 {
			t.Errorf("import request #%d (%s): completed %v, completion logged %d times", r.ID, r.Path, r.Completed, n)
		}
	}
	fig.set("import requests", len(reqs))
	checkFinal(t, w, files, want)
}

// outageDone reports whether every file is registered and on its archive
// node, with no request pending.
func outageDone(w *daemontest.World, files int, a2, a4 *db.StorageNode, on2, on4 int) bool {
	return w.Count(&db.ArchiveFile{}, "1 = 1") == int64(files) &&
		w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", a2.ID) == int64(on2) &&
		w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", a4.ID) == int64(on4) &&
		w.Count(&db.ArchiveFileCopyRequest{}, "completed = ? AND cancelled = ?", false, false) == 0 &&
		w.Count(&db.ArchiveFileImportRequest{}, "completed = ?", false) == 0
}

// checkOnce checks that the daemons did each piece of work once: one
// registration per file, one copy request per file and destination group,
// completed, and one pull per file (each file has one destination).
func checkOnce(t *testing.T, w *daemontest.World, fig *figures, files map[string]planned, daemons []*daemontest.Daemon) {
	t.Helper()
	var logs strings.Builder
	for _, d := range daemons {
		logs.WriteString(d.Log.String())
	}
	log := logs.String()
	for path := range files {
		if n := strings.Count(log, fmt.Sprintf("File \"%s\" added to DB.", path)); n != 1 {
			t.Errorf("%s registered %d times", path, n)
		}
	}
	var reqs []struct {
		File  int64 `gorm:"column:file_id"`
		Group int64 `gorm:"column:group_to_id"`
		N     int   `gorm:"column:n"`
		Done  int   `gorm:"column:done"`
	}
	if err := w.DB.Gorm.Raw(`SELECT file_id, group_to_id, COUNT(*) AS n, SUM(CASE WHEN completed = 1 THEN 1 ELSE 0 END) AS done
 FROM archivefilecopyrequest GROUP BY file_id, group_to_id`).Scan(&reqs).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.N != 1 || r.Done != 1 {
			t.Errorf("file #%d into group #%d: %d copy requests, %d completed", r.File, r.Group, r.N, r.Done)
		}
	}
	fig.set("copy requests", len(reqs))
	pulls := map[string]int{}
	for _, m := range regexp.MustCompile(`Pull of (\S+) complete`).FindAllStringSubmatch(log, -1) {
		pulls[m[1]]++
	}
	for path, n := range pulls {
		if n != 1 {
			t.Errorf("%s pulled %d times", path, n)
		}
	}
	fig.set("pulls", len(pulls))
}

// urlPassword extracts the password of a database URL.
func urlPassword(url string) string {
	_, rest, _ := strings.Cut(url, "://")
	userinfo, _, _ := strings.Cut(rest, "@")
	_, password, _ := strings.Cut(userinfo, ":")
	return password
}
