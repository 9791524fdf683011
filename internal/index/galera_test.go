package index_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The rules that hold with row locks on one server, on a Galera cluster
// with the writers on different database nodes: the writes a rule needs
// to serialise must conflict at certification.

// galeraWorld is a world on a fresh database of the test Galera cluster
// (its d connected to node 0), with dbs[i] connected to node i only.
func galeraWorld(t *testing.T) (*world, *testdb.GaleraDB, []*db.DB) {
	g := testdb.Galera(t)
	w := newWorld(t, g.URL(0))
	dbs := make([]*db.DB, 3)
	for i := range dbs {
		dbs[i] = testdb.Open(t, g.URL(i))
	}
	return w, g, dbs
}

// settle waits until every database node holds want rows of table: the
// world is built through node 0, and the others apply its writes a moment
// later.
func settle(t *testing.T, dbs []*db.DB, table string, want int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, d := range dbs {
		for {
			var n int64
			if err := d.Gorm.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d rows, want %d", table, n, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// barrier waits until d's database node has applied every write the
// cluster committed so far, so that reads through it after see them: a
// causal read (wsrep_sync_wait), as a command needing read-your-writes
// across nodes would make.
func barrier(t *testing.T, d *db.DB) {
	t.Helper()
	err := d.Gorm.Connection(func(tx *gorm.DB) error {
		var n int64
		err := tx.Exec("SET SESSION wsrep_sync_wait = 1").Error
		if err == nil {
			err = tx.Raw("SELECT COUNT(*) FROM storagenode").Scan(&n).Error
		}
		return errors.Join(err, tx.Exec("SET SESSION wsrep_sync_wait = 0").Error)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// concurrently runs f(i) for i in [0, n) at once and waits for them.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// TestGaleraGuardAcrossNodes: three daemons on three archive nodes, each
// connected to another database node, ask at the same moment to delete
// their copies of the same files, of which four archive copies exist. An
// archive copy may go while two others remain: of each file's three
// claims exactly two are granted, and two good copies remain. (Without
// the file locks, SELECT ... FOR UPDATE locks only on the node that ran
// it, and all three claims of a file can be granted.)
func TestGaleraGuardAcrossNodes(t *testing.T) {
	const files = 300
	w, _, dbs := galeraWorld(t)
	ctx := context.Background()
	nodes := []string{"a1", "a2", "a3", "a4"}
	for _, n := range nodes {
		w.node(n, "archive", db.StorageArchive)
	}
	var ids [3][]int64
	for i := range files {
		name := fmt.Sprintf("f%04d", i)
		w.file(name)
		for j, n := range nodes {
			c := w.copy(name, n, db.HasYes, db.WantNo)
			if j < 3 {
				ids[j] = append(ids[j], c.ID)
			}
		}
	}
	settle(t, dbs, "archivefilecopy", 4*files)
	granted := make([]atomic.Int64, files)
	concurrently(3, func(i int) {
		d, node := dbs[i], w.nodes[nodes[i]]
		cands, err := index.DeletionCandidates(ctx, d, node, ids[i])
		if err != nil {
			t.Error(err)
			return
		}
		for j, cand := range cands {
			claim, err := index.ClaimDeletion(ctx, d, node, cand)
			if err != nil {
				t.Error(err)
				return
			}
			if claim.OK {
				granted[j].Add(1)
			}
		}
	})
	barrier(t, w.d)
	below := 0
	for j := range files {
		if n := granted[j].Load(); n != 2 {
			t.Errorf("f%04d: %d deletions granted, want 2", j, n)
		}
		if n := countRows(w, &db.ArchiveFileCopy{}, "file_id = ? AND has_file = 'Y'", w.files[fmt.Sprintf("f%04d", j)].ID); n < 2 {
			below++
		}
	}
	if below > 0 {
		t.Errorf("%d files of %d left with fewer than 2 good archive copies", below, files)
	}
}

// TestGaleraImportOncePerFile: two daemons importing the same new files on
// one node, connected to two database nodes, register each file, and its
// copy, once: the inserts conflict on the unique keys at certification,
// and the loser's transaction, run again, finds the winner's rows.
func TestGaleraImportOncePerFile(t *testing.T) {
	const files = 100
	w, _, dbs := galeraWorld(t)
	ctx := context.Background()
	n := w.node("n", "g", db.StorageField)
	settle(t, dbs, "storagenode", 1)
	concurrently(2, func(i int) {
		for j := 0; j < files; j += 10 {
			var regs []*index.Registration
			for k := j; k < j+10; k++ {
				regs = append(regs, hashed("acq2", fmt.Sprintf("f%03d", k)))
			}
			if err := index.RecordImports(ctx, dbs[i+1], n, regs, nil); err != nil {
				t.Error(err)
				return
			}
		}
	})
	barrier(t, w.d)
	if got := countRows(w, &db.ArchiveFile{}, "name LIKE 'f%'"); got != files {
		t.Errorf("%d files registered, want %d", got, files)
	}
	if got := countRows(w, &db.ArchiveFileCopy{}, "node_id = ?", n.ID); got != files {
		t.Errorf("%d copies recorded, want %d", got, files)
	}
	if got := countRows(w, &db.ArchiveAcq{}, "name = 'acq2'"); got != 1 {
		t.Errorf("acquisition registered %d times, want 1", got)
	}
}

// TestGaleraConflictRetried: transactions on two database nodes that
// write the same row all succeed through db.Transaction, each counted
// once: the one that loses certification (1213 at COMMIT, or aborted by
// the other's write being applied) is run again whole.
func TestGaleraConflictRetried(t *testing.T) {
	w, _, dbs := galeraWorld(t)
	ctx := context.Background()
	w.node("n", "g", db.StorageField)
	w.file("f")
	c := w.copy("f", "n", db.HasYes, db.WantYes)
	settle(t, dbs, "archivefilecopy", 1)
	var runs atomic.Int64
	concurrently(2, func(i int) {
		for range 20 {
			err := dbs[i+1].Transaction(ctx, func(tx *gorm.DB) error {
				runs.Add(1)
				if err := tx.Exec("UPDATE archivefilecopy SET size_b = size_b + 1 WHERE id = ?", c.ID).Error; err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
				return tx.Exec("UPDATE archivefilecopy SET last_update = ? WHERE id = ?", db.Now(), c.ID).Error
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	barrier(t, dbs[0])
	var size int64
	w.must(dbs[0].Gorm.Raw("SELECT size_b FROM archivefilecopy WHERE id = ?", c.ID).Scan(&size).Error)
	if want := *c.SizeB + 40; size != want {
		t.Fatalf("size %d after 40 increments, want %d", size, want)
	}
	t.Logf("40 transactions took %d runs", runs.Load())
}

// TestGaleraFailover: a data index whose URL names the three database
// nodes keeps working when the node in use is killed, moving to the next
// (reported once), and a process started while the first host is dead
// connects to the next.
func TestGaleraFailover(t *testing.T) {
	w, g, _ := galeraWorld(t)
	ctx := context.Background()
	w.node("n", "g", db.StorageField)
	d := testdb.Open(t, g.URL())
	var moves []string
	var mu sync.Mutex
	d.OnFailover = func(_ context.Context, from, to string, err error) {
		mu.Lock()
		defer mu.Unlock()
		moves = append(moves, from+" -> "+to)
	}
	count := func(d *db.DB) int64 {
		t.Helper()
		var n int64
		w.must(d.Retry(ctx, func(g *gorm.DB) error { return g.Model(&db.StorageNode{}).Count(&n).Error }))
		return n
	}
	if count(d) != 1 {
		t.Fatal("no node read")
	}
	g.Kill(t, 0)
	start := time.Now()
	if count(d) != 1 {
		t.Fatal("no node read after the failover")
	}
	t.Logf("failover: first statement after the kill took %v", time.Since(start))
	if len(moves) != 1 || !strings.HasPrefix(moves[0], g.Addr(0)+" -> ") {
		t.Errorf("failovers reported: %q, want one from %s", moves, g.Addr(0))
	}
	// A new process, its first host dead.
	d2 := testdb.Open(t, g.URL())
	d2.OnFailover = func(context.Context, string, string, error) {}
	if count(d2) != 1 {
		t.Fatal("no node read by a new process")
	}
	g.Rejoin(t, 0)
	if got := g.Status(t, 0, "wsrep_cluster_size"); got != "3" {
		t.Errorf("rejoined node sees a cluster of %s", got)
	}
}

// TestGaleraNonPrimaryNode: when the node in use is cut off from the
// others (it stays up, but outside the Primary component, answering 1047),
// the data index moves to a node that is ready, once, and carries on;
// the node then rejoins.
func TestGaleraNonPrimaryNode(t *testing.T) {
	w, g, _ := galeraWorld(t)
	ctx := context.Background()
	w.node("n", "g", db.StorageField)
	d := testdb.Open(t, g.URL())
	var moves atomic.Int64
	d.OnFailover = func(context.Context, string, string, error) { moves.Add(1) }
	count := func() int64 {
		t.Helper()
		var n int64
		w.must(d.Retry(ctx, func(g *gorm.DB) error { return g.Model(&db.StorageNode{}).Count(&n).Error }))
		return n
	}
	if count() != 1 {
		t.Fatal("no node read")
	}
	g.Isolate(t, 0, true)
	start := time.Now()
	if count() != 1 {
		t.Fatal("no node read with node 0 cut off")
	}
	t.Logf("moved off the cut-off node in %v", time.Since(start))
	if n := moves.Load(); n != 1 {
		t.Errorf("%d failovers, want 1", n)
	}
	g.Isolate(t, 0, false)
}
