// Package sshtest runs a private OpenSSH server on 127.0.0.1 for tests of
// remote pulls: throwaway host and user keys, an sshd listening on a free
// port and accepting only that user key, and an ssh client configuration
// that reaches it under one or more host aliases. Point ssh at the
// configuration (for pulls: transfer.SSHConfigEnv) and "user@alias"
// addresses log in to this machine as the current user.
//
// Tests are skipped, with the reason, when sshd, ssh or ssh-keygen is not
// installed, and in -short mode (`make test-short`).
package sshtest

import (
	"context"
	"errors"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshd"
)

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

	srv *sshd.Server
}

// Host returns "user@alias" for the first alias.
func (s *Server) Host() string { return s.User + "@" + s.Aliases[0] }

// Log returns what sshd has written so far, for failure messages.
func (s *Server) Log() string { return s.srv.Log() }

// Start runs sshd for the duration of the test. aliases default to
// "sshtest".
func Start(t testing.TB, aliases ...string) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: starts a real sshd (`make test` runs it)")
	}
	var missing *sshd.MissingError
	if err := sshd.Check(); errors.As(err, &missing) {
		t.Skipf("SKIPPING: %v to run this test", err)
	}
	if len(aliases) == 0 {
		aliases = []string{"sshtest"}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	dir := t.TempDir()
	userKey := filepath.Join(dir, "id_ed25519")
	if err := sshd.Keygen(context.Background(), userKey); err != nil {
		t.Fatal(err)
	}
	srv, err := sshd.Start(context.Background(), sshd.Options{Dir: dir, AuthorizedKeys: userKey + ".pub"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	s := &Server{
		User:         u.Username,
		Aliases:      aliases,
		Port:         srv.Port,
		ConfigFile:   filepath.Join(dir, "ssh_config"),
		IdentityFile: userKey,
		srv:          srv,
	}
	host := sshd.Host{Aliases: aliases, HostName: "127.0.0.1", Port: srv.Port, User: u.Username}
	if err := sshd.WriteClientConfig(s.ConfigFile, userKey, host); err != nil {
		t.Fatal(err)
	}
	return s
}
