package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// killGrace is how long a timed-out command gets, after SIGTERM, to remove
// its own temporary files before its whole process group is killed.
const killGrace = 5 * time.Second

// cmdResult is the outcome of a command that ran to its end or was killed
// for overrunning.
type cmdResult struct {
	exit int
	// stdout is as written (rsync's file names need not be UTF-8);
	// stderr is made valid UTF-8 for the log.
	stdout, stderr string
	timedOut       bool
}

// run executes args (never through a shell) with stdin as its standard
// input (nil: none) and stdout and stderr captured (stdout also written,
// as it comes, to also when that is not nil), as alpenhorn's
// run_command does, including its two log lines. A command still running
// after timeout seconds (0: no limit) is killed and reported with timedOut
// set and only the standard output it wrote until then. The error is
// non-nil only when the command could not be started or ctx ended.
func run(ctx context.Context, args []string, stdin []byte, timeout float64, also io.Writer) (cmdResult, error) {
	log := logging.FromContext(ctx, logging.LoggerUtil)
	line := strings.Join(args, " ")
	log.Debugf("Running command [timeout=%s]: %s", FormatTimeout(timeout), line)

	cctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, time.Duration(timeout*float64(time.Second)))
		defer cancel()
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(cctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if also != nil {
		cmd.Stdout = io.MultiWriter(&stdout, also)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// A session of its own: ssh then has no terminal to prompt on (it fails
	// instead of stopping on SIGTTIN), and the whole group (rsync and the
	// ssh it started) can be signalled together.
	cmd.SysProcAttr = procAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = killGrace
	err := cmd.Run()
	if cctx.Err() != nil && cmd.Process != nil {
		// Whatever the group left running (an ssh holding the pipes) goes.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		return cmdResult{}, context.Cause(ctx)
	}
	if cctx.Err() != nil {
		logging.FromContext(ctx, logging.LoggerUtil).Warnf("Process overrun [timeout=%s]: %s", FormatTimeout(timeout), line)
		return cmdResult{exit: -1, timedOut: true, stdout: stdout.String()}, nil
	}
	res := cmdResult{
		stdout: stdout.String(),
		stderr: strings.ToValidUTF8(stderr.String(), "\uFFFD"),
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay):
		// The command exited with status 0 but left a child holding its
		// output open; the status is what counts.
	default:
		return cmdResult{}, err
	}
	return res, nil
}
