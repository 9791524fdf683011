package transfer

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// SSHConfigEnv names the environment variable that, when set to a file,
// makes remote rsync pulls run ssh with "-F FILE", so that host aliases,
// ports and identities can come from a configuration of the operator's
// choosing (test rigs and demos point it at a private sshd). Unset, ssh
// reads the configuration of the user the daemon runs as, as alpenhorn's
// ssh did. (ssh ignores $HOME when looking for that, so a variable is the
// only way to redirect it without touching the user's files.) bbcp starts
// ssh its own way and does not use this.
const SSHConfigEnv = "ALPENHORN_SSH_CONFIG"

// rsyncQuote protects a word inside an --rsh value, which rsync splits at
// spaces, honouring single and double quotes, with a doubled quote inside
// a quoted word standing for itself (no backslash escapes).
func rsyncQuote(s string) string {
	if !strings.ContainsAny(s, " '\"") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// rsyncArgs is alpenhorn's rsync command line pulling src (from host, or
// locally when host is empty) to dst, except that a remote pull leaves out
// "--compress": it costs CPU on both ends for data that (radio-telescope
// products) hardly compresses, and on fast links it slows the transfer
// down. This is a deliberate difference from alpenhorn. extra options go
// before the paths.
//
// --protect-args makes rsync send the path names through its own protocol
// rather than the remote shell, so spaces, quotes, ";", newlines and the
// like in names are safe; both paths are absolute (or "user@host:/…"),
// so none can be taken for an option.
//
// A non-empty format asks rsync to check the transfer with MD5 and print
// that format (holding %C, the whole-file checksum of what it wrote) for
// each file (see reportedMD5). "--quiet" then goes: it silences
// "--out-format" too, and all it hid was standard output, which is
// otherwise not read.
func rsyncArgs(ssh *SSH, host, format string, extra []string, src, dst string) []string {
	args := []string{"rsync"}
	if host != "" {
		args = append(args, "--rsync-path=ionice -c2 -n4 rsync", "--rsh="+ssh.rsh(host))
	}
	if format != "" {
		args = append(args, "--checksum-choice=md5", "--out-format="+format)
	} else {
		args = append(args, "--quiet")
	}
	args = append(args,
		"--times", "--protect-args", "--perms", "--group", "--owner",
		"--copy-links", "--sparse")
	return append(append(args, extra...), src, dst)
}

// runRsync runs rsyncArgs' command line pulling src to dst. format is the
// --out-format reporting the MD5s of the files, "" when none is wanted:
// it is used when rsync can report them (inStream), see RsyncPull.
func runRsync(ctx context.Context, ssh *SSH, host, format string, extra []string, src, dst string, stdin []byte, timeout float64, stdout io.Writer) (out cmdResult, inStream bool, err error) {
	args := func(inStream bool) []string {
		if !inStream {
			return rsyncArgs(ssh, host, "", extra, src, dst)
		}
		return rsyncArgs(ssh, host, format, extra, src, dst)
	}
	inStream = host != "" && format != "" && rsyncReportsMD5(ctx, host)
	out, err = run(ctx, args(inStream), stdin, timeout, stdout)
	if inStream && err == nil && out.exit != 0 && strings.Contains(out.stderr, "--checksum-choice") {
		// The other end refused the option: an rsync before 3.1.3 ("unknown
		// option") or one whose checksum list leaves MD5 out ("refused by
		// the server"). It is pulled from as before, now and from now on.
		// The refusal comes as the connection opens, before any data, so
		// the second run gets the whole time limit again.
		refuseRsyncMD5(ctx, host)
		inStream = false
		out, err = run(ctx, args(false), stdin, timeout, stdout)
	}
	return out, inStream, err
}

// rsyncError is the failure of a run of rsync, nil when it succeeded.
func rsyncError(ctx context.Context, out cmdResult, err error, timeout float64) *Error {
	op := string(MethodRsync)
	switch {
	case err != nil:
		return &Error{Op: op, Err: err, Output: err.Error()}
	case out.timedOut:
		return &Error{Op: op, Err: fmt.Errorf("timed out after %s s", FormatTimeout(timeout)), TimedOut: true}
	case out.exit != 0:
		return &Error{
			Op:            op,
			Err:           fmt.Errorf("exit status %d", out.exit),
			Output:        out.stderr,
			SourceSuspect: rsyncSourceSuspect(ctx, out.exit, out.stderr),
		}
	}
	return nil
}

// RsyncPull copies job.Src to job.Dst with rsync: over ssh from job.Host
// when set, else locally. rsync writes a temporary name (fsutil.TempPath),
// which is then checked against job.Expect and renamed onto Dst, whose
// directory must exist (the caller creates it safely below the node
// root). When
// Expect.MD5 is set, the copy's MD5 is checked too (alpenhorn trusted
// rsync's own checksums; this guarantees the recorded MD5): in a remote
// pull, rsync is asked for the MD5 of the data it wrote
// (--checksum-choice=md5, --out-format=%C), so that the copy need not be
// read again; where it cannot tell (an rsync before 3.1.3 on either end),
// and in a local pull, the copy is hashed after the transfer. (Locally
// both of rsync's ends would compute the MD5 on this host: that costs more
// CPU time than reading the copy once more.)
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
	tmp, err := fsutil.TempPath(job.Dst)
	if err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	format := ""
	if job.Expect.MD5 != "" {
		format = "%C"
	}
	out, inStream, err := runRsync(ctx, job.SSH, job.Host, format, nil, job.source(), tmp, nil, job.Timeout, nil)
	if e := rsyncError(ctx, out, err, job.Timeout); e != nil {
		removeTemp(tmp)
		return res, e
	}
	if inStream {
		res.MD5 = reportedMD5(out.stdout)
	}
	return commit(ctx, res, tmp, job.Dst, job.Expect)
}

// minRsyncMD5 is the first rsync release with --checksum-choice; it, and
// every later one, prints an MD5 transfer checksum for %C as plain hex.
var minRsyncMD5 = []int{3, 1, 3}

// rsyncVersionTimeout bounds "rsync --version".
const rsyncVersionTimeout = 30 * time.Second

var (
	// rsyncMD5Capable caches, per rsync executable, whether it is
	// minRsyncMD5 or later.
	rsyncMD5Capable sync.Map
	// rsyncMD5Refused holds the hosts whose rsync refused
	// --checksum-choice=md5, for as long as the process runs: asking again
	// would cost every pull from them a second connection.
	rsyncMD5Refused sync.Map
)

// rsyncReportsMD5 reports whether rsync can be asked for the MD5 of a file
// pulled from host. Only the local rsync's version is known beforehand;
// the remote one's shows when it refuses the option.
func rsyncReportsMD5(ctx context.Context, host string) bool {
	if _, refused := rsyncMD5Refused.Load(host); refused {
		return false
	}
	path, err := exec.LookPath("rsync")
	if err != nil {
		// The pull itself reports that.
		return false
	}
	if ok, known := rsyncMD5Capable.Load(path); known {
		return ok.(bool)
	}
	vctx, cancel := context.WithTimeout(ctx, rsyncVersionTimeout)
	defer cancel()
	version, err := exec.CommandContext(vctx, path, "--version").Output()
	if err != nil {
		// Not cached: the next pull asks again.
		return false
	}
	ok := rsyncVersionAtLeast(string(version), minRsyncMD5)
	rsyncMD5Capable.Store(path, ok)
	return ok
}

// rsyncVersionRE matches the start of "rsync --version": "rsync  version
// 3.2.7  protocol version 31" (some builds write "v3.2.7"). openrsync and
// other reimplementations start otherwise and count as old.
var rsyncVersionRE = regexp.MustCompile(`^rsync +version v?(\d+)\.(\d+)\.(\d+)`)

// rsyncVersionAtLeast reports whether the output of "rsync --version"
// names version least or later.
func rsyncVersionAtLeast(output string, least []int) bool {
	m := rsyncVersionRE.FindStringSubmatch(output)
	if m == nil {
		return false
	}
	v := make([]int, 3)
	for i := range v {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return false
		}
		v[i] = n
	}
	return slices.Compare(v, least) >= 0
}

// refuseRsyncMD5 records that rsync on host refused --checksum-choice=md5.
func refuseRsyncMD5(ctx context.Context, host string) {
	if _, known := rsyncMD5Refused.LoadOrStore(host, struct{}{}); known {
		return
	}
	logging.FromContext(ctx, logging.LoggerIOUtil).Infof("rsync on %s does not report MD5 checksums; files pulled from it are read again to verify them", host)
}

// reportedMD5 returns the MD5 that --out-format=%C printed, or "" when
// standard output is anything but that one 32-digit hex word. rsync prints
// it after comparing the MD5 of the data its receiver wrote (computed as
// it wrote it) with the sender's, and keeps the file only when the two
// agree, so after a successful run it is the MD5 of the file's content.
// Anything else leaves the file to be read again: blanks (no unsalted
// checksum known), a second line (a transfer rsync redid), or messages
// from the sending side, which could imitate the line.
func reportedMD5(stdout string) string {
	words := strings.Fields(stdout)
	if len(words) != 1 || len(words[0]) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(words[0]); err != nil {
		return ""
	}
	return words[0]
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
