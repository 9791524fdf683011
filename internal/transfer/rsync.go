package transfer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// SSHConfigEnv names the environment variable that, when set to a file,
// makes remote rsync pulls run ssh with "-F FILE", so that host aliases,
// ports and identities can come from a configuration of the operator's
// choosing (test rigs and demos point it at a private sshd). Unset, ssh
// reads the configuration of the user the daemon runs as, exactly as
// alpenhorn's "ssh -q" did. (ssh ignores $HOME when looking for that, so
// a variable is the only way to redirect it without touching the user's
// files.) bbcp starts ssh its own way and does not use this.
const SSHConfigEnv = "ALPENHORN_SSH_CONFIG"

// rsh returns the remote shell for --rsh.
func rsh() string {
	if cfg := os.Getenv(SSHConfigEnv); cfg != "" {
		return "ssh -q -F " + rsyncQuote(cfg)
	}
	return "ssh -q"
}

// rsyncQuote protects a word inside an --rsh value, which rsync splits at
// spaces, honouring single and double quotes, with a doubled quote inside
// a quoted word standing for itself (no backslash escapes).
func rsyncQuote(s string) string {
	if !strings.ContainsAny(s, " '\"") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// rsyncArgs is alpenhorn's rsync command line, except that a remote pull
// leaves out "--compress": it costs CPU on both ends for data that
// (radio-telescope products) hardly compresses, and on fast links it slows
// the transfer down. This is a deliberate difference from alpenhorn.
//
// --protect-args makes rsync send the path names through its own protocol
// rather than the remote shell, so spaces, quotes, ";", newlines and the
// like in names are safe; both paths are absolute (or "user@host:/…"),
// so none can be taken for an option.
func rsyncArgs(src, dst string, remote bool) []string {
	args := []string{"rsync"}
	if remote {
		args = append(args, "--rsync-path=ionice -c2 -n4 rsync", "--rsh="+rsh())
	}
	return append(args,
		"--quiet", "--times", "--protect-args", "--perms", "--group", "--owner",
		"--copy-links", "--sparse", src, dst)
}

// RsyncPull copies job.Src to job.Dst with rsync: over ssh from job.Host
// when set, else locally. rsync writes a temporary name (fsutil.TempPath),
// which is then checked against job.Expect, hashing it when Expect.MD5 is
// set (alpenhorn trusted rsync's own checksums; hashing again costs a read
// of the file but guarantees the recorded MD5), and renamed onto Dst.
//
// As in alpenhorn, failures creating or writing the destination file
// (rsync's "mkstemp" and "write failed on" messages) are logged and do not
// make the source suspect. Unlike alpenhorn, neither do failures of ssh or
// of the connection, rsync's usage and protocol errors, errors reported by
// the receiving side only, and time-outs (alpenhorn marked the source
// suspect after a time-out). Anything else, such as an unreadable or
// vanished source, does.
func RsyncPull(ctx context.Context, job Job) (Result, error) {
	res := Result{Method: MethodRsync}
	op := string(MethodRsync)
	if err := job.check(); err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	if err := os.MkdirAll(filepath.Dir(job.Dst), dirMode); err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	tmp, err := fsutil.TempPath(job.Dst)
	if err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	out, err := run(ctx, rsyncArgs(job.source(), tmp, job.Host != ""), job.Timeout)
	switch {
	case err != nil:
		removeTemp(tmp)
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	case out.timedOut:
		removeTemp(tmp)
		return res, &Error{Op: op, Err: fmt.Errorf("timed out after %s s", FormatTimeout(job.Timeout)), TimedOut: true}
	case out.exit != 0:
		removeTemp(tmp)
		return res, &Error{
			Op:            op,
			Err:           fmt.Errorf("exit status %d", out.exit),
			Output:        out.stderr,
			SourceSuspect: rsyncSourceSuspect(ctx, out.exit, out.stderr),
		}
	}
	return commit(ctx, res, tmp, job.Dst, job.Expect)
}

// removeTemp removes a failed transfer's temporary file and the temporary
// file rsync may have left beside it (".TMP.XXXXXX") when it was killed.
func removeTemp(tmp string) {
	os.Remove(tmp)
	dir, base := filepath.Dir(tmp), filepath.Base(tmp)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + "."
	for _, e := range entries {
		if n := e.Name(); len(n) == len(prefix)+6 && strings.HasPrefix(n, prefix) {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// rsyncTransportExits are rsync exit statuses that cannot come from the
// source file: usage (1), protocol (2, 4, 5, 12), daemon and internal
// errors (6, 13, 14, 21, 22), signals (20), socket and time-out errors
// (10, 30, 35) and ssh's own failure status (255).
var rsyncTransportExits = map[int]bool{
	1: true, 2: true, 4: true, 5: true, 6: true, 10: true, 12: true, 13: true,
	14: true, 20: true, 21: true, 22: true, 30: true, 35: true, 255: true,
}

// transportMarkers are messages of ssh and of broken connections.
var transportMarkers = []string{
	"ssh: ",
	"Connection refused",
	"Connection timed out",
	"Connection reset",
	"connection unexpectedly closed",
	"Permission denied (publickey",
	"Host key verification failed",
	"Could not resolve hostname",
	"No route to host",
	"Broken pipe",
}

func hasTransportMarker(stderr string) bool {
	for _, m := range transportMarkers {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// rsyncSourceSuspect decides, from a failed rsync's exit status and
// messages, whether the source copy may be at fault, logging alpenhorn's
// two warnings for failures on the destination.
func rsyncSourceSuspect(ctx context.Context, exit int, stderr string) bool {
	log := logging.FromContext(ctx, logging.LoggerIOUtil)
	switch {
	case strings.Contains(stderr, "mkstemp"):
		log.Warnf("rsync file creation failed")
		return false
	case strings.Contains(stderr, "write failed on"):
		// The detail is what follows the last ": " (the system's error).
		detail := ""
		if i := strings.LastIndex(stderr, ":") + 2; i <= len(stderr) {
			detail = stderr[i:]
		}
		log.Warnf("rsync failed to write to destination: %s", strings.TrimSpace(detail))
		return false
	case rsyncTransportExits[exit] || exit < 0:
		return false
	case senderFileError(stderr):
		return true
	case hasTransportMarker(stderr):
		return false
	case strings.Contains(stderr, "[receiver]") || strings.Contains(stderr, "[generator]"):
		// In a pull both run on the destination host.
		return false
	}
	return true
}

// senderFileError reports whether the sending side (the source host)
// complained about something other than its connection, such as a missing
// or unreadable source file. A failing sender is often followed by the
// receiver's "Broken pipe", which must not hide it.
func senderFileError(stderr string) bool {
	for line := range strings.Lines(stderr) {
		if strings.Contains(line, "[sender]") && !hasTransportMarker(line) && !strings.Contains(line, "write error") {
			return true
		}
	}
	return false
}
