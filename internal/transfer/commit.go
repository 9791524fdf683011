package transfer

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
)

// Commit checks the finished temporary file tmp against exp (its size and,
// when exp.MD5 is set, its MD5) and renames it onto dst, which must be in
// the same directory (see fsutil.CommitTemp). tmp is removed when the check
// or the rename fails. A mismatch is an *Error with Integrity set.
func Commit(ctx context.Context, tmp, dst string, exp Expect) (Result, error) {
	return commit(ctx, Result{}, tmp, dst, exp)
}

// commit is Commit for a method that may already know the data's MD5
// (res.MD5); the file is hashed only when exp needs an MD5 and none is known.
func commit(ctx context.Context, res Result, tmp, dst string, exp Expect) (Result, error) {
	place := fsutil.CommitTemp
	if res.Method == MethodLink {
		place = fsutil.CommitLink
	}
	return commitWith(ctx, res, tmp, dst, exp, place)
}

// commitWith is commit with place moving the checked file into place.
func commitWith(ctx context.Context, res Result, tmp, dst string, exp Expect, place func(tmp, dst string) error) (Result, error) {
	fail := func(err error) (Result, error) {
		os.Remove(tmp)
		if e, ok := err.(*Error); ok {
			return res, e
		}
		return res, &Error{Op: "verify", Err: err, Output: err.Error()}
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return fail(err)
	}
	res.Size = fi.Size()
	if exp.MD5 != "" && res.MD5 == "" {
		if res.MD5, err = fsutil.MD5File(ctx, tmp); err != nil {
			return fail(err)
		}
	}
	if err := compare(exp, res.Size, res.MD5); err != nil {
		return fail(err)
	}
	if err := place(tmp, dst); err != nil {
		return fail(err)
	}
	return res, nil
}

// compare checks a file of size bytes with digest sum (empty: not known)
// against exp.
func compare(exp Expect, size int64, sum string) error {
	if exp.Size != 0 && size != exp.Size {
		err := fmt.Errorf("size %d; expected %d", size, exp.Size)
		return &Error{Op: "verify", Err: err, Output: err.Error(), Integrity: true}
	}
	if exp.MD5 != "" && sum != "" && !strings.EqualFold(sum, exp.MD5) {
		err := fmt.Errorf("MD5 %s; expected %s", sum, exp.MD5)
		return &Error{Op: "verify", Err: err, Output: err.Error(), Integrity: true}
	}
	return nil
}
