package transfer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// controlPersist is how long a master connection stays open after its
// last pull: long enough to carry a node's pulls from one pass of the
// daemon to the next, short enough that masters left by a daemon killed
// outright (which cannot end them) go soon.
const controlPersist = "5m"

// maxSocketPath is the longest Unix socket path (sun_path less its NUL).
// ssh creates a master's socket as ControlPath plus a 17-character suffix,
// and %C expands to 40 characters.
const maxSocketPath = 107 - 1 - 40 - 17

// exitTimeout bounds each "ssh -O exit" of Close.
const exitTimeout = 10 * time.Second

// SSH is how remote pulls reach their source hosts. With connection
// sharing, each host gets one ssh master connection that the pulls from it
// reuse, its socket in a private directory of the daemon's.
type SSH struct {
	// dir holds the masters' sockets; empty without sharing.
	dir string

	mu    sync.Mutex
	hosts map[string]bool
}

// NewSSH prepares remote pulls' ssh: sharing one connection per host when
// share is set. The sockets' directory is made in $XDG_RUNTIME_DIR, or
// else in the system's temporary directory, readable by this user only.
func NewSSH(share bool) (*SSH, error) {
	if !share {
		return &SSH{}, nil
	}
	parent := os.Getenv("XDG_RUNTIME_DIR")
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "alpenhorn-ssh-")
	if err != nil {
		return nil, fmt.Errorf("ssh connection sharing: %w", err)
	}
	if len(dir) > maxSocketPath {
		os.Remove(dir)
		return nil, fmt.Errorf("ssh connection sharing: %s is too long a path for ssh's sockets", dir)
	}
	return &SSH{dir: dir, hosts: map[string]bool{}}, nil
}

// command is the ssh command line, without the host, with which rsync
// reaches host.
func (s *SSH) command(host string) []string {
	if s == nil || s.dir == "" {
		return baseSSH()
	}
	s.mu.Lock()
	s.hosts[host] = true
	s.mu.Unlock()
	return append(baseSSH(), s.shareOptions()...)
}

// baseSSH is ssh with the operator's configuration (SSHConfigEnv). Unlike
// alpenhorn's "ssh -q", which silenced everything, it lets ssh's errors
// through ("Permission denied (publickey).", "Connection refused", …),
// to be logged with the failed pull: LogLevel=ERROR leaves out only
// warnings such as "Permanently added … to the list of known hosts".
func baseSSH() []string {
	args := []string{"ssh", "-o", "LogLevel=ERROR"}
	if cfg := os.Getenv(SSHConfigEnv); cfg != "" {
		args = append(args, "-F", cfg)
	}
	return args
}

// shareOptions make ssh use, or become, host's master connection.
func (s *SSH) shareOptions() []string {
	return []string{
		"-o", "ControlMaster=auto",
		// ssh expands "%" sequences in the path.
		"-o", "ControlPath=" + strings.ReplaceAll(s.dir, "%", "%%") + "/%C",
		"-o", "ControlPersist=" + controlPersist,
	}
}

// rsh is command as rsync's --rsh value.
func (s *SSH) rsh(host string) string {
	words := s.command(host)
	for i, w := range words {
		words[i] = rsyncQuote(w)
	}
	return strings.Join(words, " ")
}

// Close ends the master connections and removes their directory. Safe on
// a nil SSH.
func (s *SSH) Close() {
	if s == nil || s.dir == "" {
		return
	}
	s.mu.Lock()
	hosts := make([]string, 0, len(s.hosts))
	for h := range s.hosts {
		hosts = append(hosts, h)
	}
	s.hosts = map[string]bool{}
	s.mu.Unlock()
	slices.Sort(hosts)
	for _, h := range hosts {
		// A host without a master (its connection failed, or it timed
		// out) just makes ssh say so.
		ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
		args := slices.Concat(baseSSH(), s.shareOptions(), []string{"-O", "exit", "--", h})
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.SysProcAttr = procAttr()
		_ = cmd.Run()
		cancel()
	}
	os.RemoveAll(s.dir)
}
