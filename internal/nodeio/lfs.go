package nodeio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// HSMState is where a file of a Lustre HSM filesystem lives: on the Lustre
// disk, in the external (tape) storage behind it, or both.
type HSMState int

const (
	// HSMMissing: neither on disk nor in external storage.
	HSMMissing HSMState = iota
	// HSMUnarchived: on disk only. New files stay so until HSM archives
	// them, which alpenhorn does not control.
	HSMUnarchived
	// HSMRestored: on disk and in external storage.
	HSMRestored
	// HSMRestoring: in external storage only, being brought back to disk.
	HSMRestoring
	// HSMReleased: in external storage only; a stub remains on disk.
	HSMReleased
)

// String names the state as log lines show it.
func (s HSMState) String() string {
	switch s {
	case HSMMissing:
		return "HSMState.MISSING"
	case HSMUnarchived:
		return "HSMState.UNARCHIVED"
	case HSMRestored:
		return "HSMState.RESTORED"
	case HSMRestoring:
		return "HSMState.RESTORING"
	case HSMReleased:
		return "HSMState.RELEASED"
	}
	return fmt.Sprintf("HSMState(%d)", int(s))
}

// RestoreResult is the answer to a restore request.
type RestoreResult int

const (
	// RestoreRequested: the restore was asked for, or nothing needed doing.
	RestoreRequested RestoreResult = iota
	// RestoreRefused: the file is missing; there is nothing to restore.
	RestoreRefused
	// RestoreUnsure: the request failed or timed out; it may still have
	// been taken, so the caller should look again later.
	RestoreUnsure
)

// lfsOutcome is how one lfs invocation ended.
type lfsOutcome int

const (
	lfsOK lfsOutcome = iota
	lfsTimeout
	lfsMissing
	lfsFailed
)

// lfsDefaultTimeout bounds an lfs invocation when io_config sets no
// lfs_timeout.
const lfsDefaultTimeout = 60.0

// lfsWaitDelay bounds the wait for lfs's output once it has exited or been
// killed: a child it left behind must not hold the pipes, and so the
// caller, open.
const lfsWaitDelay = 5 * time.Second

// LFS runs the few lfs(1) commands alpenhorn needs on a Lustre filesystem:
// quota, hsm_state, hsm_action, hsm_restore and hsm_release.
type LFS struct {
	cmd         string // the executable, as found on PATH
	timeout     time.Duration
	timeoutText string // the timeout as log lines show it
	quotaID     string
	quotaFlag   string // -u, -g or -p
	// fixedQuota, in kiB, replaces the block quota lfs reports; nil to use
	// that.
	fixedQuota *int64
}

// NewLFS returns the wrapper for the lfs executable cmd (a name looked up
// on PATH, or a path), querying the quota of quotaID, which quotaType
// ("user", "group" or "project") says how to read. timeout is in seconds.
func NewLFS(quotaID, quotaType string, fixedQuota *int64, cmd string, timeout float64) (*LFS, error) {
	l := &LFS{quotaID: quotaID, fixedQuota: fixedQuota}
	switch quotaType {
	case "group":
		l.quotaFlag = "-g"
	case "project":
		l.quotaFlag = "-p"
	case "user":
		l.quotaFlag = "-u"
	default:
		return nil, fmt.Errorf("invalid quota_type: %s", quotaType)
	}
	if !(timeout > 0) {
		return nil, fmt.Errorf("io_config key 'lfs_timeout' non-positive (=%s)", pyNumber(timeout))
	}
	l.timeout = time.Duration(timeout * float64(time.Second))
	l.timeoutText = pyNumber(timeout)
	path, err := exec.LookPath(cmd)
	if err != nil {
		return nil, errors.New("lfs command not found.")
	}
	l.cmd = path
	return l, nil
}

// run executes lfs with args under the time limit, capturing its output.
// stdout is returned only when the command succeeded.
func (l *LFS) run(ctx context.Context, args ...string) (lfsOutcome, string) {
	log := logging.FromContext(ctx, logging.LoggerIOLFS)
	util := logging.FromContext(ctx, logging.LoggerUtil)
	line := strings.Join(args, " ")
	util.Debugf("Running command [timeout=%s]: %s %s", l.timeoutText, l.cmd, line)

	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(cctx, l.cmd, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = lfsWaitDelay
	err := cmd.Run()
	if cctx.Err() != nil {
		// When the daemon is stopping nobody needs to hear about it.
		if ctx.Err() == nil {
			util.Warnf("Process overrun [timeout=%s]: %s %s", l.timeoutText, l.cmd, line)
			log.Warnf("LFS command timed out: %s", line)
		}
		return lfsTimeout, ""
	}
	out, errText := stdout.String(), stderr.String()
	var ee *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		return lfsOK, out
	case !errors.As(err, &ee) && errText == "":
		// It could not even be started.
		errText = err.Error()
	}

	result := lfsFailed
	if strings.Contains(errText, "No such file or directory") {
		log.Debugf("LFS missing file: %s", line)
		result = lfsMissing
	} else {
		log.Warnf("LFS command failed: %s", line)
	}
	if errText != "" {
		log.Debugf("LFS stderr: %s", errText)
	}
	if out != "" {
		log.Debugf("LFS stdout: %s", out)
	}
	return result, ""
}

// QuotaRemaining returns the quota left to the quota id on the filesystem
// of path, in bytes; it is negative when over quota. ok is false when lfs
// failed or its output could not be read, or when the id has the
// filesystem's default block quota, which an ordinary user cannot read,
// and no fixed quota is configured.
func (l *LFS) QuotaRemaining(ctx context.Context, path string) (int64, bool) {
	log := logging.FromContext(ctx, logging.LoggerIOLFS)
	result, stdout := l.run(ctx, "quota", "-q", l.quotaFlag, l.quotaID, path)
	if result != lfsOK {
		return 0, false
	}
	bad := func() (int64, bool) {
		log.Warnf("Error parsing \"lfs quota\" output: %s", stdout)
		return 0, false
	}

	// The path comes first; a long one is alone on the first line, with
	// the numbers wrapped to the next.
	lines := splitLines(stdout)
	switch {
	case len(lines) == 0:
		return bad()
	case lines[0] == path:
		lines = lines[1:]
		if len(lines) == 0 {
			return bad()
		}
	case strings.HasPrefix(stdout, path):
		lines[0] = lines[0][len(path):]
	default:
		return bad()
	}
	// Blocks used, block quota, block limit, grace, then the same four
	// for files.
	fields := strings.Fields(lines[0])
	if len(fields) != 8 {
		return bad()
	}
	for _, line := range lines[1:] {
		if strings.Contains(line, "using default block quota setting") && l.fixedQuota == nil {
			log.Errorf("ERROR: Unable to fetch default block quota for %s", path)
			return 0, false
		}
	}

	var limit int64
	if l.fixedQuota != nil {
		limit = *l.fixedQuota
	} else {
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return bad()
		}
		limit = n
	}
	// An id over quota has its usage marked with a '*'.
	used, err := strconv.ParseInt(strings.TrimRight(fields[0], "*"), 10, 64)
	if err != nil {
		return bad()
	}
	// lfs counts in kiB blocks.
	return (limit - used) * 1024, true
}

// splitLines splits text into lines as Python's str.splitlines does for
// the line ends lfs can produce: no empty last line for a final newline.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// HSMState returns the HSM state of the file at path; ok is false when it
// could not be determined.
func (l *LFS) HSMState(ctx context.Context, path string) (state HSMState, ok bool) {
	result, stdout := l.run(ctx, "hsm_state", path)
	switch result {
	case lfsFailed, lfsTimeout:
		return 0, false
	case lfsMissing:
		return HSMMissing, true
	}

	// "<path>: (<flag bits>) [<flag words>][, archive_id:<id>]". The path
	// is cut off first: it could contain the words looked for.
	flags, found := strings.CutPrefix(stdout, path+":")
	if !found {
		logging.FromContext(ctx, logging.LoggerIOLFS).Warnf("Error parsing hsm_state output: %s", stdout)
		return 0, false
	}
	switch {
	case !strings.Contains(flags, "archived"):
		return HSMUnarchived, true
	case !strings.Contains(flags, "released"):
		return HSMRestored, true
	case l.hsmRestoring(ctx, path):
		return HSMRestoring, true
	}
	return HSMReleased, true
}

// hsmRestoring reports whether HSM is working on a restore of path. A
// failed query counts as no.
func (l *LFS) hsmRestoring(ctx context.Context, path string) bool {
	result, stdout := l.run(ctx, "hsm_action", path)
	return result == lfsOK && strings.Contains(stdout, "RESTORE")
}

// HSMRestore asks HSM to bring a released file back to disk. A file in any
// other state (including one whose state is unknown) needs nothing.
func (l *LFS) HSMRestore(ctx context.Context, path string) RestoreResult {
	state, ok := l.HSMState(ctx, path)
	if ok && state == HSMMissing {
		logging.FromContext(ctx, logging.LoggerIOLFS).Debugf("Attempt to restore non-existent file: %s", path)
		return RestoreRefused
	}
	if !ok || state != HSMReleased {
		return RestoreRequested
	}
	switch result, _ := l.run(ctx, "hsm_restore", path); result {
	case lfsMissing:
		return RestoreRefused
	case lfsTimeout, lfsFailed:
		return RestoreUnsure
	}
	return RestoreRequested
}

// HSMRelease asks HSM to free the disk space of a restored file, leaving
// it in external storage only. It reports whether the file is, or has been
// asked to become, released.
func (l *LFS) HSMRelease(ctx context.Context, path string) bool {
	state, ok := l.HSMState(ctx, path)
	if ok && state == HSMReleased {
		return true
	}
	if !ok || state != HSMRestored {
		shown := "None"
		if ok {
			shown = state.String()
		}
		logging.FromContext(ctx, logging.LoggerIOLFS).Debugf("Unable to release \"%s\" [state=%s]", path, shown)
		return false
	}
	// Unlike upstream, a failed request is reported: the file is still on
	// disk and must not be counted as released.
	result, _ := l.run(ctx, "hsm_release", path)
	return result == lfsOK
}

// pyNumber formats a number as Python prints an int, or a float that is
// not whole.
func pyNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
