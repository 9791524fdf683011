// Package demo runs the alpenhorn demo: the story of the seed transcript,
// told by the alpenhorn command and three alpenhornd daemons (alpenhost1,
// alpenhost2 and alpenhost3) that share one data index and pull files
// from each other over SSH.
//
// A Cluster says where the hosts live and how their programs are run:
// side by side on this machine (cmd rundemo, `make demo`), or each in its
// own network namespace (the multi-host test). Story runs the seed's
// steps on a Cluster, checking after each one the state the seed shows.
//
// Every host reads demo/alpenhorn.conf, the configuration the Docker
// Compose set-up installs as /etc/alpenhorn/alpenhorn.conf, and then a
// small file of its own naming the host and, where the data index is not
// the Compose set-up's MySQL server, the database.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/radiocosmology/alpenhorn-go/internal/childproc"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// The hosts of the demo, named as the Docker Compose services are.
const (
	Shell = "alpenshell"
	Host1 = "alpenhost1"
	Host2 = "alpenhost2"
	Host3 = "alpenhost3"
)

// DaemonHosts are the hosts that run alpenhornd.
var DaemonHosts = []string{Host1, Host2, Host3}

// Environment variables read by the programs.
const (
	configFileEnv = "ALPENHORN_CONFIG_FILE"
	sshConfigEnv  = "ALPENHORN_SSH_CONFIG" // transfer.SSHConfigEnv
)

// Bounds on things that only hang when something is broken.
const (
	cliTimeout  = 2 * time.Minute
	stopTimeout = 30 * time.Second
)

// Cluster is the set of demo hosts.
type Cluster struct {
	// Dir holds everything the hosts write: their file systems (node
	// roots under Dir/HOST/data, the transport disk under
	// Dir/HOST/mnt/transport), their configuration files and the
	// daemons' logs.
	Dir string
	// Bin holds the alpenhorn and alpenhornd programs.
	Bin string
	// ConfigFile is demo/alpenhorn.conf.
	ConfigFile string
	// DatabaseURL, when set, replaces the database of ConfigFile.
	DatabaseURL string
	// UpdateInterval, when non-zero, replaces daemon.update_interval.
	UpdateInterval int
	// SSHConfig is the ssh client configuration the daemons' pulls use.
	SSHConfig string
	// User is the login name of remote pulls (the nodes' --username).
	User string
	// Index is the data index, which the story reads to check and to wait
	// for the daemons' work.
	Index *db.DB
	// Command makes the command that runs argv on host; nil runs it here.
	Command func(host string, argv ...string) *exec.Cmd
	// Diagnostics, when set, is printed after the daemon logs of a failed
	// story (for instance the sshd logs).
	Diagnostics func() string

	mu      sync.Mutex
	daemons map[string]*daemon
}

type daemon struct {
	cmd     *exec.Cmd
	log     string
	exited  chan struct{}
	waitErr error
}

// HostDir is the directory standing for host's file system.
func (c *Cluster) HostDir(host string) string { return filepath.Join(c.Dir, host) }

// NodeRoot is the root of the storage node on host, its "/data".
func (c *Cluster) NodeRoot(host string) string { return filepath.Join(c.HostDir(host), "data") }

// TransportRoot is where the transport disk is mounted on host, its
// "/mnt/transport".
func (c *Cluster) TransportRoot(host string) string {
	return filepath.Join(c.HostDir(host), "mnt", "transport")
}

// LogFile is the file alpenhornd on host writes its log to.
func (c *Cluster) LogFile(host string) string {
	return filepath.Join(c.HostDir(host), "alpenhornd.log")
}

func (c *Cluster) hostConfig(host string) string {
	return filepath.Join(c.HostDir(host), "alpenhorn.conf")
}

// Prepare creates the hosts' directories and configuration files.
func (c *Cluster) Prepare() error {
	for _, host := range append([]string{Shell}, DaemonHosts...) {
		if err := os.MkdirAll(c.HostDir(host), 0o755); err != nil {
			return err
		}
		conf := map[string]any{}
		if host != Shell {
			if err := os.MkdirAll(c.NodeRoot(host), 0o755); err != nil {
				return err
			}
			conf["base"] = map[string]any{"hostname": host}
			if c.UpdateInterval != 0 {
				conf["daemon"] = map[string]any{"update_interval": c.UpdateInterval}
			}
		}
		if c.DatabaseURL != "" {
			conf["database"] = map[string]any{"url": c.DatabaseURL}
		}
		b, err := yaml.Marshal(conf)
		if err != nil {
			return err
		}
		if err := os.WriteFile(c.hostConfig(host), b, 0o644); err != nil {
			return err
		}
	}
	// The transport disk starts out in alpenhost3.
	return os.MkdirAll(c.TransportRoot(Host3), 0o755)
}

func (c *Cluster) command(host string, argv ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if c.Command != nil {
		cmd = c.Command(host, argv...)
	} else {
		cmd = exec.Command(argv[0], argv[1:]...)
	}
	cmd.Env = append(os.Environ(), configFileEnv+"="+c.ConfigFile)
	// A group of its own: a Ctrl-C at the terminal reaches the demo, which
	// then stops everything in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// Alpenhorn runs the alpenhorn command on the shell host with stdin as
// its input and returns what it printed (standard output, then standard
// error) and its exit status.
func (c *Cluster) Alpenhorn(ctx context.Context, stdin string, args ...string) (string, int, error) {
	argv := append([]string{filepath.Join(c.Bin, "alpenhorn"), "--test-isolation", "--conf", c.hostConfig(Shell)}, args...)
	cmd := c.command(Shell, argv...)
	var stdout, stderr strings.Builder
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := childproc.Start(cmd); err != nil {
		return "", 0, err
	}
	// The command comes from c.Command, so it cannot be made with
	// exec.CommandContext; the context kills it the same way.
	cctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	stop := context.AfterFunc(cctx, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	stop()
	out := stdout.String() + stderr.String()
	switch {
	case ctx.Err() != nil:
		return out, 0, context.Cause(ctx)
	case cctx.Err() != nil:
		return out, 0, fmt.Errorf("alpenhorn %s did not finish within %v", strings.Join(args, " "), cliTimeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return out, ee.ExitCode(), nil
	}
	return out, 0, err
}

// StartDaemon starts alpenhornd on host.
func (c *Cluster) StartDaemon(host string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.daemons[host] != nil {
		return fmt.Errorf("alpenhornd on %s already started", host)
	}
	log, err := os.OpenFile(c.LogFile(host), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := c.command(host, filepath.Join(c.Bin, "alpenhornd"), "--test-isolation", "--conf", c.hostConfig(host))
	cmd.Env = append(cmd.Env, sshConfigEnv+"="+c.SSHConfig)
	cmd.Stdout, cmd.Stderr = log, log
	if err := childproc.Start(cmd); err != nil {
		return fmt.Errorf("start alpenhornd on %s: %w", host, err)
	}
	d := &daemon{cmd: cmd, log: c.LogFile(host), exited: make(chan struct{})}
	go func() { d.waitErr = cmd.Wait(); close(d.exited) }()
	if c.daemons == nil {
		c.daemons = map[string]*daemon{}
	}
	c.daemons[host] = d
	return nil
}

// Started lists the hosts whose daemon has been started, in host order.
func (c *Cluster) Started() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var hosts []string
	for _, h := range DaemonHosts {
		if c.daemons[h] != nil {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// DaemonExited returns why the daemon on host is no longer running, or
// nil while it runs.
func (c *Cluster) DaemonExited(host string) error {
	c.mu.Lock()
	d := c.daemons[host]
	c.mu.Unlock()
	if d == nil {
		return nil
	}
	select {
	case <-d.exited:
		if d.waitErr == nil {
			return errors.New("exited with status 0")
		}
		return d.waitErr
	default:
		return nil
	}
}

// Log returns the log of the daemon on host so far.
func (c *Cluster) Log(host string) string {
	b, _ := os.ReadFile(c.LogFile(host))
	return string(b)
}

// Stop stops every daemon: SIGTERM, which shuts it down cleanly, then
// SIGKILL if it has not gone within stopTimeout. Stopping is idempotent.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	daemons := c.daemons
	c.daemons = nil
	c.mu.Unlock()
	var errs []error
	for _, host := range DaemonHosts {
		if d := daemons[host]; d != nil {
			d.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, host := range DaemonHosts {
		d := daemons[host]
		if d == nil {
			continue
		}
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			d.cmd.Process.Kill()
			<-d.exited
			errs = append(errs, fmt.Errorf("alpenhornd on %s did not stop within %v and was killed", host, stopTimeout))
		}
	}
	return errors.Join(errs...)
}

// StartChild starts cmd as the demo starts its own processes: killed by
// the kernel if the demo dies. For the processes a Cluster's creator
// runs beside it (sshd, database servers).
func StartChild(cmd *exec.Cmd) error { return childproc.Start(cmd) }

// maxReportLines bounds how much of each daemon log a failure report
// shows.
const maxReportLines = 400

// Report writes the daemons' logs (the end of each, if long) and the
// diagnostics, for a failed story.
func (c *Cluster) Report(w io.Writer) {
	for _, host := range c.Started() {
		lines := strings.SplitAfter(c.Log(host), "\n")
		if len(lines) > maxReportLines {
			fmt.Fprintf(w, "\n==== alpenhornd log of %s (%s), last %d lines ====\n", host, c.LogFile(host), maxReportLines)
			lines = lines[len(lines)-maxReportLines:]
		} else {
			fmt.Fprintf(w, "\n==== alpenhornd log of %s (%s) ====\n", host, c.LogFile(host))
		}
		fmt.Fprint(w, strings.Join(lines, ""))
		if err := c.DaemonExited(host); err != nil {
			fmt.Fprintf(w, "==== alpenhornd on %s is no longer running: %v ====\n", host, err)
		}
	}
	if c.Diagnostics != nil {
		fmt.Fprint(w, c.Diagnostics())
	}
}
