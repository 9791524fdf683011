// Package multihost runs the alpenhorn demo across hosts: alpendb (a
// MariaDB server), alpenshell (where the alpenhorn command runs) and
// alpenhost1..3 (each with its own sshd, alpenhornd and node root) live in
// network namespaces of their own on a private bridge, as the Docker
// Compose set-up's containers do, and read the same demo/alpenhorn.conf.
// Names resolve as in Compose (alpendb, alpenhost2, …), so the daemons
// reach the database and pull from each other with rsync over ssh across
// the namespaces.
//
// The test needs root and ip netns, and skips, saying why, without them,
// or without mariadbd or sshd.
package multihost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/demo"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshd"
)

// Bounds: the story takes a few minutes at most; a run stuck longer is
// broken.
const (
	testTimeout = 8 * time.Minute
	waitTimeout = 2 * time.Minute
	// updateInterval shortens the demo's ten-second passes: the story
	// waits for what the daemons do, so the shorter they are, the sooner
	// it ends.
	updateInterval = 1
)

func TestMultiHostDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: the multi-host demo takes minutes (`make test` and `make multihost` run it)")
	}
	if why := canUseNetns(); why != "" {
		t.Skipf("SKIPPING the multi-host test: %s", why)
	}
	if server, _ := findMariaDB(); server == "" {
		t.Skip("SKIPPING the multi-host test: no mariadbd installed (apt-get install mariadb-server)")
	}
	if err := sshd.Check(); err != nil {
		t.Skipf("SKIPPING the multi-host test: %v", err)
	}
	for _, p := range []string{"rsync", "ionice", "mount"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("SKIPPING the multi-host test: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if d, ok := t.Deadline(); ok {
		// Leave time for the clean-up.
		var c2 context.CancelFunc
		ctx, c2 = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer c2()
	}
	dir := t.TempDir()
	bin := buildPrograms(t, ctx, filepath.Join(dir, "bin"))
	n := newNetwork(t, dir)

	if err := os.Mkdir(filepath.Join(dir, "alpendb"), 0o700); err != nil {
		t.Fatal(err)
	}
	m := startMariaDB(t, ctx, n, filepath.Join(dir, "alpendb"))
	index, err := db.Open(m.url())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { index.Close() })

	sshConfig, servers := startSSHDs(t, ctx, n, dir)

	conf, err := filepath.Abs("../alpenhorn.conf")
	if err != nil {
		t.Fatal(err)
	}
	cluster := &demo.Cluster{
		Dir:            filepath.Join(dir, "hosts"),
		Bin:            bin,
		ConfigFile:     conf,
		UpdateInterval: updateInterval,
		SSHConfig:      sshConfig,
		User:           "root",
		Index:          index,
		Command:        n.command,
		Diagnostics: func() string {
			var b strings.Builder
			for _, h := range demo.DaemonHosts {
				b.WriteString("\n==== sshd log of " + h + " ====\n" + servers[h].Log())
			}
			b.WriteString("\n==== MariaDB log (end) ====\n" + m.logTail())
			return b.String()
		},
	}
	if err := cluster.Prepare(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})

	start := time.Now()
	story := &demo.Story{
		C:       cluster,
		Out:     os.Stdout,
		Timeout: waitTimeout,
		Sections: func(title string) {
			t.Logf("%-42s passed at %v", title, time.Since(start).Round(time.Second))
		},
	}
	if err := story.Run(ctx); err != nil {
		var report strings.Builder
		cluster.Report(&report)
		t.Fatalf("%v\n%s", err, report.String())
	}
}

// buildPrograms builds alpenhorn and alpenhornd as `make build` does.
func buildPrograms(t *testing.T, ctx context.Context, bin string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin+"/",
		"github.com/radiocosmology/alpenhorn-go/cmd/alpenhorn", "github.com/radiocosmology/alpenhorn-go/cmd/alpenhornd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the programs: %v\n%s", err, out)
	}
	return bin
}

// startSSHDs runs an sshd on port 22 of each daemon host, accepting one
// user key, as the demo image's hosts do, and returns the ssh client
// configuration that uses the key.
func startSSHDs(t *testing.T, ctx context.Context, n *network, dir string) (string, map[string]*sshd.Server) {
	t.Helper()
	sshDir := filepath.Join(dir, "ssh")
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(sshDir, "id_ed25519")
	if err := sshd.Keygen(ctx, key); err != nil {
		t.Fatal(err)
	}
	servers := map[string]*sshd.Server{}
	for _, h := range demo.DaemonHosts {
		hostDir := filepath.Join(sshDir, h)
		if err := os.Mkdir(hostDir, 0o700); err != nil {
			t.Fatal(err)
		}
		srv, err := sshd.Start(ctx, sshd.Options{
			Dir:            hostDir,
			ListenAddress:  addresses[h],
			Port:           22,
			AuthorizedKeys: key + ".pub",
			Command:        func(name string, args ...string) *exec.Cmd { return n.command(h, append([]string{name}, args...)...) },
			Start:          demo.StartChild,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		servers[h] = srv
	}
	config := filepath.Join(sshDir, "ssh_config")
	if err := sshd.WriteClientConfig(config, key, sshd.Host{Aliases: demo.DaemonHosts, User: "root"}); err != nil {
		t.Fatal(err)
	}
	// Every host reaches every other across the bridge, by name.
	for _, from := range demo.DaemonHosts {
		for _, to := range demo.DaemonHosts {
			cmd := n.command(from, "ssh", "-F", config, to, "hostname -I")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), addresses[to]) {
				t.Fatalf("ssh from %s to %s: %v: %s\n%s", from, to, err, out, servers[to].Log())
			}
		}
	}
	return config, servers
}
