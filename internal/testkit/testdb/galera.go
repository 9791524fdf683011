package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/scratch"
)

// The Galera cluster: three MariaDB servers on loopback replicating with
// galera-4, one per test binary, started on first use (GaleraCluster) and
// stopped by Main. Each node has its own data directory, client port,
// group communication port, IST port and rsync state-transfer port.

const (
	envGaleraProvider = "ALPENHORN_TEST_GALERA"

	galeraNodes = 3

	galeraSkipMessage    = "Galera tests SKIPPED: no galera-4 provider or mariadbd installed (apt-get install galera-4 mariadb-server rsync)"
	galeraRequireMessage = "Galera tests required (" + envRequireMariaDB + " is set) but no galera-4 provider or mariadbd installed (apt-get install galera-4 mariadb-server rsync)"

	// syncTimeout bounds a node's state transfer and catching up when it
	// joins; rsync of a fresh data directory on loopback takes seconds.
	syncTimeout = 3 * time.Minute
)

// providerPaths are where distributions install the galera-4 library.
var providerPaths = []string{"/usr/lib/galera/libgalera_smm.so", "/usr/lib/galera-4/libgalera_smm.so", "/usr/lib64/galera-4/libgalera_smm.so", "/usr/lib64/galera/libgalera_smm.so"}

var (
	galeraSkipNotice sync.Once
	clusterLaunched  bool
	cluster          *Cluster
	clusterErr       error
)

// Cluster is the test binary's Galera cluster.
type Cluster struct {
	nodes    []*server
	password string
}

// GaleraDB is a fresh database on the cluster, dropped when its test ends.
type GaleraDB struct {
	c    *Cluster
	Name string
}

// galeraProvider returns the galera-4 library, or "".
func galeraProvider() string {
	if p := os.Getenv(envGaleraProvider); p != "" {
		if p == "none" {
			return ""
		}
		return p
	}
	for _, p := range providerPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Galera returns a new, empty database on the test binary's three-node
// Galera cluster, starting the cluster on first use. Without galera-4 (or
// MariaDB, or rsync) the test is skipped, or fails when
// ALPENHORN_TEST_REQUIRE_MARIADB is set. Tests that kill or restart nodes
// must not run in parallel with other Galera tests of the package.
func Galera(t testing.TB) *GaleraDB {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	c := ensureCluster(t)
	name := "t_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.anyNode(t).admin.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatalf("testdb: create database %s on the cluster: %v", name, err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range c.nodes {
			if n.running() && n.admin != nil {
				if _, err := n.admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
					t.Errorf("testdb: drop database %s on the cluster: %v", name, err)
				}
				return
			}
		}
	})
	return &GaleraDB{c: c, Name: name}
}

// URL returns a URL of the database naming the given cluster nodes
// (0, 1, 2), in that order: mysql://user:pw@127.0.0.1:P1,127.0.0.1:P2/db.
// With no node named it names all three.
func (g *GaleraDB) URL(nodes ...int) string {
	if len(nodes) == 0 {
		nodes = []int{0, 1, 2}
	}
	hosts := make([]string, len(nodes))
	for i, n := range nodes {
		hosts[i] = "127.0.0.1:" + strconv.Itoa(g.c.nodes[n].port)
	}
	return fmt.Sprintf("mysql://%s:%s@%s/%s", dbUser, g.c.password, strings.Join(hosts, ","), g.Name)
}

// Addr returns the host:port clients reach node n at.
func (g *GaleraDB) Addr(n int) string { return "127.0.0.1:" + strconv.Itoa(g.c.nodes[n].port) }

// Kill kills node n with SIGKILL, as a crashed server, and waits until
// the other two have formed the Primary component without it. The node is
// started again when the test ends if the test did not (Rejoin).
func (g *GaleraDB) Kill(t testing.TB, n int) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	s := g.c.nodes[n]
	if s.cmd == nil {
		t.Fatalf("testdb: Galera node %d is not running", n)
	}
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if !s.running() {
			if err := g.c.join(s); err != nil {
				t.Errorf("testdb: restart Galera node %d after the test: %v", n, err)
			}
		}
	})
	settled := settles(func() bool {
		size, err := g.c.clusterSize()
		return err == nil && size == galeraNodes-1
	})
	if !settled {
		var logs strings.Builder
		for i, o := range g.c.nodes {
			if o != s {
				fmt.Fprintf(&logs, "\nnode %d:\n%s", i, logTail(o.errorLog(), 0))
			}
		}
		t.Fatalf("testdb: the cluster did not settle on %d nodes within %v:%s", galeraNodes-1, syncTimeout, logs.String())
	}
}

// Rejoin starts killed node n again and waits until it is Synced.
func (g *GaleraDB) Rejoin(t testing.TB, n int) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := g.c.join(g.c.nodes[n]); err != nil {
		t.Fatalf("testdb: rejoin Galera node %d: %v", n, err)
	}
}

// Isolate cuts node n off from the others (gmcast.isolate), as a network
// partition would, and waits until it is out of the Primary component;
// with isolate false it lets the node back and waits until it is Synced
// again. A node left isolated is let back when the test ends.
func (g *GaleraDB) Isolate(t testing.TB, n int, isolate bool) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	s := g.c.nodes[n]
	if !s.running() || s.admin == nil {
		t.Fatalf("testdb: Galera node %d is not running", n)
	}
	set := func(v int) error {
		_, err := s.admin.Exec(fmt.Sprintf("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=%d'", v))
		return err
	}
	v, want := 0, "Synced"
	if isolate {
		v, want = 1, "OFF"
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			if s.running() && s.admin != nil {
				set(0)
			}
		})
	}
	if err := set(v); err != nil {
		t.Fatalf("testdb: isolate Galera node %d: %v", n, err)
	}
	var ready, state string
	settled := settles(func() bool {
		ready, _ = s.status("wsrep_ready")
		state, _ = s.status("wsrep_local_state_comment")
		return isolate && ready == want || !isolate && ready == "ON" && state == want
	})
	if !settled {
		t.Fatalf("testdb: Galera node %d not %s within %v (ready %s, state %s)", n, want, syncTimeout, ready, state)
	}
}

// Status returns a wsrep status variable of node n (e.g.
// "wsrep_local_state_comment", "wsrep_cluster_size").
func (g *GaleraDB) Status(t testing.TB, n int, name string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	s := g.c.nodes[n]
	if !s.running() || s.admin == nil {
		return ""
	}
	v, err := s.status(name)
	if err != nil {
		t.Fatalf("testdb: status %s of Galera node %d: %v", name, n, err)
	}
	return v
}

// status returns the global status variable name of s.
func (s *server) status(name string) (string, error) {
	var k, v string
	err := s.admin.QueryRow("SHOW GLOBAL STATUS LIKE '"+strings.ReplaceAll(name, "'", "")+"'").Scan(&k, &v)
	return v, err
}

// settles polls cond until it holds, and reports whether it did within
// syncTimeout.
func settles(cond func() bool) bool {
	deadline := time.Now().Add(syncTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// ensureCluster returns the running cluster, starting it on first use.
// mu must be held.
func ensureCluster(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: starts a three-node Galera cluster (`make test` runs it)")
	}
	bin, installer, ok := findBinaries()
	provider := galeraProvider()
	rsync := findProgram(nil, "rsync")
	if !ok || provider == "" || rsync == "" {
		notInstalled(t, galeraRequireMessage, galeraSkipMessage, &galeraSkipNotice)
	}
	if !mainActive.Load() {
		t.Fatal("testdb: call testdb.Main(m) from TestMain in this package, so that the Galera cluster is shut down after the tests")
	}
	if !clusterLaunched {
		clusterLaunched = true
		cluster, clusterErr = launchCluster(bin, installer, provider)
	}
	if clusterErr != nil {
		t.Fatalf("testdb: start the Galera cluster: %v", clusterErr)
	}
	return cluster
}

func launchCluster(bin, installer, provider string) (*Cluster, error) {
	c := &Cluster{password: randomHex(12)}
	// Four ports per node: clients, group communication, IST, SST.
	ports := make([][4]int, galeraNodes)
	seen := map[int]bool{}
	for i := range ports {
		for j := range ports[i] {
			for {
				p, err := freePort()
				if err != nil {
					return nil, err
				}
				if !seen[p] {
					seen[p] = true
					ports[i][j] = p
					break
				}
			}
		}
	}
	peers := make([]string, galeraNodes)
	for i := range ports {
		peers[i] = "127.0.0.1:" + strconv.Itoa(ports[i][1])
	}
	for i := range ports {
		// On disk, not in MemoryDir: three servers' files would crowd a
		// small /dev/shm, and a state transfer copies them whole.
		base, err := scratch.Dir("", baseDirPrefix)
		if err != nil {
			c.stop()
			return nil, err
		}
		s := &server{bin: bin, installer: installer, base: base, port: ports[i][0], password: c.password}
		c.nodes = append(c.nodes, s)
		s.extra = []string{
			"--wsrep-on=ON",
			"--wsrep-provider=" + provider,
			"--wsrep-cluster-name=alpenhorn-test",
			"--wsrep-cluster-address=gcomm://" + strings.Join(peers, ","),
			"--wsrep-node-name=node" + strconv.Itoa(i+1),
			"--wsrep-node-address=127.0.0.1:" + strconv.Itoa(ports[i][1]),
			"--wsrep-node-incoming-address=127.0.0.1:" + strconv.Itoa(ports[i][0]),
			"--wsrep-sst-method=rsync",
			"--wsrep-sst-receive-address=127.0.0.1:" + strconv.Itoa(ports[i][3]),
			// A small cache, as for the single server. Failure detection
			// keeps Galera's defaults (a lost node is dropped after 5 s):
			// shorter timeouts make the nodes of a loaded two-core
			// machine suspect each other and lose the Primary component.
			"--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:" + strconv.Itoa(ports[i][1]) +
				";ist.recv_addr=127.0.0.1:" + strconv.Itoa(ports[i][2]) + ";gcache.size=32M",
			"--binlog-format=ROW",
			"--innodb-autoinc-lock-mode=2",
			// One applier thread (the default): with more, a DDL and
			// the inserts that follow it can be applied in parallel
			// and block each other for good (MariaDB 10.11's "MDL
			// BF-BF conflict").
			"--wsrep-slave-threads=1",
		}
		var prepErr error
		if i == 0 {
			prepErr = s.prepare()
		} else {
			// A joiner's data directory comes whole from the state
			// transfer.
			prepErr = os.Mkdir(s.datadir(), 0o700)
		}
		if prepErr == nil {
			prepErr = s.rsyncAsRoot()
		}
		if prepErr != nil {
			c.stop()
			return nil, fmt.Errorf("node %d: %w", i+1, prepErr)
		}
		if i == 0 {
			// The first node starts the cluster; it then joins as the
			// others do when restarted.
			s.extra = append(s.extra, "--wsrep-new-cluster")
			err = c.join(s)
			s.extra = s.extra[:len(s.extra)-1]
			if err == nil {
				err = s.createUser()
			}
		} else {
			err = c.join(s)
		}
		if err != nil {
			if i > 0 {
				// The donor's log tells why a state transfer failed.
				err = fmt.Errorf("%w\ndonor's log:\n%s", err, sstLines(c.nodes[0].errorLog()))
			}
			c.stop()
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
	}
	return c, nil
}

// join starts s and waits until it is Synced with the cluster.
func (c *Cluster) join(s *server) error {
	if err := s.start(); err != nil {
		return err
	}
	var state string
	var err error
	synced := settles(func() bool {
		state, err = s.status("wsrep_local_state_comment")
		return err == nil && state == "Synced"
	})
	if !synced {
		return fmt.Errorf("node on port %d not Synced within %v (state %q, %v):\n%s", s.port, syncTimeout, state, err, logTail(s.errorLog(), 0))
	}
	return nil
}

// anyNode returns a running node.
func (c *Cluster) anyNode(t testing.TB) *server {
	t.Helper()
	for _, s := range c.nodes {
		if s.running() && s.admin != nil {
			return s
		}
	}
	t.Fatal("testdb: no Galera node is running")
	return nil
}

// clusterSize is wsrep_cluster_size as a running, ready node sees it.
func (c *Cluster) clusterSize() (int, error) {
	for _, s := range c.nodes {
		if !s.running() || s.admin == nil {
			continue
		}
		if ready, err := s.status("wsrep_ready"); err != nil || ready != "ON" {
			continue
		}
		v, err := s.status("wsrep_cluster_size")
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(v)
	}
	return 0, errors.New("no ready node")
}

// stop stops every node, the first last (it holds the most recent state if
// the cluster is restarted from its files).
func (c *Cluster) stop() error {
	var errs []error
	for i := len(c.nodes) - 1; i >= 0; i-- {
		if err := c.nodes[i].stop(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range c.nodes {
		if err := os.RemoveAll(s.base); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func shutdownCluster() error {
	mu.Lock()
	defer mu.Unlock()
	if cluster == nil {
		return nil
	}
	return cluster.stop()
}

// sstLines returns the lines of a donor's log about state transfers.
func sstLines(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "SST") || strings.Contains(l, "ERROR") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// rsyncAsRoot makes a node run as root receive state transfers as root:
// the rsync daemon the joiner starts would otherwise drop to nobody, who
// cannot write its data directory. The server runs its state-transfer
// script with its basedir's bin first in PATH, so the node gets a basedir
// of its own, the real one's share and lib under it, and in its bin an
// rsync that tells the daemon to keep root.
func (s *server) rsyncAsRoot() error {
	if os.Geteuid() != 0 {
		return nil
	}
	rsync := findProgram(nil, "rsync")
	real := filepath.Dir(filepath.Dir(s.bin))
	basedir := filepath.Join(s.base, "basedir")
	script := "#!/bin/sh\ncase \" $* \" in *\" --daemon \"*) exec " + rsync + " --dparam=uid=root --dparam=gid=root \"$@\";; esac\nexec " + rsync + " \"$@\"\n"
	err := os.MkdirAll(filepath.Join(basedir, "bin"), 0o755)
	for _, d := range []string{"share", "lib"} {
		if err == nil {
			err = os.Symlink(filepath.Join(real, d), filepath.Join(basedir, d))
		}
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(basedir, "bin", "rsync"), []byte(script), 0o755)
	}
	s.extra = append(s.extra, "--basedir="+basedir)
	return err
}
