package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// Crash scenario sizes. Each engine's run imports crashFiles files and
// pulls each twice (storage1 -> archive2 by rsync, archive2 -> archive3
// by hard link): 3 x 630 = 1,890 imports and pulls, and 630 deletions,
// while the daemon is killed crashKills times.
const (
	crashAcqs     = 30
	crashPerAcq   = 21 // meta.txt and 20 data files
	crashFiles    = crashAcqs * crashPerAcq
	crashKills    = 15
	crashSettle   = 5 * time.Minute
	pollInterval  = 200 * time.Millisecond
	largeFileRate = 0.1
)

// planned is a file the scenario writes: where, and exactly what.
type planned struct {
	acq, name string
	data      []byte
	md5       string
	// lockFile: written under a lock file (".name.lock") instead of a
	// temporary name renamed into place.
	lockFile bool
}

func (p planned) path() string { return p.acq + "/" + p.name }

// planFiles chooses the acquisitions, names, sizes and contents: mostly
// small files, some of a few MiB so that kills also land mid-transfer.
func planFiles(rng *rand.Rand) []planned {
	var out []planned
	for a := 0; a < crashAcqs; a++ {
		acq := fmt.Sprintf("2025/%02d/%02d", 1+a%12, 1+a%28)
		names := []string{"meta.txt"}
		hours := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23}
		for i := 0; len(names) < crashPerAcq; i++ {
			names = append(names, fmt.Sprintf("%02d/%02d%02d.dat", hours[i%len(hours)], i/len(hours), rng.IntN(60)))
		}
		for _, name := range names {
			size := 1024 + rng.IntN(63*1024)
			if rng.Float64() < largeFileRate {
				size = 1<<20 + rng.IntN(3<<20)
			}
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			out = append(out, planned{acq: acq, name: name, data: data, md5: daemontest.MD5Hex(string(data)), lockFile: rng.IntN(2) == 0})
		}
	}
	return out
}

// release writes a planned file into root the way an acquisition system
// does, so that auto-import never sees it half-written: under a
// temporary dot-name renamed into place, or under a lock file removed
// when done.
func release(root string, f planned) error {
	dst := filepath.Join(root, f.path())
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if f.lockFile {
		lock := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".lock")
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(dst, f.data, 0o644); err != nil {
			return err
		}
		return os.Remove(lock)
	}
	tmp := filepath.Join(filepath.Dir(dst), ".incoming-"+filepath.Base(dst))
	if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// TestCrash: a daemon imports files as they are written to a field node,
// copies each to two archive nodes (rsync, then a hard link) and deletes
// the field copy once both archive copies exist, all by auto-actions,
// while it is killed with SIGKILL at random moments and restarted. A
// poller checks throughout that no archive copy ever disappears, that the
// field copy disappears only while both archive copies exist, that no
// file ever sits under its final name with the wrong content, and that
// an archive copy the data index records as present is on disk. At the
// end every file must be on both archive nodes exactly once with the
// right size and MD5, the data index must say exactly that, and no
// temporary file or placeholder may remain.
func TestCrash(t *testing.T) {
	rng := gate(t)
	bins := build(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		crashScenario(t, rng, bins, url)
	})
}

func crashScenario(t *testing.T, rng *rand.Rand, bins binaries, url string) {
	fig := newFigures(t)
	w := daemontest.NewWorld(t, bins.daemon, url)
	g1, g2, g3 := w.Group("storage1"), w.Group("archive2"), w.Group("archive3")
	n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", AutoImport: true})
	n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
	n3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
	for _, n := range []*db.StorageNode{n1, n2, n3} {
		w.InitNode(n)
	}
	w.Create(&db.StorageTransferAction{NodeFromID: n1.ID, GroupToID: g2.ID, Autosync: true})
	w.Create(&db.StorageTransferAction{NodeFromID: n2.ID, GroupToID: g3.ID, Autosync: true})
	w.Create(&db.StorageTransferAction{NodeFromID: n1.ID, GroupToID: g3.ID, Autoclean: true})

	files := planFiles(rng)
	byPath := map[string]planned{}
	for _, f := range files {
		byPath[f.path()] = f
	}
	p := &crashPoller{
		w: w, field: n1, archives: []*db.StorageNode{n2, n3}, expect: byPath,
		released: map[string]bool{}, seenArchive: map[string]bool{}, h: newHasher(),
	}

	d := w.Spawn("alpha", daemontest.Settings{Level: "info"}, nil)
	t.Cleanup(func() { d.Stop(syscall.SIGTERM) })

	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); p.run(ctx) }()
	t.Cleanup(func() { cancel(); bg.Wait() })

	// The writer: one acquisition at a time, then a scan request for it
	// (as `alpenhorn node scan storage1 ACQ --register-new` makes), so
	// that imports come from the watcher, from the catch-up scan after
	// each restart and from requests, often for the same file at once.
	// It keeps pace with the kills, so that every kill finds work under
	// way: acquisition a waits for the share of the kills due by then.
	var kills atomic.Int64
	writerDone := make(chan error, 1)
	var scans []int64
	var scansMu sync.Mutex
	wrng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	go func() {
		defer close(writerDone)
		for a := 0; a < crashAcqs; a++ {
			for kills.Load() < int64(a*crashKills/crashAcqs) {
				time.Sleep(50 * time.Millisecond)
			}
			batch := files[a*crashPerAcq : (a+1)*crashPerAcq]
			for _, f := range batch {
				if err := release(*n1.Root, f); err != nil {
					writerDone <- err
					return
				}
				p.release(f.path())
			}
			now := db.Now()
			r := &db.ArchiveFileImportRequest{NodeID: n1.ID, Path: batch[0].acq, Recurse: true, Register: true, Timestamp: &now}
			if err := w.DB.Gorm.Create(r).Error; err != nil {
				writerDone <- err
				return
			}
			scansMu.Lock()
			scans = append(scans, r.ID)
			scansMu.Unlock()
			time.Sleep(time.Duration(200+wrng.IntN(600)) * time.Millisecond)
		}
	}()

	midTransfer, orphans := 0, 0
	for kills.Load() < crashKills {
		time.Sleep(time.Duration(300+rng.IntN(1700)) * time.Millisecond)
		if d.Exited() {
			t.Fatalf("alpenhornd exited by itself\n%s", d.Log.String())
		}
		pid := d.Cmd.Process.Pid
		if len(children(pid, "rsync")) > 0 {
			midTransfer++
		}
		d.Cmd.Process.Signal(syscall.SIGKILL)
		<-d.Done()
		kills.Add(1)
		// Transfer commands must not outlive their daemon: one that did
		// would write after the next daemon's tidy-up. The kernel kills
		// the command the daemon started; what that command started ends
		// when its pipes close.
		orphans += len(orphanTransfers(*n2.Root, *n3.Root))
		w.WaitFor("the killed daemon's transfer commands to end", func() bool {
			return len(orphanTransfers(*n2.Root, *n3.Root)) == 0
		})
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		d.Restart()
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	fig.set("kills (SIGKILL) survived", kills.Load())
	fig.set("kills while rsync was running", midTransfer)
	fig.set("transfer processes ending after their daemon was killed", orphans)

	done := func() bool { return crashQuiescent(t, w, n1, n2, n3) }

	deadline := time.Now().Add(crashSettle)
	for !done() {
		if d.Exited() || time.Now().After(deadline) {
			t.Fatalf("the work was not finished (daemon exited: %v):\n%s\nalpenhornd log:\n%s",
				d.Exited(), crashStuck(t, w, byPath, n1, n2, n3), d.Log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The last start's tidy-up has cleaned what the kills left.
	w.WaitFor("tidy-up after the last start", func() bool {
		last := d.Log.String()
		last = last[strings.LastIndex(last, "Alpenhorn start."):]
		for _, n := range []string{"storage1", "archive2", "archive3"} {
			if !strings.Contains(last, "Finished task: Tidy up "+n) {
				return false
			}
		}
		return true
	}, d)
	cancel()
	bg.Wait()
	d.Stop(syscall.SIGTERM)
	checkLogs(t, urlPassword(url), d)

	log := d.Log.String()
	fig.set("files", crashFiles)
	fig.set("imports (copies registered)", strings.Count(log, "Imported file copy"))
	fig.set("pulls completed", strings.Count(log, " complete. Transferred "))
	fig.set("pulls found on disk after a kill (pre-pull search)", strings.Count(log, "file already on disk in group"))
	fig.set("deletions", strings.Count(log, "Removed file copy"))
	fig.set("deletions refused (too few archive copies)", strings.Count(log, "Too few archive copies"))
	fig.set("stale temporary files removed by tidy-up", strings.Count(log, "Removing stale temporary file"))
	fig.set("stale placeholders removed by tidy-up", strings.Count(log, "Removing stale placeholder"))
	fig.set("snapshots checked", p.snapshots)
	fig.set("files hashed by the poller", p.h.reads)

	for _, v := range p.violations {
		t.Error(v)
	}
	fig.set("invariant violations", len(p.violations))
	scansMu.Lock()
	for _, id := range scans {
		if !w.ImportRequest(id).Completed {
			t.Errorf("scan request #%d not completed", id)
		}
	}
	scansMu.Unlock()
	all := map[string]bool{}
	for path := range byPath {
		all[path] = true
	}
	checkFinal(t, w, byPath, map[*db.StorageNode]map[string]bool{n1: nil, n2: all, n3: all})
	if t.Failed() {
		t.Logf("alpenhornd log:\n%s", log)
	}
}

// crashQuiescent reports whether the scenario's work is all done: every
// file registered, present on both archive nodes, gone from the field
// node, and no request pending.
func crashQuiescent(t *testing.T, w *daemontest.World, field, a2, a3 *db.StorageNode) bool {
	if w.Count(&db.ArchiveFile{}, "1 = 1") != crashFiles {
		return false
	}
	for _, n := range []*db.StorageNode{a2, a3} {
		if w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y' AND wants_file = 'Y'", n.ID) != crashFiles {
			return false
		}
	}
	return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'N'", field.ID) == crashFiles &&
		w.Count(&db.ArchiveFileCopyRequest{}, "completed = ? AND cancelled = ?", false, false) == 0 &&
		w.Count(&db.ArchiveFileImportRequest{}, "completed = ?", false) == 0
}

// crashStuck describes the files not yet in their final state, with
// their copies and copy requests.
func crashStuck(t *testing.T, w *daemontest.World, files map[string]planned, field, a2, a3 *db.StorageNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files registered; %d import requests pending\n", w.Count(&db.ArchiveFile{}, "1 = 1"),
		w.Count(&db.ArchiveFileImportRequest{}, "completed = ?", false))
	var rows []db.ArchiveFile
	if err := w.DB.Gorm.Preload("Acq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, f := range rows {
		h1, _ := w.CopyState(f.ID, field.ID)
		h2, w2 := w.CopyState(f.ID, a2.ID)
		h3, w3 := w.CopyState(f.ID, a3.ID)
		if h1 == db.HasNo && h2 == db.HasYes && w2 == db.WantYes && h3 == db.HasYes && w3 == db.WantYes {
			continue
		}
		fmt.Fprintf(&b, "%s/%s: storage1 %q, archive2 %q%q, archive3 %q%q", f.Acq.Name, f.Name, h1, h2, w2, h3, w3)
		var reqs []db.ArchiveFileCopyRequest
		if err := w.DB.Gorm.Where("file_id = ?", f.ID).Order("id").Find(&reqs).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			fmt.Fprintf(&b, "; AFCR#%d %d->group %d completed=%v cancelled=%v", r.ID, r.NodeFromID, r.GroupToID, r.Completed, r.Cancelled)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// crashPoller takes snapshots of the data index and the three node roots
// and checks the safety invariants on each.
type crashPoller struct {
	w        *daemontest.World
	field    *db.StorageNode
	archives []*db.StorageNode
	expect   map[string]planned
	h        *hasher

	mu       sync.Mutex
	released map[string]bool // fully written to the field node

	seenArchive map[string]bool // node name + "\x00" + path
	snapshots   int
	violations  []string
}

func (p *crashPoller) release(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.released[path] = true
}

func (p *crashPoller) run(ctx context.Context) {
	for ctx.Err() == nil {
		p.snapshot()
		select {
		case <-ctx.Done():
		case <-time.After(pollInterval):
		}
	}
}

func (p *crashPoller) violate(format string, args ...any) {
	if len(p.violations) < 50 {
		p.violations = append(p.violations, fmt.Sprintf("snapshot %d: ", p.snapshots)+fmt.Sprintf(format, args...))
	}
}

// snapshot reads, in this order, the archive copies the data index
// records present, the field node, then the archive nodes. The order
// makes the checks sound although nothing is read atomically: archive
// copies are never deleted in this scenario, so what the data index
// recorded, and what the field node lacked, is still on the archive
// nodes when they are walked.
func (p *crashPoller) snapshot() {
	p.snapshots++
	p.mu.Lock()
	released := make(map[string]bool, len(p.released))
	for k := range p.released {
		released[k] = true
	}
	p.mu.Unlock()

	type rec struct {
		Node string `gorm:"column:node"`
		Acq  string `gorm:"column:acq"`
		File string `gorm:"column:file"`
	}
	var recorded []rec
	err := p.w.DB.Gorm.Raw(`SELECT n.name AS node, a.name AS acq, f.name AS file FROM archivefilecopy c
 JOIN storagenode n ON n.id = c.node_id JOIN archivefile f ON f.id = c.file_id JOIN archiveacq a ON a.id = f.acq_id
 WHERE c.has_file = 'Y' AND n.storage_type = 'A'`).Scan(&recorded).Error
	if err != nil {
		p.violate("reading the data index: %v", err)
		return
	}

	field, err := walk(*p.field.Root, p.h)
	if err != nil {
		p.violate("walking %s: %v", p.field.Name, err)
		return
	}
	archive := map[string]tree{}
	for _, n := range p.archives {
		tr, err := walk(*n.Root, p.h)
		if err != nil {
			p.violate("walking %s: %v", n.Name, err)
			return
		}
		archive[n.Name] = tr
	}

	// Content under a final name is always whole and right.
	for path, e := range field.files {
		f, ok := p.expect[path]
		switch {
		case !ok:
			p.violate("unexpected file %s on %s", path, p.field.Name)
		case released[path] && (e.size != int64(len(f.data)) || e.md5 != f.md5):
			p.violate("%s on %s has size %d, MD5 %s; written %d, %s", path, p.field.Name, e.size, e.md5, len(f.data), f.md5)
		}
	}
	for name, tr := range archive {
		for path, e := range tr.files {
			f, ok := p.expect[path]
			switch {
			case !ok:
				p.violate("unexpected file %s on %s", path, name)
			case e.size != int64(len(f.data)) || e.md5 != f.md5:
				p.violate("%s on %s has size %d, MD5 %s; written %d, %s", path, name, e.size, e.md5, len(f.data), f.md5)
			}
			p.seenArchive[name+"\x00"+path] = true
		}
	}
	// Archive copies never go.
	for key := range p.seenArchive {
		name, path, _ := strings.Cut(key, "\x00")
		if _, ok := archive[name].files[path]; !ok {
			p.violate("archive copy %s on %s disappeared", path, name)
			delete(p.seenArchive, key)
		}
	}
	// A copy the data index records present on an archive node is there.
	for _, r := range recorded {
		path := r.Acq + "/" + r.File
		if _, ok := archive[r.Node].files[path]; !ok {
			p.violate("%s recorded present on %s but not on disk", path, r.Node)
		}
	}
	// The field copy goes only once both archive copies exist.
	for path := range released {
		if _, ok := field.files[path]; ok {
			continue
		}
		for name, tr := range archive {
			if _, ok := tr.files[path]; !ok {
				p.violate("%s deleted from %s while not on %s", path, p.field.Name, name)
			}
		}
	}
}

// checkFinal checks the end state: each node holds exactly the files
// want[node] names, with the content planned, and nothing else
// (no temporary file, placeholder or other dot-file), the data index
// records exactly those copies present and the rest absent, and every
// file is registered once with the size and MD5 that were written.
// Dot-files named in keep are not leftovers.
func checkFinal(t *testing.T, w *daemontest.World, files map[string]planned, want map[*db.StorageNode]map[string]bool, keep ...string) {
	t.Helper()
	type row struct {
		Acq  string  `gorm:"column:acq"`
		File string  `gorm:"column:file"`
		Size *int64  `gorm:"column:size_b"`
		MD5  *string `gorm:"column:md5sum"`
	}
	var rows []row
	if err := w.DB.Gorm.Raw(`SELECT a.name AS acq, f.name AS file, f.size_b, f.md5sum FROM archivefile f
 JOIN archiveacq a ON a.id = f.acq_id`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, r := range rows {
		path := r.Acq + "/" + r.File
		f, ok := files[path]
		switch {
		case !ok:
			t.Errorf("registered a file never written: %s", path)
		case registered[path]:
			t.Errorf("%s registered twice", path)
		case r.Size == nil || r.MD5 == nil || *r.Size != int64(len(f.data)) || *r.MD5 != f.md5:
			t.Errorf("%s registered with size %v, MD5 %v; written %d, %s", path, r.Size, r.MD5, len(f.data), f.md5)
		}
		registered[path] = true
	}
	if len(registered) != len(files) {
		t.Errorf("%d files registered, %d written", len(registered), len(files))
	}

	h := newHasher()
	for n, holds := range want {
		tr, err := walk(*n.Root, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range tr.leftovers {
			t.Errorf("left on %s: %s", n.Name, l)
		}
	dots:
		for _, l := range tr.dotFiles {
			for _, k := range keep {
				if filepath.Base(l) == k {
					continue dots
				}
			}
			t.Errorf("left on %s: %s", n.Name, l)
		}
		for path, e := range tr.files {
			f, ok := files[path]
			switch {
			case !ok || !holds[path]:
				t.Errorf("%s on %s, where it should not be", path, n.Name)
			case e.size != int64(len(f.data)) || e.md5 != f.md5:
				t.Errorf("%s on %s has size %d, MD5 %s; written %d, %s", path, n.Name, e.size, e.md5, len(f.data), f.md5)
			}
		}
		for path := range holds {
			if _, ok := tr.files[path]; !ok {
				t.Errorf("%s missing on %s", path, n.Name)
			}
		}

		var copies []struct {
			Acq  string     `gorm:"column:acq"`
			File string     `gorm:"column:file"`
			Has  db.HasFile `gorm:"column:has_file"`
		}
		if err := w.DB.Gorm.Raw(`SELECT a.name AS acq, f.name AS file, c.has_file FROM archivefilecopy c
 JOIN archivefile f ON f.id = c.file_id JOIN archiveacq a ON a.id = f.acq_id WHERE c.node_id = ?`, n.ID).Scan(&copies).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range copies {
			path := c.Acq + "/" + c.File
			_, onDisk := tr.files[path]
			switch {
			case c.Has == db.HasYes && !onDisk:
				t.Errorf("%s recorded present on %s but not on disk", path, n.Name)
			case c.Has == db.HasMaybe && !onDisk:
				// Only a deletion under way leaves a file gone that is
				// recorded in doubt, and none is under way at the end.
				t.Errorf("%s recorded in doubt on %s but not on disk", path, n.Name)
			case c.Has == db.HasNo && onDisk:
				t.Errorf("%s on disk on %s but recorded absent", path, n.Name)
			}
		}
		if len(copies) < len(holds) {
			t.Errorf("%d copy rows on %s, want %d", len(copies), n.Name, len(holds))
		}
	}
}

// children returns the pids of pid's child processes running comm.
func children(pid int, comm string) []int {
	var out []int
	for _, p := range processes() {
		if p.ppid == pid && p.comm == comm {
			out = append(out, p.pid)
		}
	}
	return out
}

// process is one line of the process table.
type process struct {
	pid, ppid int
	comm      string
}

// processes reads the process table from /proc.
func processes() []process {
	var out []process
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ..."; comm may hold spaces.
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		out = append(out, process{pid, ppid, s[open+1 : end]})
	}
	return out
}

// orphanTransfers returns the pids of processes whose command line names
// one of roots: transfer commands still running after their daemon died.
func orphanTransfers(roots ...string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for _, r := range roots {
			if strings.Contains(string(cmdline), r+"/") {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
