package fsutil

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// ErrStalled is the cause of an MD5File that made no progress for
// MD5StallTimeout; alpenhorn then logs "Timeout trying to MD5 {path}." and
// records no hash.
var ErrStalled = errors.New("no progress reading the file")

// MD5StallTimeout bounds the wait for a single read while hashing, as
// alpenhorn bounds each 32 MiB chunk by ten minutes: a file on a hung
// mount gives up, a large but steadily progressing one never does.
const MD5StallTimeout = 600 * time.Second

// BufferSize is the read size used when hashing and copying. Large reads
// keep the per-call overhead negligible on network and tape-backed mounts.
const BufferSize = 1 << 20

// hashBuffers recycles MD5File's read buffers. An import hashes every
// file it registers: allocating a fresh buffer for each small file took
// 40 times as long as hashing it, kept the collector busy (9 % of an
// import's CPU) and the heap churning. Pooled, the buffer's size costs
// only memory, one buffer per hash running at once; reads of 64 KiB to
// 4 MiB hashed equally fast.
var hashBuffers = sync.Pool{New: func() any { return new([BufferSize]byte) }}

// abandonGrace is how long Bounded keeps waiting after its context ends for
// the work to notice; only a system call stuck on a dead mount takes longer.
const abandonGrace = 10 * time.Second

// Bounded runs fn in a goroutine of its own and returns its error. fn must
// watch ctx between its blocking calls. Should fn still be stuck in a system
// call that ignores ctx (a read from a hung network or tape mount) a while
// after ctx ends, Bounded stops waiting and returns context.Cause(ctx); fn
// is left to finish, and clean up after itself, in the background.
func Bounded(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(abandonGrace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return context.Cause(ctx)
	}
}

// MD5File returns the lower-case hex MD5 digest of the file at path,
// reading it once in BufferSize pieces. It stops with ctx's cause when ctx
// ends and with ErrStalled when one read takes longer than
// MD5StallTimeout. Open and read errors are returned wrapped, so
// errors.Is(err, fs.ErrNotExist) and fs.ErrPermission work.
func MD5File(ctx context.Context, path string) (string, error) {
	return md5File(ctx, path, MD5StallTimeout)
}

func md5File(ctx context.Context, path string, stall time.Duration) (string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(stall, func() { cancel(ErrStalled) })
	defer watchdog.Stop()

	var sum string
	err := Bounded(ctx, func() error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		// Closing wakes a read blocked on a pipe or socket; on a regular
		// file it takes effect once the read returns.
		stop := context.AfterFunc(ctx, func() { f.Close() })
		defer stop()
		h := md5.New()
		// Returned only once fn is done with it, even if Bounded stopped
		// waiting for it long before.
		buf := hashBuffers.Get().(*[BufferSize]byte)
		defer hashBuffers.Put(buf)
		for {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			n, err := f.Read(buf[:])
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			watchdog.Reset(stall)
			h.Write(buf[:n])
			if err == io.EOF {
				sum = hex.EncodeToString(h.Sum(nil))
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return "", err
	}
	return sum, nil
}
