// Package transfer carries out the pulls of the Default I/O class: hard
// link, in-process copy, rsync (local, or remote over ssh) and bbcp.
//
// Every method writes the file under a temporary dot-name beside the
// destination (fsutil.TempPath), or a batch into a staging directory of
// the destination node (fsutil.MkStaging), checks it against what the
// data index records (Expect) and only then renames it onto the
// destination, so the final name never holds a partial or unverified file
// and the import watcher never sees one. On any failure the temporary file is removed and
// the destination is left as it was.
//
// Failures are *Error values saying whether the source copy may be at
// fault (the daemon then marks it suspect) or whether the file arrived
// damaged. Log lines that alpenhorn writes from its transfer functions
// ("Running command …", "Process overrun …", "hardlink failed: …",
// "rsync file creation failed", …) are written here, with the thread name
// carried by ctx; the lines naming the request ("Pulling remote file …",
// "Hardlinked local file …", "Copy failed …") are the caller's.
package transfer

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Method names a way of pulling, spelt as the pull_running_count metric's
// "method" label.
type Method string

// The pull methods.
const (
	MethodLink     Method = "link"
	MethodInternal Method = "internal"
	MethodRsync    Method = "rsync"
	MethodBbcp     Method = "bbcp"
)

// Expect is what the data index records about the file being pulled. A
// zero Size or an empty MD5 is unknown and not checked (alpenhorn's check
// task likewise ignores a zero size).
type Expect struct {
	Size int64
	MD5  string
}

// Job describes one pull.
type Job struct {
	// Src is the absolute path of the source file: on this host, or on
	// Host for a remote pull.
	Src string
	// Host is "username@address" of the source node for a remote pull,
	// empty for a local one.
	Host string
	// Dst is the absolute path the file must end up at. Missing parent
	// directories are created; an existing file is replaced atomically.
	Dst string
	// Expect is checked before the file takes its final name.
	Expect Expect
	// Timeout is the limit, in seconds, for the transfer (PullTimeout);
	// zero means none.
	Timeout float64
	// SrcRoot is the source node's root, for a local pull: a hard link's
	// source must resolve to a file under it.
	SrcRoot string
	// SSH is how a remote pull reaches Host (nil: plain ssh).
	SSH *SSH
}

// Result describes a finished pull.
type Result struct {
	Method Method
	// Size is the byte size of the file now at Dst.
	Size int64
	// MD5 is the hex digest of the data, when the method computed it (the
	// in-process copy, a verified rsync or hard link) or reported it
	// (bbcp); empty when Expect.MD5 was and nothing computed it.
	MD5 string
}

// Error is a failed pull.
type Error struct {
	// Op is the method ("link", "internal", "rsync", "bbcp") or "verify"
	// for a failure while checking the finished file.
	Op  string
	Err error
	// Output is the text alpenhorn logs after "Output: ": the command's
	// standard error, or the error's text. Empty after a time-out.
	Output string
	// SourceSuspect is true when the source copy may be at fault, so it
	// should be checked (has_file 'M'). Failures that are clearly on the
	// destination side, in the transport (ssh, network, protocol), a
	// time-out or a cancellation leave it false.
	SourceSuspect bool
	// Integrity is true when the transfer completed but the data does not
	// match Expect (size or MD5). The source is then suspect too.
	Integrity bool
	// TimedOut is true when Job.Timeout ran out.
	TimedOut bool
}

func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// SourceSuspect reports whether err is a failed pull that casts doubt on
// the source copy.
func SourceSuspect(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.SourceSuspect || e.Integrity)
}

// Defaults of daemon.pull_timeout_base and daemon.pull_bytes_per_second.
const (
	DefaultPullTimeoutBase    = 300.0
	DefaultPullBytesPerSecond = 20e6
)

// PullTimeout returns the time limit, in seconds, for pulling a file of
// sizeB bytes: base + sizeB/bytesPerSecond, or 0 (no limit) when
// bytesPerSecond is 0. With the defaults 1e8 bytes get 305 s.
func PullTimeout(sizeB int64, base, bytesPerSecond float64) float64 {
	if bytesPerSecond == 0 {
		return 0
	}
	return base + float64(sizeB)/bytesPerSecond
}

// FormatTimeout prints a limit in seconds as alpenhorn's log lines do
// (Python's float repr: "305.0", "300.0000026"), or "None" for no limit.
func FormatTimeout(seconds float64) string {
	if seconds == 0 {
		return "None"
	}
	return pyFloat(seconds)
}

// pyFloat mimics Python's repr of a float: the shortest digits that read
// back exactly, in exponent form outside [1e-4, 1e16), and always with a
// decimal point otherwise.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (j Job) check() error {
	if !filepath.IsAbs(j.Src) {
		return fmt.Errorf("source %q is not an absolute path", j.Src)
	}
	if !filepath.IsAbs(j.Dst) {
		return fmt.Errorf("destination %q is not an absolute path", j.Dst)
	}
	if strings.ContainsRune(j.Src, 0) || strings.ContainsRune(j.Dst, 0) {
		return errors.New("path contains a NUL byte")
	}
	if j.Host != "" {
		return checkHost(j.Host)
	}
	return nil
}

// checkHost refuses a "username@address" that ssh could take for an option
// or that would not survive rsync's "host:path" parsing: no leading "-" in
// either part, no whitespace, control characters, "/" or extra "@", and a
// ":" in the address only inside brackets (an IPv6 literal).
func checkHost(host string) error {
	user, addr, ok := strings.Cut(host, "@")
	if !ok || user == "" || addr == "" {
		return fmt.Errorf("remote source %q is not of the form username@address", host)
	}
	for _, part := range []string{user, addr} {
		if strings.HasPrefix(part, "-") {
			return fmt.Errorf("remote source %q: %q may not start with \"-\"", host, part)
		}
		for _, r := range part {
			if r <= ' ' || r == 0x7f || r == '/' || r == '@' || r == '\\' || r == '\'' || r == '"' {
				return fmt.Errorf("remote source %q: character %q not allowed", host, r)
			}
		}
	}
	if strings.Contains(user, ":") {
		return fmt.Errorf("remote source %q: \":\" not allowed in the username", host)
	}
	bracketed := strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]")
	if strings.Contains(addr, ":") && !bracketed {
		return fmt.Errorf("remote source %q: an IPv6 address must be written in brackets", host)
	}
	return nil
}

// source is the transfer command's source argument.
func (j Job) source() string {
	if j.Host == "" {
		return j.Src
	}
	return j.Host + ":" + j.Src
}
