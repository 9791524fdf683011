package testdb_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestGaleraReplicates: a row written on one node is read on the others,
// and a killed node rejoins and catches up.
func TestGaleraReplicates(t *testing.T) {
	g := testdb.Galera(t)
	for n := 0; n < 3; n++ {
		if got := g.Status(t, n, "wsrep_cluster_size"); got != "3" {
			t.Fatalf("node %d: cluster size %q, want 3", n, got)
		}
	}
	c0 := connect(t, g.URL(0))
	if _, err := c0.Exec("CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c0.Exec("INSERT INTO r VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	read := func(n int) int {
		t.Helper()
		c := connect(t, g.URL(n))
		c.SetMaxOpenConns(1)
		if _, err := c.Exec("SET SESSION wsrep_sync_wait = 1"); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := c.QueryRow("SELECT COUNT(*) FROM r").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := read(2); got != 1 {
		t.Fatalf("node 3 reads %d rows, want 1", got)
	}
	g.Kill(t, 2)
	if _, err := c0.Exec("INSERT INTO r VALUES (2, 2)"); err != nil {
		t.Fatal(err)
	}
	g.Rejoin(t, 2)
	if got := read(2); got != 2 {
		t.Fatalf("rejoined node 3 reads %d rows, want 2", got)
	}
}
