package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// ErrNoLink is wrapped by HardLink's error when no hard link could be made
// (typically source and destination on different filesystems); the pull
// should go on with another method.
var ErrNoLink = errors.New("no hard link")

// linkTimeout is alpenhorn's limit on making a hard link.
const linkTimeout = 600 * time.Second

// HardLink makes job.Dst a hard link to the local file job.Src, replacing
// any file at Dst atomically. Unlike alpenhorn, which built the destination
// from the directory and the base name and so never linked files whose
// name contains "/" (such as "23/1324.dat"), the full destination path is
// used; its directory must exist (the caller creates it safely below the
// node root). The link is checked against job.Expect like any other pull:
// its size, and its MD5 when Expect.MD5 is set (the file is then read).
//
// A source that resolves, through symbolic links, to a place outside
// job.SrcRoot (when set), and a destination that already is the source
// file (a damaged copy cannot be repaired from itself), are refused with
// an *Error that does not make the source suspect. Any other failure to
// link is logged at DEBUG ("hardlink failed: …") and returned wrapping
// ErrNoLink. Linking that takes longer than ten minutes (a hung mount)
// logs "Timeout trying to hardlink …" and is a failed pull.
func HardLink(ctx context.Context, job Job) (Result, error) {
	res := Result{Method: MethodLink}
	if err := job.check(); err != nil {
		return res, &Error{Op: string(MethodLink), Err: err, Output: err.Error()}
	}
	log := logging.FromContext(ctx, logging.LoggerIOUtil)

	lctx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	var tmp string
	err := fsutil.Bounded(lctx, func() error {
		src, err := linkSource(job)
		if err != nil {
			return err
		}
		p, err := fsutil.TempPath(job.Dst)
		if err != nil {
			return err
		}
		if err := os.Link(src, p); err != nil {
			return err
		}
		if lctx.Err() != nil {
			// Given up on meanwhile: the caller has moved on.
			os.Remove(p)
			return context.Cause(lctx)
		}
		tmp = p
		return nil
	})
	var refused *Error
	switch {
	case err == nil:
		return commit(ctx, res, tmp, job.Dst, job.Expect)
	case ctx.Err() != nil:
		return res, &Error{Op: string(MethodLink), Err: context.Cause(ctx)}
	case lctx.Err() != nil:
		log.Warnf(`Timeout trying to hardlink "%s".`, job.Dst)
		return res, &Error{Op: string(MethodLink), Err: fmt.Errorf("hard link %s: %w", job.Dst, lctx.Err()), TimedOut: true}
	case errors.As(err, &refused):
		return res, refused
	}
	log.Debugf("hardlink failed: %v", err)
	return res, fmt.Errorf("%w: %w", ErrNoLink, err)
}

// linkSource returns the file a hard link for job is made to: job.Src
// with symbolic links resolved, which must lie under job.SrcRoot (also
// resolved) when that is set, and must not be the file at job.Dst. A
// refusal is an *Error; a source that cannot be resolved (a missing one)
// is left to the caller's other methods.
func linkSource(job Job) (string, error) {
	refuse := func(err error) (string, error) {
		return "", &Error{Op: string(MethodLink), Err: err, Output: err.Error()}
	}
	src, err := filepath.EvalSymlinks(job.Src)
	if err != nil {
		return "", err
	}
	if job.SrcRoot != "" {
		root, err := filepath.EvalSymlinks(job.SrcRoot)
		if err != nil {
			return refuse(fmt.Errorf("resolve source node root: %w", err))
		}
		if _, err := fsutil.Rel(root, src); err != nil {
			return refuse(fmt.Errorf("source %s resolves to %s, outside the source node's root %s", job.Src, src, root))
		}
	}
	if di, err := os.Stat(job.Dst); err == nil {
		if si, err := os.Stat(src); err == nil && os.SameFile(si, di) {
			return refuse(fmt.Errorf("destination %s is the source file %s itself", job.Dst, job.Src))
		}
	}
	return src, nil
}

// Copy copies the local file job.Src to job.Dst within this process,
// reading the source once and computing its MD5 on the way. Blocks of
// zeros are not written but left as holes, so a sparse source gives a
// sparse copy (as rsync --sparse does). The copy (mode and modification
// time included) is flushed to disk under a temporary name, compared with job.Expect and only then renamed onto
// Dst. Like alpenhorn it logs "verifying {dst} after local copy" before the
// comparison and "local copy failed: {error}" on failure. Dst's directory
// must exist: the caller creates it safely below the node root.
//
// A read error on the source makes the source suspect; a write error on
// the destination (a full disk, say), a time-out or a cancellation do not.
func Copy(ctx context.Context, job Job) (Result, error) {
	res := Result{Method: MethodInternal}
	op := string(MethodInternal)
	if err := job.check(); err != nil {
		return res, &Error{Op: op, Err: err, Output: err.Error()}
	}
	log := logging.FromContext(ctx, logging.LoggerIOUtil)

	cctx := ctx
	if job.Timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, time.Duration(job.Timeout*float64(time.Second)))
		defer cancel()
	}
	var (
		tmp     string
		sum     string
		n       int64
		srcSide bool
	)
	err := fsutil.Bounded(cctx, func() error {
		var err error
		tmp, sum, n, srcSide, err = copyToTemp(cctx, job.Src, job.Dst)
		return err
	})
	if err != nil {
		e := &Error{Op: op, Err: err}
		switch {
		case ctx.Err() != nil:
			e.Err = context.Cause(ctx)
		case cctx.Err() != nil:
			e.Err = fmt.Errorf("copy %s: timed out after %s s", job.Src, FormatTimeout(job.Timeout))
			e.TimedOut = true
		default:
			// Only here has the copy certainly finished, so srcSide is set.
			e.SourceSuspect = srcSide
		}
		e.Output = e.Err.Error()
		log.Warnf("local copy failed: %v", e.Err)
		return res, e
	}
	log.Infof(`verifying "%s" after local copy`, job.Dst)
	res.Size, res.MD5 = n, sum
	return commit(ctx, res, tmp, job.Dst, job.Expect)
}

// copyToTemp copies src into a new temporary file beside dst and flushes
// it. srcSide tells whether a failure came from reading the source. The
// temporary file is removed on failure, also when the caller has stopped
// waiting.
func copyToTemp(ctx context.Context, src, dst string) (tmp, sum string, n int64, srcSide bool, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", "", 0, true, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return "", "", 0, true, err
	}
	if !fi.Mode().IsRegular() {
		return "", "", 0, true, fmt.Errorf("%s is not a regular file", src)
	}
	out, err := fsutil.CreateTemp(dst)
	if err != nil {
		return "", "", 0, false, err
	}
	name := out.Name()
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(name)
		}
	}()

	h := md5.New()
	n, err = copyHashing(ctx, sparseWriter{out}, h, in)
	if err == nil && ctx.Err() != nil {
		// The last read returned only after the caller gave up waiting.
		err = context.Cause(ctx)
	}
	if err != nil {
		var re *readError
		return "", "", 0, errors.As(err, &re), err
	}
	// A trailing hole was skipped, not written.
	if err = out.Truncate(n); err != nil {
		return "", "", 0, false, err
	}
	if err = out.Chmod(fi.Mode().Perm()); err != nil {
		return "", "", 0, false, err
	}
	if err = out.Sync(); err != nil {
		return "", "", 0, false, err
	}
	if err = out.Close(); err != nil {
		return "", "", 0, false, err
	}
	if err = os.Chtimes(name, time.Time{}, fi.ModTime()); err != nil {
		return "", "", 0, false, err
	}
	return name, hex.EncodeToString(h.Sum(nil)), n, false, nil
}

// readError marks a failure to read the source.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// copyHashing copies r to w and h, checking ctx between reads. Hashing
// runs beside the copying, on buffers handed over as they are written:
// MD5 is about as slow as the copy itself, so doing both in turn would
// nearly halve the speed.
func copyHashing(ctx context.Context, w io.Writer, h io.Writer, r io.Reader) (int64, error) {
	const buffers = 4
	free := make(chan []byte, buffers)
	for range buffers {
		free <- make([]byte, fsutil.BufferSize)
	}
	full := make(chan []byte, buffers)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range full {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	// The caller reads the hash as soon as this returns.
	defer func() {
		close(full)
		<-hashed
	}()

	var n int64
	for {
		if ctx.Err() != nil {
			return n, context.Cause(ctx)
		}
		buf := <-free
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := w.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
			full <- buf[:m]
		} else {
			free <- buf
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, &readError{rerr}
		}
	}
}

// sparseBlock is the unit in which sparseWriter looks for zeros: the block
// size of common filesystems, the least a hole can take.
const sparseBlock = 4096

var zeroBlock [sparseBlock]byte

// sparseWriter writes to a file, seeking over whole blocks of zeros
// instead of writing them. The file must be truncated to its size at the
// end, for a run of zeros at its end.
type sparseWriter struct{ f *os.File }

func (w sparseWriter) Write(p []byte) (int, error) {
	for off := 0; off < len(p); {
		zero := isZeroBlock(p[off:])
		end := off
		for end < len(p) && isZeroBlock(p[end:]) == zero {
			end = min(end+sparseBlock, len(p))
		}
		var err error
		if zero {
			_, err = w.f.Seek(int64(end-off), io.SeekCurrent)
		} else {
			_, err = w.f.Write(p[off:end])
		}
		if err != nil {
			return off, err
		}
		off = end
	}
	return len(p), nil
}

// isZeroBlock reports whether the first block of p (or p, if shorter) is
// all zeros.
func isZeroBlock(p []byte) bool {
	b := p[:min(len(p), sparseBlock)]
	return bytes.Equal(b, zeroBlock[:len(b)])
}
