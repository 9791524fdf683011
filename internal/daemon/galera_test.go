package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestGaleraConcurrentClean: three archive nodes on three hosts hold the
// same files, and all three are cleaned at the same moment (as `node
// clean --now` of each), their daemons connected to three different
// nodes of a Galera cluster. An archive copy may go only while two others
// remain: of each file exactly one copy is deleted, and the other two stay
// on disk and in the data index.
func TestGaleraConcurrentClean(t *testing.T) {
	const files = 1000
	bin := daemontest.BuildDaemon(t)
	g := testdb.Galera(t)
	w := daemontest.NewWorld(t, bin, g.URL())
	var nodes []*db.StorageNode
	for i := range 3 {
		name := fmt.Sprintf("archive%d", i+1)
		n := w.Node(name, w.Group(name), daemontest.NodeSpec{Host: fmt.Sprintf("h%d", i+1), Archive: true})
		w.InitNode(n)
		nodes = append(nodes, n)
	}
	// The files, on disk and registered, their copies released (as by
	// `node clean --now`), in a few multi-row inserts.
	acq := &db.ArchiveAcq{Name: "2025/02/21"}
	w.Create(acq)
	paths := make([]string, files)
	rows := make([]db.ArchiveFile, files)
	for i := range files {
		name := fmt.Sprintf("%02d/%04d.dat", i/100, i)
		paths[i] = acq.Name + "/" + name
		data := fmt.Sprintf("file %d\n", i)
		size, sum := int64(len(data)), daemontest.MD5Hex(data)
		rows[i] = db.ArchiveFile{AcqID: acq.ID, Name: name, SizeB: &size, MD5Sum: &sum, Registered: db.Now()}
		for _, n := range nodes {
			daemontest.WriteFile(t, n, paths[i], data)
		}
	}
	if err := w.DB.Gorm.Omit("Acq").CreateInBatches(rows, 500).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		w.Exec(`INSERT INTO archivefilecopy (file_id, node_id, has_file, wants_file, ready, size_b, last_update)
 SELECT id, ?, 'Y', 'N', 1, size_b, ? FROM archivefile`, n.ID, db.Now())
	}

	// Each daemon's URL names its own database node first.
	var daemons []*daemontest.Daemon
	for i := range 3 {
		w.URL = g.URL(i, (i+1)%3, (i+2)%3)
		daemons = append(daemons, w.StartDaemon(fmt.Sprintf("h%d", i+1), daemontest.Settings{Level: "info", Interval: 1}))
	}
	start := time.Now()
	deleted := func() int64 { return w.Count(&db.ArchiveFileCopy{}, "has_file = 'N'") }
	w.WaitForWithin("one deletion per file", 5*time.Minute, func() bool { return deleted() >= files }, daemons...)
	t.Logf("%d deletions decided in %v", files, time.Since(start))
	// A few more passes: any deletion beyond the rule would happen now.
	time.Sleep(4 * time.Second)
	if n := deleted(); n != files {
		t.Errorf("%d copies deleted, want %d (one per file)", n, files)
	}
	var below int64
	w.Update(func(gd *gorm.DB) error {
		return gd.Raw(`SELECT COUNT(*) FROM (SELECT file_id FROM archivefilecopy GROUP BY file_id
 HAVING SUM(has_file = 'Y') < 2) AS b`).Scan(&below).Error
	})
	if below != 0 {
		t.Errorf("%d files of %d left with fewer than 2 archive copies in the data index", below, files)
	}
	onDisk := 0
	for _, p := range paths {
		held := 0
		for _, n := range nodes {
			if _, err := os.Stat(filepath.Join(*n.Root, p)); err == nil {
				held++
			}
		}
		if held < 2 {
			onDisk++
		}
	}
	if onDisk != 0 {
		t.Errorf("%d files of %d left on fewer than 2 archive nodes", onDisk, files)
	}
}

// TestGaleraFailoverUnderLoad: two daemons (hosts alpha and beta) import
// files as they are written to their field nodes and pull them on to
// their archive nodes (autosync), both connected to database node 0 of a
// Galera cluster, with URLs naming the three nodes. Node 0 is killed
// (SIGKILL) half-way: both daemons move to another node, say so once, and
// finish the work: every file registered once, one copy request per file,
// completed by one pull, every copy present, none left in doubt ('M').
// Node 0 then rejoins and holds the same data index.
func TestGaleraFailoverUnderLoad(t *testing.T) {
	const perNode = 40
	bin := daemontest.BuildDaemon(t)
	g := testdb.Galera(t)
	w := daemontest.NewWorld(t, bin, g.URL())
	type pair struct{ field, archive *db.StorageNode }
	var pairs []pair
	for i, host := range []string{"alpha", "beta"} {
		f := w.Node(fmt.Sprintf("storage%d", i+1), w.Group(fmt.Sprintf("storage%d", i+1)), daemontest.NodeSpec{Host: host, AutoImport: true})
		ga := w.Group(fmt.Sprintf("archive%d", i+1))
		a := w.Node(fmt.Sprintf("archive%d", i+1), ga, daemontest.NodeSpec{Host: host, Archive: true})
		w.InitNode(f)
		w.InitNode(a)
		w.Create(&db.StorageTransferAction{NodeFromID: f.ID, GroupToID: ga.ID, Autosync: true})
		pairs = append(pairs, pair{f, a})
	}
	alpha := w.StartDaemon("alpha", daemontest.Settings{Level: "info", Interval: 1})
	w.URL = g.URL(0, 2, 1)
	beta := w.StartDaemon("beta", daemontest.Settings{Level: "info", Interval: 1})
	daemons := []*daemontest.Daemon{alpha, beta}

	// Each field node has acquisitions of its own (month 1, month 2).
	write := func(k int, p pair, i int) {
		rel := fmt.Sprintf("2025/%02d/%02d/%02d/%04d.dat", k+1, 1+i/20, i%10, i)
		dst := filepath.Join(*p.field.Root, rel)
		tmp := filepath.Join(filepath.Dir(dst), ".incoming-"+filepath.Base(dst))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%s %d\n", p.field.Name, i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			t.Fatal(err)
		}
	}
	var killed time.Time
	for i := range perNode {
		for k, p := range pairs {
			write(k, p, i)
		}
		if i == perNode/2 {
			g.Kill(t, 0)
			killed = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := int64(2 * perNode)
	w.URL = g.URL(1, 2)
	check := testdb.Open(t, g.URL(1, 2))
	count := func(table, where string) int64 {
		var n int64
		if err := check.Gorm.Raw("SELECT COUNT(*) FROM " + table + " WHERE " + where).Scan(&n).Error; err != nil {
			t.Logf("count: %v", err)
			return -1
		}
		return n
	}
	w.WaitForWithin("the work done", 2*time.Minute, func() bool {
		return count("archivefilecopy", "has_file = 'Y'") == 2*total &&
			count("archivefilecopyrequest", "completed = 1") == total
	}, daemons...)
	t.Logf("all %d files imported and pulled %v after the kill", total, time.Since(killed).Round(time.Millisecond))
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"files registered", count("archivefile", "1 = 1"), total},
		{"files registered twice", count("(SELECT acq_id, name FROM archivefile GROUP BY acq_id, name HAVING COUNT(*) > 1) AS x", "1 = 1"), 0},
		{"copies", count("archivefilecopy", "1 = 1"), 2 * total},
		{"copies not present", count("archivefilecopy", "has_file <> 'Y'"), 0},
		{"copy requests", count("archivefilecopyrequest", "1 = 1"), total},
		{"requests cancelled", count("archivefilecopyrequest", "cancelled = 1"), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	for _, d := range daemons {
		if n := strings.Count(d.Log.String(), "Database server "+g.Addr(0)+" unavailable"); n != 1 {
			t.Errorf("%s logged its failover %d times, want once:\n%s", d.Host, n, d.Log.String())
		}
	}
	g.Rejoin(t, 0)
	rejoined := testdb.Open(t, g.URL(0))
	var n int64
	if err := rejoined.Gorm.Raw("SELECT COUNT(*) FROM archivefilecopy WHERE has_file = 'Y'").Scan(&n).Error; err != nil || n != 2*total {
		t.Errorf("rejoined node holds %d good copies (%v), want %d", n, err, 2*total)
	}
}
