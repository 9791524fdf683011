package sshd

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// needSSHD skips the test when sshd cannot be run, or in -short mode.
func needSSHD(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: starts a real sshd (`make test` runs it)")
	}
	var missing *MissingError
	if err := Check(); errors.As(err, &missing) {
		t.Skipf("SKIPPING: %v to run this test", err)
	}
}

func startServer(t *testing.T, o Options) (*Server, string) {
	t.Helper()
	needSSHD(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := Keygen(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	o.Dir, o.AuthorizedKeys = dir, key+".pub"
	s, err := Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	config := filepath.Join(dir, "ssh_config")
	if err := WriteClientConfig(config, key, Host{Aliases: []string{"one", "two"}, HostName: "127.0.0.1", Port: s.Port}); err != nil {
		t.Fatal(err)
	}
	return s, config
}

func TestLoginThroughAliases(t *testing.T) {
	t.Parallel()
	s, config := startServer(t, Options{})
	for _, alias := range []string{"one", "two"} {
		out, err := exec.Command("ssh", "-F", config, alias, "echo", "logged-in").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "logged-in" {
			t.Fatalf("ssh %s: %v: %s\nsshd log:\n%s", alias, err, out, s.Log())
		}
	}
	if !strings.Contains(s.Log(), "Accepted publickey") {
		t.Errorf("sshd did not log the key login:\n%s", s.Log())
	}

	s.Stop()
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))); err == nil {
		c.Close()
		t.Error("the server still accepts connections after Stop")
	}
}

func TestOtherKeysRefused(t *testing.T) {
	t.Parallel()
	s, _ := startServer(t, Options{})
	other := filepath.Join(t.TempDir(), "other")
	if err := Keygen(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "ssh_config")
	if err := WriteClientConfig(config, other, Host{Aliases: []string{"srv"}, HostName: "127.0.0.1", Port: s.Port}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh", "-F", config, "srv", "true").CombinedOutput(); err == nil {
		t.Fatalf("login with a key the server was not given succeeded: %s", out)
	}
}

func TestPortTaken(t *testing.T) {
	t.Parallel()
	needSSHD(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if err := Keygen(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	s, err := Start(t.Context(), Options{Dir: dir, Port: port, AuthorizedKeys: key + ".pub"})
	if err == nil {
		s.Stop()
		t.Fatalf("sshd started on port %d, which is in use", port)
	}
	if !strings.Contains(err.Error(), "sshd exited") {
		t.Errorf("error %q does not say that sshd exited", err)
	}
}
