// Command rundemo runs the alpenhorn demo on this machine (`make demo`):
// the seed's whole story, with an SQLite data index standing in for the
// alpendb container, three alpenhornd daemons as alpenhost1, alpenhost2
// and alpenhost3, each with its own node root under a fresh temporary
// directory, and a private sshd on a loopback port through which the
// daemons pull from each other, as they would between machines.
//
// It stops everything it started when it ends, fails or is interrupted,
// and exits non-zero, with the daemons' logs, at the first step whose
// outcome differs from the seed's.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"syscall"
	"time"

	"github.com/radiocosmology/alpenhorn-go/demo"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshd"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding the alpenhorn and alpenhornd programs")
	conf := flag.String("config", "demo/alpenhorn.conf", "the demo's configuration file")
	interval := flag.Int("update-interval", 5, "seconds between the daemons' update passes (the seed's demo/alpenhorn.conf has 10)")
	keep := flag.Bool("keep", false, "keep the demo's directory (node roots, data index, logs) after a successful run")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, *bin, *conf, *interval, *keep))
}

func run(ctx context.Context, bin, conf string, interval int, keep bool) int {
	if err := prerequisites(bin, conf); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	bin, _ = filepath.Abs(bin)
	conf, _ = filepath.Abs(conf)
	u, err := user.Current()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "alpenhorn-demo-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}

	var cluster *demo.Cluster
	var server *sshd.Server
	var index *db.DB
	failed := true
	defer func() {
		if cluster != nil {
			if err := cluster.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
			}
		}
		if server != nil {
			server.Stop()
		}
		if index != nil {
			index.Close()
		}
		if failed || keep {
			fmt.Printf("\nThe demo's files are in %s\n", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()

	sshDir := filepath.Join(dir, "ssh")
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	key := filepath.Join(sshDir, "id_ed25519")
	if err := sshd.Keygen(ctx, key); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	server, err = sshd.Start(ctx, sshd.Options{Dir: sshDir, AuthorizedKeys: key + ".pub", Start: demo.StartChild})
	if err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	sshConfig := filepath.Join(sshDir, "ssh_config")
	hosts := sshd.Host{Aliases: demo.DaemonHosts, HostName: "127.0.0.1", Port: server.Port, User: u.Username}
	if err := sshd.WriteClientConfig(sshConfig, key, hosts); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}

	url := "sqlite:///" + filepath.Join(dir, "alpendb", "index.db")
	if err := os.Mkdir(filepath.Join(dir, "alpendb"), 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	if index, err = db.Create(url); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	cluster = &demo.Cluster{
		Dir:            dir,
		Bin:            bin,
		ConfigFile:     conf,
		DatabaseURL:    url,
		UpdateInterval: interval,
		SSHConfig:      sshConfig,
		User:           u.Username,
		Index:          index,
		Diagnostics: func() string {
			return fmt.Sprintf("\n==== sshd log (127.0.0.1:%d) ====\n%s", server.Port, server.Log())
		},
	}
	if err := cluster.Prepare(); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}

	fmt.Printf(`Alpenhorn demo
==============
The hosts of the seed's Docker Compose set-up, on this machine:
  alpendb     the data index: %s
  alpenshell  runs "alpenhorn --test-isolation --conf %s/alpenhorn.conf" (with %s=%s)
  alpenhostN  runs alpenhornd with %s/alpenhorn.conf (base.hostname: alpenhostN);
              its /data is %s
  ssh         "ssh alpenhostN" reaches a private sshd on 127.0.0.1:%d (%s)
Daemon update interval: %d s.
`, url, cluster.HostDir(demo.Shell), "ALPENHORN_CONFIG_FILE", conf,
		cluster.HostDir("alpenhostN"), cluster.NodeRoot("alpenhostN"), server.Port, sshConfig, interval)

	start := time.Now()
	var passed []string
	story := &demo.Story{
		C:       cluster,
		Out:     os.Stdout,
		Timeout: time.Minute + 6*time.Duration(interval)*time.Second,
		Sections: func(title string) {
			passed = append(passed, fmt.Sprintf("%-42s passed at %v", title, time.Since(start).Round(time.Second)))
		},
	}
	err = story.Run(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Printf("\nDemo interrupted. Steps passed:\n")
		// Nothing went wrong that its files could show.
		failed = false
	case err != nil:
		fmt.Printf("\nDEMO FAILED: %v\n", err)
		cluster.Report(os.Stdout)
		fmt.Printf("\nSteps passed before the failure:\n")
	default:
		fmt.Printf("\nDemo complete in %v. Steps:\n", time.Since(start).Round(time.Second))
	}
	for _, p := range passed {
		fmt.Println("  " + p)
	}
	if err != nil {
		return 1
	}
	if err := cluster.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "rundemo: %v\n", err)
		return 1
	}
	failed = false
	return 0
}

// prerequisites checks for the programs the demo needs, saying which
// package provides a missing one.
func prerequisites(bin, conf string) error {
	for _, p := range []string{"alpenhorn", "alpenhornd"} {
		if _, err := os.Stat(filepath.Join(bin, p)); err != nil {
			return fmt.Errorf("%v (build with `make build`)", err)
		}
	}
	if _, err := os.Stat(conf); err != nil {
		return err
	}
	if err := sshd.Check(); err != nil {
		return err
	}
	for _, p := range []struct{ program, pkg string }{{"rsync", "rsync"}, {"ionice", "util-linux"}} {
		if _, err := exec.LookPath(p.program); err != nil {
			return fmt.Errorf("%s is not installed (%w); install %s", p.program, err, p.pkg)
		}
	}
	return nil
}
