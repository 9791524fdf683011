// Package sshtest runs a private OpenSSH server on 127.0.0.1 for tests of
// remote pulls: throwaway host and user keys, an sshd listening on a free
// port and accepting only that user key, and an ssh client configuration
// that reaches it under one or more host aliases. Point ssh at the
// configuration (for pulls: transfer.SSHConfigEnv) and "user@alias"
// addresses log in to this machine as the current user.
//
// Tests are skipped, with the reason, when /usr/sbin/sshd or ssh-keygen is
// not installed.
package sshtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SSHD is where sshd must be: it refuses to start from a relative path.
const SSHD = "/usr/sbin/sshd"

// readyTimeout bounds the wait for sshd to answer; it only fails a broken
// set-up and never measures anything.
const readyTimeout = 30 * time.Second

// Server is a running private sshd.
type Server struct {
	// User is the login name the keys are for (the current user).
	User string
	// Aliases are the host names the client configuration maps to the
	// server.
	Aliases []string
	// Port is the server's port on 127.0.0.1.
	Port int
	// ConfigFile is the ssh client configuration (ssh -F ConfigFile).
	ConfigFile string
	// IdentityFile is the user's private key.
	IdentityFile string

	log *syncBuffer
}

// Host returns "user@alias" for the first alias.
func (s *Server) Host() string { return s.User + "@" + s.Aliases[0] }

// Log returns what sshd has written so far, for failure messages.
func (s *Server) Log() string { return s.log.String() }

// Start runs sshd for the duration of the test. aliases default to
// "sshtest".
func Start(t testing.TB, aliases ...string) *Server {
	t.Helper()
	if _, err := os.Stat(SSHD); err != nil {
		t.Skipf("SKIPPING: no OpenSSH server at %s (%v); install openssh-server to run this test", SSHD, err)
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skipf("SKIPPING: ssh-keygen not found (%v); install openssh-client to run this test", err)
	}
	if len(aliases) == 0 {
		aliases = []string{"sshtest"}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	if os.Geteuid() == 0 {
		// sshd running as root insists on its privilege-separation
		// directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("create /run/sshd: %v", err)
		}
	}

	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	userKey := filepath.Join(dir, "id_ed25519")
	for _, k := range []string{hostKey, userKey} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "sshtest", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}

	s := &Server{User: u.Username, Aliases: aliases, IdentityFile: userKey, log: &syncBuffer{}}
	// The free port is found by binding and releasing it; another process
	// could take it in between, so a failed start is retried.
	var cmd *exec.Cmd
	for attempt := 0; ; attempt++ {
		s.Port = freePort(t)
		serverConfig := filepath.Join(dir, "sshd_config")
		writeFile(t, serverConfig, strings.Join([]string{
			"ListenAddress 127.0.0.1",
			"Port " + strconv.Itoa(s.Port),
			"HostKey " + hostKey,
			"PidFile " + filepath.Join(dir, "sshd.pid"),
			"AuthorizedKeysFile " + authKeys,
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
		}, "\n"))
		cmd = exec.Command(SSHD, "-D", "-e", "-f", serverConfig)
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		err := waitReady(s.Port, exited)
		if err == nil {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			break
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			t.Fatalf("sshd did not come up: %v\n%s", err, s.Log())
		}
	}

	s.ConfigFile = filepath.Join(dir, "ssh_config")
	writeFile(t, s.ConfigFile, strings.Join([]string{
		"Host " + strings.Join(aliases, " "),
		"  HostName 127.0.0.1",
		"  Port " + strconv.Itoa(s.Port),
		"  User " + s.User,
		"  IdentityFile " + userKey,
		"  IdentitiesOnly yes",
		"  StrictHostKeyChecking no",
		"  UserKnownHostsFile /dev/null",
		"  BatchMode yes",
		"  LogLevel ERROR",
		"",
	}, "\n"))
	return s
}

func writeFile(t testing.TB, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady waits until the server on port sends its SSH banner, or fails
// when sshd exits first.
func waitReady(port int, exited <-chan struct{}) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no SSH banner on %s", addr)
}

// syncBuffer collects sshd's output, written from exec's copying goroutine
// and read by the test.
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
