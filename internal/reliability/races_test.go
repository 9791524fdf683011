package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// Races scenario sizes.
const (
	raceFiles     = 24 // churned by the CLI loops
	raceHot       = 6  // of which most requests target these
	raceProbes    = 16 // files on three archive nodes, two released at once
	raceCLIRuns   = 250
	raceSettle    = 3 * time.Minute
	raceMinCopies = 2 // deleting an archive copy needs two others
)

// keepFile sits in every directory of the archive nodes so that no
// directory is ever pruned: the watch on it then sees every change.
const keepFile = ".keep"

// TestRaces: three daemons (alpha; beta; gamma with two nodes) and two
// CLI loops issue overlapping sync, clean and verify requests on the same
// files, all on archive nodes, where a copy may be deleted only while two
// other archive copies exist. An inotify watch on every directory of the
// four nodes sees, in the kernel's order, every file that appears under
// its final name or goes; after each event the number of copies of each
// file on disk must be at least two. Probe files, on three nodes only,
// are released on gamma's two nodes at once: gamma's two workers then
// delete concurrently, and exactly one of the two may go. At the end the
// data index and the disks agree.
func TestRaces(t *testing.T) {
	rng := gate(t)
	bins := build(t)
	requireSSH(t)
	srv := sshtest.Start(t, "alphahost", "betahost", "gammahost")
	testdb.Engines(t, func(t *testing.T, url string) {
		racesScenario(t, rng, bins, srv, url)
	})
}

func racesScenario(t *testing.T, rng *rand.Rand, bins binaries, srv *sshtest.Server, url string) {
	fig := newFigures(t)
	w := daemontest.NewWorld(t, bins.daemon, url)
	spec := func(host string) daemontest.NodeSpec {
		return daemontest.NodeSpec{Host: host, Archive: true, Username: srv.User, Address: host + "host"}
	}
	gA, gB, gC, gD := w.Group("arcA"), w.Group("arcB"), w.Group("arcC"), w.Group("arcD")
	nodes := []*db.StorageNode{
		w.Node("arcA", gA, spec("alpha")),
		w.Node("arcB", gB, spec("beta")),
		w.Node("arcC", gC, spec("gamma")),
		w.Node("arcD", gD, spec("gamma")),
	}
	groups := []*db.StorageGroup{gA, gB, gC, gD}
	for _, n := range nodes {
		w.InitNode(n)
	}
	content := func() string {
		b := make([]byte, 1024+rng.IntN(48*1024))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	type entry struct {
		f    *db.ArchiveFile
		path string
	}
	var churn, probes []entry
	files := map[string]planned{}
	for i := 0; i < raceFiles+raceProbes; i++ {
		acq := fmt.Sprintf("2025/04/%02d", 1+i/6)
		name := fmt.Sprintf("0%d/%02d00.dat", i%6, i)
		data := content()
		on := nodes
		if i >= raceFiles {
			// A probe: on arcA, arcC and arcD.
			on = []*db.StorageNode{nodes[0], nodes[2], nodes[3]}
		}
		e := entry{f: w.File(acq, name, data, on...), path: acq + "/" + name}
		files[e.path] = planned{acq: acq, name: name, data: []byte(data), md5: daemontest.MD5Hex(data)}
		if i < raceFiles {
			churn = append(churn, e)
		} else {
			probes = append(probes, e)
		}
		for _, n := range nodes {
			dir := filepath.Dir(filepath.Join(*n.Root, e.path))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, keepFile), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	mon := newCopyMonitor(t, nodes, files)
	defer mon.close()

	env := transfer.SSHConfigEnv + "=" + srv.ConfigFile
	var daemons []*daemontest.Daemon
	for _, host := range []string{"alpha", "beta", "gamma"} {
		d := w.Spawn(host, daemontest.Settings{Level: "info"}, nil, env)
		t.Cleanup(func() { d.Stop(syscall.SIGTERM) })
		daemons = append(daemons, d)
	}

	c := newCLI(t, bins.cli, url)
	var mu sync.Mutex
	ops := map[string]int{}
	var bad []string
	do := func(op string, args ...string) {
		r := c.run(args...)
		mu.Lock()
		defer mu.Unlock()
		ops[op]++
		// Only a verify of a copy already removed may fail.
		if r.code != 0 && !(op == "verify" && r.code == 1 && r.stderr == "Error: File not present on node.\n") {
			bad = append(bad, fmt.Sprintf("alpenhorn %s: exit %d: %s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr))
		}
	}

	// The churn: two CLI loops, mostly on a few hot files.
	var wg sync.WaitGroup
	for loop := 0; loop < 2; loop++ {
		seed := rng.Uint64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, seed))
			// Where this loop released each file last: syncs mostly ask
			// for a copy back there, so that pulls race deletions.
			released := map[int]int{}
			for i := 0; i < raceCLIRuns; i++ {
				k := r.IntN(len(churn))
				if r.IntN(10) < 7 {
					k = r.IntN(raceHot)
				}
				e := churn[k]
				x := r.IntN(len(nodes))
				switch p := r.IntN(100); {
				case p < 35:
					released[k] = x
					do("clean", "file", "clean", e.path, "--node", nodes[x].Name, "--now", "--archive-ok")
				case p < 70:
					if last, ok := released[k]; ok && r.IntN(10) < 8 {
						x = last
					}
					y := r.IntN(len(nodes))
					do("sync", "file", "sync", e.path, "--from", nodes[y].Name, "--to", groups[x].Name)
				case p < 90:
					do("verify", "file", "verify", e.path, nodes[x].Name)
				default:
					do("cancel", "file", "clean", e.path, "--cancel")
				}
				time.Sleep(time.Duration(20+r.IntN(120)) * time.Millisecond)
			}
		}()
	}
	// The probes: each released on arcC and arcD by the two loops at
	// once.
	for _, e := range probes {
		var pw sync.WaitGroup
		for _, n := range nodes[2:] {
			pw.Add(1)
			go func() {
				defer pw.Done()
				do("probe clean", "file", "clean", e.path, "--node", n.Name, "--now", "--archive-ok")
			}()
		}
		pw.Wait()
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
	}
	wg.Wait()

	done := func() bool { return racesQuiescent(t, w) }
	deadline := time.Now().Add(raceSettle)
	for !done() {
		for _, d := range daemons {
			if d.Exited() {
				t.Fatalf("alpenhornd (%s) exited\n%s", d.Host, d.Log.String())
			}
		}
		if time.Now().After(deadline) {
			for _, d := range daemons {
				t.Logf("alpenhornd (%s) log:\n%s", d.Host, d.Log.String())
			}
			for _, v := range mon.violations {
				t.Error(v)
			}
			t.Fatalf("the requests were not all served:\n%s", racesStuck(t, w))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range daemons {
		d.Stop(syscall.SIGTERM)
	}
	checkLogs(t, urlPassword(url), daemons...)
	mon.close()

	mu.Lock()
	for _, b := range bad {
		t.Error(b)
	}
	for _, op := range sorted(ops) {
		fig.set("CLI "+op, ops[op])
	}
	mu.Unlock()
	for _, v := range mon.violations {
		t.Error(v)
	}
	var logs strings.Builder
	for _, d := range daemons {
		logs.WriteString(d.Log.String())
	}
	log := logs.String()
	fig.set("file events watched", mon.events)
	fig.set("fewest copies of a file seen on disk", mon.fewest)
	fig.set("deletions", strings.Count(log, "Removed file copy"))
	fig.set("deletions refused (too few archive copies)", strings.Count(log, "Too few archive copies"))
	fig.set("pulls", strings.Count(log, " complete. Transferred "))
	fig.set("checks", strings.Count(log, "is A-OK!"))
	fig.set("invariant violations", len(mon.violations))

	// Each probe lost exactly one of its two released copies.
	for _, e := range probes {
		left := 0
		for _, n := range nodes {
			if h, _ := w.CopyState(e.f.ID, n.ID); h == db.HasYes {
				left++
			}
		}
		if left != raceMinCopies {
			t.Errorf("probe %s: %d copies left, want %d", e.path, left, raceMinCopies)
		}
	}

	// The data index and the disks agree; every file kept two copies.
	want := map[*db.StorageNode]map[string]bool{}
	for _, n := range nodes {
		want[n] = map[string]bool{}
		var paths []string
		if err := w.DB.Gorm.Raw(`SELECT a.name || '/' || f.name FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
 JOIN archiveacq a ON a.id = f.acq_id WHERE c.node_id = ? AND c.has_file = 'Y'`, n.ID).Scan(&paths).Error; err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			want[n][p] = true
		}
	}
	for path := range files {
		held := 0
		for _, n := range nodes {
			if want[n][path] {
				held++
			}
		}
		if held < raceMinCopies {
			t.Errorf("%s recorded on %d nodes", path, held)
		}
	}
	checkFinal(t, w, files, want, keepFile)
	if t.Failed() {
		for _, d := range daemons {
			t.Logf("alpenhornd (%s) log:\n%s", d.Host, d.Log.String())
		}
	}
}

// racesQuiescent reports whether every request has been served: no copy
// request pending, no copy in doubt (a released copy that must be kept is
// checked too), and every released copy still present only because
// deleting it would leave fewer than two other archive copies (the daemon
// counts its own copy when present, and then wants three).
func racesQuiescent(t *testing.T, w *daemontest.World) bool {
	if w.Count(&db.ArchiveFileCopyRequest{}, "completed = ? AND cancelled = ?", false, false) > 0 ||
		w.Count(&db.ArchiveFileCopy{}, "has_file = 'M'") > 0 {
		return false
	}
	var deletable int64
	if err := w.DB.Gorm.Raw(`SELECT COUNT(*) FROM archivefilecopy c WHERE c.wants_file = 'N' AND c.has_file != 'N'
 AND (SELECT COUNT(*) FROM archivefilecopy o WHERE o.file_id = c.file_id AND o.has_file = 'Y') >= 3`).Scan(&deletable).Error; err != nil {
		t.Fatal(err)
	}
	return deletable == 0
}

// racesStuck describes what keeps racesQuiescent false.
func racesStuck(t *testing.T, w *daemontest.World) string {
	var rows []struct {
		What string `gorm:"column:what"`
		ID   int64  `gorm:"column:id"`
		File int64  `gorm:"column:file_id"`
		Info string `gorm:"column:info"`
	}
	err := w.DB.Gorm.Raw(`SELECT 'request' AS what, r.id, r.file_id,
 'from node ' || r.node_from_id || ' (' || COALESCE((SELECT s.has_file || s.wants_file FROM archivefilecopy s WHERE s.file_id = r.file_id AND s.node_id = r.node_from_id), '-') || ') to group ' || r.group_to_id AS info
 FROM archivefilecopyrequest r WHERE r.completed = 0 AND r.cancelled = 0
 UNION ALL SELECT 'copy', c.id, c.file_id, 'node ' || c.node_id || ' ' || c.has_file || c.wants_file
 FROM archivefilecopy c WHERE c.has_file = 'M' OR (c.wants_file = 'N' AND c.has_file != 'N'
 AND (SELECT COUNT(*) FROM archivefilecopy o WHERE o.file_id = c.file_id AND o.has_file = 'Y') >= 3)`).Scan(&rows).Error
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s #%d file #%d: %s\n", r.What, r.ID, r.File, r.Info)
	}
	return b.String()
}

// copyMonitor follows, through one inotify instance (so in the kernel's
// order), the files appearing under their final names and going in every
// directory of the nodes, and checks after each event that every file
// still has raceMinCopies copies.
type copyMonitor struct {
	t          *testing.T
	w          *fsnotify.Watcher
	roots      map[string]string // root -> node name
	present    map[string]map[string]bool
	events     int
	fewest     int
	violations []string
	done       chan struct{}
	once       sync.Once
}

func newCopyMonitor(t *testing.T, nodes []*db.StorageNode, files map[string]planned) *copyMonitor {
	t.Helper()
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	m := &copyMonitor{t: t, w: fw, roots: map[string]string{}, present: map[string]map[string]bool{}, fewest: len(nodes), done: make(chan struct{})}
	for _, n := range nodes {
		root := filepath.Clean(*n.Root)
		m.roots[root] = n.Name
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return fw.Add(p)
			}
			rel, _ := filepath.Rel(root, p)
			if _, ok := files[rel]; ok {
				m.mark(rel, n.Name, true)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for path := range files {
		if c := len(m.present[path]); c < m.fewest {
			m.fewest = c
		}
	}
	go m.run(files)
	return m
}

func (m *copyMonitor) mark(path, node string, on bool) {
	if m.present[path] == nil {
		m.present[path] = map[string]bool{}
	}
	if on {
		m.present[path][node] = true
	} else {
		delete(m.present[path], node)
	}
}

func (m *copyMonitor) run(files map[string]planned) {
	defer close(m.done)
	for {
		select {
		case ev, ok := <-m.w.Events:
			if !ok {
				return
			}
			m.handle(ev, files)
		case err, ok := <-m.w.Errors:
			if !ok {
				return
			}
			m.violations = append(m.violations, fmt.Sprintf("watch failed, the check is incomplete: %v", err))
		}
	}
}

func (m *copyMonitor) handle(ev fsnotify.Event, files map[string]planned) {
	for root, node := range m.roots {
		rel, err := filepath.Rel(root, ev.Name)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if _, ok := files[rel]; !ok {
			return
		}
		m.events++
		switch {
		case ev.Has(fsnotify.Create):
			m.mark(rel, node, true)
		case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
			m.mark(rel, node, false)
			c := len(m.present[rel])
			if c < m.fewest {
				m.fewest = c
			}
			if c < raceMinCopies && len(m.violations) < 50 {
				m.violations = append(m.violations, fmt.Sprintf("event %d: %s removed from %s, leaving %d copies", m.events, rel, node, c))
			}
		}
		return
	}
}

// close stops watching and waits for the events already queued.
func (m *copyMonitor) close() {
	m.once.Do(func() {
		m.w.Close()
		<-m.done
	})
}
