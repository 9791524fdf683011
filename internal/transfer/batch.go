package transfer

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// batchFormat is rsync's --out-format for a batch: each file's MD5 and
// name (see reportedMD5s).
const batchFormat = "%C %n"

// RsyncPullBatch pulls job's files with one rsync, over one ssh
// connection: the list of names goes to rsync's standard input
// (--files-from, NUL-separated) and the files are written into a staging
// directory in DstRoot (fsutil.MkStaging), which is removed at the end.
// Once rsync has ended, each file that arrived is checked against its
// Expect, as RsyncPull checks its one file (with the MD5 rsync reported
// for it where it could, else by reading it), and renamed to DstRoot/Rel.
// The files' data are flushed to disk together beforehand, and each
// destination directory once at the end, not each file on its own.
//
// The results are one per file, in job.Files' order. A file fails alone:
// for a bad Rel (not relative and clean), data that do not match its
// Expect (Integrity), or its absence on the source (SourceSuspect, by the
// rules of RsyncPull, when rsync's messages name it). A batch cut short
// by its time limit, a lost connection or a killed rsync keeps the files
// that arrived whole and fails the others with that error, which does not
// make their sources suspect. The error is non-nil only when ctx ended:
// then no file is moved out of staging any more, and the files not yet in
// place fail with ctx's cause.
func RsyncPullBatch(ctx context.Context, job BatchJob) ([]FileResult, error) {
	op := string(MethodRsync)
	results := make([]FileResult, len(job.Files))
	fail := func(idx []int, e *Error) {
		for _, i := range idx {
			c := *e
			results[i] = FileResult{Result: Result{Method: MethodRsync}, Err: &c}
		}
	}
	failErr := func(idx []int, err error) {
		fail(idx, &Error{Op: op, Err: err, Output: err.Error()})
	}

	var (
		todo []int
		list []byte
	)
	seen := make(map[string]bool, len(job.Files))
	for i, f := range job.Files {
		err := fsutil.CheckRel(f.Rel)
		if err == nil && seen[f.Rel] {
			err = fmt.Errorf("%q is listed twice", f.Rel)
		}
		if err != nil {
			failErr([]int{i}, err)
			continue
		}
		seen[f.Rel] = true
		todo = append(todo, i)
		list = append(append(list, f.Rel...), 0)
	}
	if err := job.check(); err != nil {
		failErr(todo, err)
		return results, nil
	}
	if len(todo) == 0 {
		return results, nil
	}
	dstRoot, srcRoot := filepath.Clean(job.DstRoot), filepath.Clean(job.SrcRoot)
	staging, err := fsutil.MkStaging(dstRoot)
	if err != nil {
		failErr(todo, err)
		return results, nil
	}
	defer os.RemoveAll(staging)

	src := strings.TrimSuffix(srcRoot, "/") + "/"
	if job.Host != "" {
		src = job.Host + ":" + src
	}
	format := ""
	for _, i := range todo {
		if job.Files[i].Expect.MD5 != "" {
			format = batchFormat
		}
	}
	out, inStream, err := runRsync(ctx, job.SSH, job.Host, format, []string{"--files-from=-", "--from0"}, src, staging+"/", list, job.Timeout)
	if ctx.Err() != nil {
		failErr(todo, context.Cause(ctx))
		return results, context.Cause(ctx)
	}
	failed := rsyncError(ctx, out, err, job.Timeout)
	var sums map[string]string
	if inStream {
		sums = reportedMD5s(out.stdout)
	}
	// The data of every file that arrived, flushed at once.
	if err := fsutil.SyncFS(staging); err != nil {
		failErr(todo, err)
		return results, nil
	}

	placed := map[string][]int{}
	defer func() {
		// The renames into each directory, flushed at once.
		for dir, idx := range placed {
			if err := fsutil.SyncDir(dir); err != nil {
				failErr(idx, err)
			}
		}
	}()
	for n, i := range todo {
		if ctx.Err() != nil {
			failErr(todo[n:], context.Cause(ctx))
			return results, context.Cause(ctx)
		}
		f := job.Files[i]
		staged := filepath.Join(staging, f.Rel)
		fi, err := os.Lstat(staged)
		switch {
		case errors.Is(err, os.ErrNotExist):
			results[i] = FileResult{Result: Result{Method: MethodRsync}, Err: notArrived(failed, filepath.Join(srcRoot, f.Rel))}
			continue
		case err == nil && !fi.Mode().IsRegular():
			err = fmt.Errorf("%s is not a regular file on the source", f.Rel)
			fail([]int{i}, &Error{Op: op, Err: err, Output: err.Error(), SourceSuspect: true})
			continue
		case err != nil:
			failErr([]int{i}, err)
			continue
		}
		dst := filepath.Join(dstRoot, f.Rel)
		if err := os.MkdirAll(filepath.Dir(dst), dirMode); err != nil {
			failErr([]int{i}, err)
			continue
		}
		res, err := commitWith(ctx, Result{Method: MethodRsync, MD5: sums[f.Rel]}, staged, dst, f.Expect, fsutil.CommitStaged)
		results[i] = FileResult{Result: res, Err: err}
		if err == nil {
			placed[filepath.Dir(dst)] = append(placed[filepath.Dir(dst)], i)
		}
	}
	return results, nil
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

// reportedMD5s reads the lines that --out-format=batchFormat printed, a
// 32-digit hex MD5 (blanks for a directory, or when rsync knows none), a
// space and the name, and returns the MD5 of each file, by name. A name
// printed more than once (a transfer rsync redid, or messages imitating
// the line) has none: its file is read again, as are those not found.
func reportedMD5s(stdout string) map[string]string {
	sums := map[string]string{}
	for line := range strings.Lines(stdout) {
		line = strings.TrimSuffix(line, "\n")
		if len(line) < 34 || line[32] != ' ' {
			continue
		}
		sum, name := line[:32], rsyncUnescape(line[33:])
		if _, err := hex.DecodeString(sum); err != nil {
			sum = ""
		}
		if _, dup := sums[name]; dup {
			sum = ""
		}
		sums[name] = sum
	}
	return sums
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
