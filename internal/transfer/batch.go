package transfer

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
)

// BatchFile is one file of a batch pull.
type BatchFile struct {
	// Rel is the file's path relative to both nodes' roots ("acq/name").
	Rel    string
	Expect Expect
}

// BatchJob describes the pull of many files from one remote node.
type BatchJob struct {
	// Host is "username@address" of the source node.
	Host string
	// SrcRoot and DstRoot are the absolute roots of the source node (on
	// Host) and of the destination node (here).
	SrcRoot, DstRoot string
	Files            []BatchFile
	// Timeout is the limit, in seconds, for the whole batch; zero means
	// none.
	Timeout float64
	SSH     *SSH
}

// FileResult is the outcome of one file of a batch: Err is nil when the
// file is at DstRoot/Rel, checked against its Expect.
type FileResult struct {
	Result Result
	Err    error
}

// PlacedFile is a file of a batch now in place: Files[Index] of its job.
type PlacedFile struct {
	Index  int
	Result Result
}

// batchFormat is rsync's --out-format for a batch: each file's MD5 and
// name (see reports).
const batchFormat = "%C %n"

// RsyncPullBatch pulls job's files with one rsync, over one ssh
// connection: the list of names goes to rsync's standard input
// (--files-from, NUL-separated) and the files are written into a staging
// directory in DstRoot (fsutil.MkStaging), which is removed at the end.
// Each file that arrived is checked against its Expect, as RsyncPull
// checks its one file (with the MD5 rsync reported for it where it could,
// else by reading it), and renamed to DstRoot/Rel: while rsync goes on,
// for the files it has reported whole (a chunk at a time, as they come),
// and for the rest once it has ended. The data of a chunk's files are
// flushed to disk together before they take their names, and the
// chunk's destination directories once after. Those directories must
// exist (the caller creates them safely below the node root): a file
// whose directory is missing fails.
//
// placed, when not nil, is called with each chunk's files once they are
// in place, one chunk after the other, while the next ones are still
// coming: the caller records them as the batch goes on. An error from it
// ends the batch: no file is moved out of staging any more, the others
// fail with that error, and RsyncPullBatch returns it.
//
// The results are one per file, in job.Files' order. A file fails alone:
// for a bad Rel (not relative and clean), data that do not match its
// Expect (Integrity), or its absence on the source (SourceSuspect, by the
// rules of RsyncPull, when rsync's messages name it). A batch cut short
// by its time limit, a lost connection or a killed rsync keeps the files
// that arrived whole and fails the others with that error, which does not
// make their sources suspect. When ctx ends, no file is moved out of
// staging any more, the files not yet in place fail with ctx's cause, and
// that is returned.
func RsyncPullBatch(ctx context.Context, job BatchJob, placed func([]PlacedFile) error) ([]FileResult, error) {
	b := &batch{job: job, placed: placed, results: make([]FileResult, len(job.Files))}
	todo, list := b.list()
	if err := job.check(); err != nil {
		b.failErr(todo, err)
		return b.results, nil
	}
	if len(todo) == 0 {
		return b.results, nil
	}
	b.dstRoot, b.srcRoot = filepath.Clean(job.DstRoot), filepath.Clean(job.SrcRoot)
	var err error
	if b.staging, err = fsutil.MkStaging(b.dstRoot); err != nil {
		b.failErr(todo, err)
		return b.results, nil
	}
	defer os.RemoveAll(b.staging)

	src := strings.TrimSuffix(b.srcRoot, "/") + "/"
	if job.Host != "" {
		src = job.Host + ":" + src
	}
	format := ""
	for _, i := range todo {
		if job.Files[i].Expect.MD5 != "" {
			format = batchFormat
		}
	}
	b.reports = newReports()
	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	b.stopRsync = stop
	ended, followed := make(chan struct{}), make(chan struct{})
	go b.follow(ctx, ended, followed)
	out, _, err := runRsync(rctx, job.SSH, job.Host, format, []string{"--files-from=-", "--from0"}, src, b.staging+"/", list, job.Timeout, b.reports)
	close(ended)
	<-followed
	left := b.left(todo)
	switch {
	case ctx.Err() != nil:
		b.failErr(left, context.Cause(ctx))
		return b.results, context.Cause(ctx)
	case b.err != nil:
		b.failErr(left, b.err)
		return b.results, b.err
	}
	b.place(ctx, left, rsyncError(ctx, out, err, job.Timeout))
	if ctx.Err() != nil {
		return b.results, context.Cause(ctx)
	}
	return b.results, b.err
}

// batch is the state of one RsyncPullBatch.
type batch struct {
	job                       BatchJob
	placed                    func([]PlacedFile) error
	results                   []FileResult
	done                      []bool // by index in job.Files: its result is final
	staging, dstRoot, srcRoot string
	reports                   *reports
	// index is the position in job.Files of each file pulled, by Rel.
	index map[string]int
	// stopRsync ends the transfer, and err is why, when a chunk could
	// not be placed or recorded.
	stopRsync context.CancelCauseFunc
	err       error
}

// list checks job's names and returns the indexes of the files to pull
// and their NUL-separated list; a bad name fails its file.
func (b *batch) list() (todo []int, list []byte) {
	b.done = make([]bool, len(b.job.Files))
	b.index = make(map[string]int, len(b.job.Files))
	for i, f := range b.job.Files {
		err := fsutil.CheckRel(f.Rel)
		if _, dup := b.index[f.Rel]; err == nil && dup {
			err = fmt.Errorf("%q is listed twice", f.Rel)
		}
		if err != nil {
			b.failErr([]int{i}, err)
			continue
		}
		b.index[f.Rel] = i
		todo = append(todo, i)
		list = append(append(list, f.Rel...), 0)
	}
	return todo, list
}

func (b *batch) fail(idx []int, e *Error) {
	for _, i := range idx {
		c := *e
		b.results[i] = FileResult{Result: Result{Method: MethodRsync}, Err: &c}
		b.done[i] = true
	}
}

func (b *batch) failErr(idx []int, err error) {
	b.fail(idx, &Error{Op: string(MethodRsync), Err: err, Output: err.Error()})
}

// left returns those of todo without a final result.
func (b *batch) left(todo []int) []int {
	var out []int
	for _, i := range todo {
		if !b.done[i] {
			out = append(out, i)
		}
	}
	return out
}

// follow places, while rsync runs, the files it has reported that are
// whole in staging: rsync prints a file's line just before it gives the
// file its name there, so a file reported but not yet there waits for a
// later chunk. It returns (closing followed) when rsync has ended.
func (b *batch) follow(ctx context.Context, ended <-chan struct{}, followed chan<- struct{}) {
	defer close(followed)
	var waiting []int
	for {
		select {
		case <-ended:
			return
		case <-b.reports.more:
		}
		for _, name := range b.reports.take() {
			if i, ok := b.index[name]; ok && !b.done[i] {
				waiting = append(waiting, i)
			}
		}
		var ready []int
		rest := waiting[:0]
		for _, i := range waiting {
			fi, err := os.Lstat(filepath.Join(b.staging, b.job.Files[i].Rel))
			if err == nil && fi.Mode().IsRegular() {
				ready = append(ready, i)
			} else {
				rest = append(rest, i)
			}
		}
		waiting = rest
		if len(ready) > 0 {
			b.place(ctx, ready, nil)
			if b.err != nil || ctx.Err() != nil {
				return
			}
		}
	}
}

// place checks the files idx in staging and moves them into place; those
// not there fail with notArrived(failed). Their data are flushed first,
// and their directories after; then placed records them.
func (b *batch) place(ctx context.Context, idx []int, failed *Error) {
	if err := fsutil.SyncFS(b.staging); err != nil {
		b.failErr(idx, err)
		return
	}
	dirs := map[string][]int{}
	var moved []int
	for _, i := range idx {
		if ctx.Err() != nil {
			return
		}
		f := b.job.Files[i]
		staged := filepath.Join(b.staging, f.Rel)
		fi, err := os.Lstat(staged)
		switch {
		case errors.Is(err, os.ErrNotExist):
			b.results[i] = FileResult{Result: Result{Method: MethodRsync}, Err: notArrived(failed, filepath.Join(b.srcRoot, f.Rel))}
			b.done[i] = true
			continue
		case err == nil && !fi.Mode().IsRegular():
			err = fmt.Errorf("%s is not a regular file on the source", f.Rel)
			b.fail([]int{i}, &Error{Op: string(MethodRsync), Err: err, Output: err.Error(), SourceSuspect: true})
			continue
		case err != nil:
			b.failErr([]int{i}, err)
			continue
		}
		dst := filepath.Join(b.dstRoot, f.Rel)
		res, err := commitWith(ctx, Result{Method: MethodRsync, MD5: b.reports.sum(f.Rel)}, staged, dst, f.Expect, fsutil.CommitStaged)
		b.results[i] = FileResult{Result: res, Err: err}
		b.done[i] = true
		if err == nil {
			dirs[filepath.Dir(dst)] = append(dirs[filepath.Dir(dst)], i)
			moved = append(moved, i)
		}
	}
	// The renames into each directory, flushed at once.
	for dir, in := range dirs {
		if err := fsutil.SyncDir(dir); err != nil {
			b.failErr(in, err)
		}
	}
	var ok []PlacedFile
	for _, i := range moved {
		if b.results[i].Err == nil {
			ok = append(ok, PlacedFile{Index: i, Result: b.results[i].Result})
		}
	}
	if b.placed == nil || len(ok) == 0 {
		return
	}
	if err := b.placed(ok); err != nil {
		b.err = err
		b.stopRsync(err)
	}
}

func (j BatchJob) check() error {
	for _, p := range []string{j.SrcRoot, j.DstRoot} {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("node root %q is not an absolute path", p)
		}
		if strings.ContainsRune(p, 0) {
			return errors.New("path contains a NUL byte")
		}
	}
	if j.Host != "" {
		return checkHost(j.Host)
	}
	return nil
}

// notArrived is the error of a file that rsync did not deliver. After a
// failed rsync (failed) it is that failure, with the messages that name
// the file's source path src as its Output when there are any; the source
// is suspect only when failed's are and one of the messages names it.
func notArrived(failed *Error, src string) *Error {
	if failed == nil {
		err := fmt.Errorf("rsync did not deliver %s", src)
		return &Error{Op: string(MethodRsync), Err: err, Output: err.Error()}
	}
	e := *failed
	var about []string
	for line := range strings.Lines(failed.Output) {
		if strings.Contains(rsyncUnescape(line), `"`+src+`"`) {
			about = append(about, line)
		}
	}
	e.SourceSuspect = failed.SourceSuspect && about != nil
	if about != nil {
		e.Output = strings.Join(about, "")
	}
	return &e
}

// reports collects the lines that --out-format=batchFormat prints, as
// rsync prints them: a 32-digit hex MD5 (blanks for a directory, or when
// rsync knows none), a space and the name. A name printed more than once
// (a transfer rsync redid) has no MD5: its file is read again, as are
// those not reported. It is the io.Writer of rsync's standard output.
type reports struct {
	mu sync.Mutex
	// part is the start of a line not yet ended.
	part []byte
	sums map[string]string
	// fresh are the names reported since the last take.
	fresh []string
	// more holds a token while there is news.
	more chan struct{}
}

func newReports() *reports {
	return &reports{sums: map[string]string{}, more: make(chan struct{}, 1)}
}

func (r *reports) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.part = append(r.part, p...)
	for {
		end := bytes.IndexByte(r.part, '\n')
		if end < 0 {
			break
		}
		line := string(r.part[:end])
		r.part = r.part[end+1:]
		if len(line) < 34 || line[32] != ' ' {
			continue
		}
		sum, name := line[:32], rsyncUnescape(line[33:])
		if _, err := hex.DecodeString(sum); err != nil {
			sum = ""
		}
		if _, dup := r.sums[name]; dup {
			sum = ""
		}
		r.sums[name] = sum
		r.fresh = append(r.fresh, name)
	}
	if len(r.fresh) > 0 {
		r.wake()
	}
	return len(p), nil
}

// wake makes more ready.
func (r *reports) wake() {
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// take returns the names reported since the last call.
func (r *reports) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := r.fresh
	r.fresh = nil
	return fresh
}

// sum is the MD5 reported for name, "" for none.
func (r *reports) sum(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sums[name]
}

// rsyncUnescape undoes rsync's escaping of file names in what it prints:
// a byte it will not print (a control character, and in some locales any
// byte beyond ASCII) is written "\#ooo" in octal, as is a backslash that
// would otherwise start such a sequence.
func rsyncUnescape(s string) string {
	if !strings.Contains(s, `\#`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 < len(s) && s[i+1] == '#' && isOctal(s[i+2]) && isOctal(s[i+3]) && isOctal(s[i+4]) {
			b.WriteByte((s[i+2]-'0')<<6 | (s[i+3]-'0')<<3 | (s[i+4] - '0'))
			i += 4
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
