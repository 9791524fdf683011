package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// ErrBbcpUnsafe is wrapped by BbcpPull's error for a path bbcp cannot be
// trusted with; pull such files with RsyncPull.
var ErrBbcpUnsafe = errors.New("path not safe for bbcp")

// bbcpSafePath is the characters a path may hold to be given to bbcp.
// bbcp has no equivalent of rsync's --protect-args: it hands names to the
// bbcp it starts over ssh on a command line, where a remote shell would
// interpret spaces, quotes, ";" and the like, and it reads
// "[user@]host:path" out of any argument holding a colon.
var bbcpSafePath = regexp.MustCompile(`^/[A-Za-z0-9._+,=%@/-]*$`)

// BbcpSafe reports whether the absolute path p can be given to bbcp.
func BbcpSafe(p string) bool {
	return bbcpSafePath.MatchString(p)
}

// bbcpMD5 finds the source file's MD5 that "-E %md5=" makes bbcp print.
var bbcpMD5 = regexp.MustCompile(`md5 ([a-f0-9]{32})`)

// bbcpArgs is alpenhorn's bbcp command line. Each worker listens on its
// own port: 4200 + 10 × worker number (0 without workers).
func bbcpArgs(src, dst string, worker int) []string {
	return []string{"bbcp",
		"-V", // works around a bbcp bug seen on some sites
		"-f", // replace an existing target
		"-z", // reverse connection, through the source's firewall
		"--port", strconv.Itoa(4200 + 10*worker),
		"-W", "4M", // TCP window
		"-s", "16", // streams
		"-e",          // block checksums against transmission errors
		"-E", "%md5=", // MD5 of the whole file, computed at the source
		src, dst}
}

// BbcpPull copies job.Src from job.Host with bbcp into a temporary name,
// compares the MD5 bbcp reports for the source (and the size) with
// job.Expect and renames the file onto job.Dst. worker is the number of
// the worker running the pull, which picks bbcp's port. Dst's directory
// must exist: the caller creates it safely below the node root.
//
// Only remote pulls are supported, and only of paths BbcpSafe accepts
// (ErrBbcpUnsafe otherwise, before anything runs). A non-zero exit status
// makes the source suspect, as in alpenhorn, unless ssh or the connection
// failed or the command timed out; success without a reported MD5 logs
// "BBCP transfer has gone awry. …" and does not.
func BbcpPull(ctx context.Context, job Job, worker int) (Result, error) {
	res := Result{Method: MethodBbcp}
	op := string(MethodBbcp)
	if err := job.check(); err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	if job.Host == "" {
		err := errors.New("bbcp pulls only from remote nodes")
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	tmp, err := fsutil.TempPath(job.Dst)
	if err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	for _, p := range []string{job.Src, tmp} {
		if !BbcpSafe(p) {
			err := fmt.Errorf("%w: %q", ErrBbcpUnsafe, p)
			return res, &Error{Op: op, Err: err, Output: err.Error()}
		}
	}
	out, err := run(ctx, bbcpArgs(job.source(), tmp, worker), nil, job.Timeout, nil)
	switch {
	case err != nil:
		os.Remove(tmp)
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	case out.timedOut:
		os.Remove(tmp)
		return res, &Error{Op: op, Err: fmt.Errorf("timed out after %s s", FormatTimeout(job.Timeout)), TimedOut: true}
	case out.exit != 0:
		os.Remove(tmp)
		return res, &Error{
			Op:            op,
			Err:           fmt.Errorf("exit status %d", out.exit),
			Output:        out.stderr,
			SourceSuspect: !hasTransportMarker(out.stderr),
		}
	}
	m := bbcpMD5.FindStringSubmatch(out.stderr)
	if m == nil {
		os.Remove(tmp)
		logging.FromContext(ctx, logging.LoggerIOUtil).Errorf("BBCP transfer has gone awry. STDOUT: %s\n STDERR: %s", strings.ToValidUTF8(out.stdout, "\uFFFD"), out.stderr)
		// The misspelling is alpenhorn's and appears in its logs.
		return res, &Error{Op: op, Err: errors.New("no MD5 in bbcp's output"), Output: "Unable to read m5sum from bbcp output"}
	}
	res.MD5 = m[1]
	return commit(ctx, res, tmp, job.Dst, job.Expect)
}
