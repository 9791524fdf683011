// Package sshd runs private, throwaway OpenSSH servers: for the tests of
// remote pulls, for the demo, which pulls between its three hosts over
// real SSH on one machine, and for the multi-host test, which runs one
// server in each host's network namespace.
//
// A server gets its own host key, accepts only the public keys it is
// given and needs no system configuration; ssh clients reach it through a
// client configuration written with WriteClientConfig (for pulls, point
// transfer.SSHConfigEnv at it).
package sshd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Program is where sshd must be: it refuses to start from a relative path.
const Program = "/usr/sbin/sshd"

// ReadyTimeout bounds the wait for a new server to answer; it only fails
// a broken set-up and never measures anything.
const ReadyTimeout = 30 * time.Second

// stopTimeout bounds the wait for a killed server to be reaped.
const stopTimeout = 10 * time.Second

// MissingError says which program is not installed and which Debian
// package provides it.
type MissingError struct {
	Program string
	Package string
	Err     error
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not installed (%v); install %s", e.Program, e.Err, e.Package)
}

func (e *MissingError) Unwrap() error { return e.Err }

// Check reports, as a *MissingError, a missing sshd or ssh-keygen.
func Check() error {
	if _, err := os.Stat(Program); err != nil {
		return &MissingError{Program: Program, Package: "openssh-server", Err: err}
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		return &MissingError{Program: "ssh-keygen", Package: "openssh-client", Err: err}
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		return &MissingError{Program: "ssh", Package: "openssh-client", Err: err}
	}
	return nil
}

// Keygen creates a new passphrase-less ed25519 key pair at path and
// path.pub.
func Keygen(ctx context.Context, path string) error {
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		return &MissingError{Program: "ssh-keygen", Package: "openssh-client", Err: err}
	}
	out, err := exec.CommandContext(ctx, keygen, "-q", "-t", "ed25519", "-N", "", "-C", "alpenhorn", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen: %v\n%s", err, out)
	}
	return nil
}

// Options describe a server to start.
type Options struct {
	// Dir is a private, existing directory for the host key, the server
	// configuration and the pid file.
	Dir string
	// ListenAddress is the address to listen on; default 127.0.0.1.
	ListenAddress string
	// Port is the port to listen on. Zero picks a free one on
	// ListenAddress, which must then be reachable from this process.
	Port int
	// AuthorizedKeys is a file of the public keys allowed to log in.
	AuthorizedKeys string
	// Command makes the command that runs sshd with args, for instance
	// inside a network namespace. Its process must be sshd itself (or
	// become it by exec), so that Stop ends the server. Default:
	// exec.Command.
	Command func(name string, args ...string) *exec.Cmd
	// Start starts the command; default (*exec.Cmd).Start. A caller that
	// must not leave servers behind when it dies sets a parent-death
	// signal here.
	Start func(*exec.Cmd) error
}

// Server is a running sshd.
type Server struct {
	// Addr is the address the server listens on.
	Addr string
	// Port is its port.
	Port int

	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
}

// Log returns what sshd has written so far, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// Start runs sshd and returns once it listens. The caller must Stop it.
func Start(ctx context.Context, o Options) (*Server, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if o.ListenAddress == "" {
		o.ListenAddress = "127.0.0.1"
	}
	if o.Command == nil {
		o.Command = exec.Command
	}
	if o.Start == nil {
		o.Start = (*exec.Cmd).Start
	}
	if os.Geteuid() == 0 {
		// sshd running as root insists on its privilege-separation
		// directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, err
		}
	}
	hostKey := filepath.Join(o.Dir, "ssh_host_ed25519_key")
	if _, err := os.Stat(hostKey); errors.Is(err, os.ErrNotExist) {
		if err := Keygen(ctx, hostKey); err != nil {
			return nil, err
		}
	}
	// A free port is found by binding and releasing it; another process
	// could take it in between, so a failed start is retried.
	attempts := 1
	if o.Port == 0 {
		attempts = 3
	}
	var lastErr error
	for range attempts {
		port := o.Port
		if port == 0 {
			var err error
			if port, err = freePort(o.ListenAddress); err != nil {
				return nil, err
			}
		}
		s, err := start(ctx, o, hostKey, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, o Options, hostKey string, port int) (*Server, error) {
	config := filepath.Join(o.Dir, "sshd_config")
	text := strings.Join([]string{
		"ListenAddress " + o.ListenAddress,
		"Port " + strconv.Itoa(port),
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(o.Dir, "sshd.pid"),
		"AuthorizedKeysFile " + o.AuthorizedKeys,
		"AuthenticationMethods publickey",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"UsePAM no",
		"StrictModes no",
		"UseDNS no",
		"LogLevel INFO",
		"",
	}, "\n")
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		return nil, err
	}
	s := &Server{Addr: o.ListenAddress, Port: port, log: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = o.Command(Program, "-D", "-e", "-f", config)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := o.Start(s.cmd); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("sshd on %s did not come up: %v\n%s", s.address(), err, s.Log())
	}
	return s, nil
}

func (s *Server) address() string { return net.JoinHostPort(s.Addr, strconv.Itoa(s.Port)) }

// Stop kills the server and waits for it to go.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
	}
}

// waitReady waits until sshd says it is listening, which it does once its
// socket accepts connections, or fails when sshd exits first. Reading its
// log rather than connecting works wherever the server runs, in this
// network namespace or another.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	for !strings.Contains(s.Log(), "Server listening on ") {
		select {
		case <-ctx.Done():
			return fmt.Errorf("not listening: %w", context.Cause(ctx))
		case <-s.exited:
			return errors.New("sshd exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Host is one entry of a client configuration.
type Host struct {
	// Aliases are the names ssh is given for this server.
	Aliases []string
	// HostName and Port say where it listens; empty and zero leave them to
	// ssh (name resolution, port 22).
	HostName string
	Port     int
	// User is the default login name; an explicit "user@" wins.
	User string
}

// WriteClientConfig writes an ssh client configuration (ssh -F file) that
// logs in to hosts with identity, trusting any host key (every key here is
// a throwaway) and never prompting.
func WriteClientConfig(file, identity string, hosts ...Host) error {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "Host %s\n", strings.Join(h.Aliases, " "))
		if h.HostName != "" {
			fmt.Fprintf(&b, "  HostName %s\n", h.HostName)
		}
		if h.Port != 0 {
			fmt.Fprintf(&b, "  Port %d\n", h.Port)
		}
		if h.User != "" {
			fmt.Fprintf(&b, "  User %s\n", h.User)
		}
		for _, line := range []string{
			"IdentityFile " + identity,
			"IdentitiesOnly yes",
			"StrictHostKeyChecking no",
			"UserKnownHostsFile /dev/null",
			"BatchMode yes",
			"LogLevel ERROR",
		} {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	return os.WriteFile(file, []byte(b.String()), 0o600)
}

func freePort(addr string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects sshd's output, written from exec's copying goroutine
// and read by the caller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
