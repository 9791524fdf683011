package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileCreateCommand) }

func fileCreateCommand(a *App) *cobra.Command {
	var fromFile bool
	var md5, prefix stringValue
	var size intValue
	cmd := leaf("create NAME ACQ", "Register a new file in an acquisition", func(cmd *cobra.Command, args []string) error {
		name, acqName := args[0], args[1]
		// An empty --md5 or --prefix counts as absent in the option checks,
		// as it does in alpenhorn; a size of 0 is a size.
		if err := bothOrNeither(cmd, "md5", md5.v != "", "size", size.set); err != nil {
			return err
		}
		if err := notBoth(cmd, "from-file", fromFile, "md5", md5.v != ""); err != nil {
			return err
		}
		if !md5.set && !fromFile {
			return usageErrorf(cmd, "missing either --from-file or both --md5 and --size")
		}
		if err := requires(cmd, "prefix", prefix.v != "", "from_file", fromFile); err != nil {
			return err
		}
		if size.set && size.v < 0 {
			return errors.New("negative file size.")
		}
		if reason := db.InvalidImportPath(name); reason != "" {
			return fmt.Errorf("invalid name: %s", reason)
		}
		if err := db.CheckLength("file name", name, db.MaxFileName); err != nil {
			return err
		}
		if md5.set {
			if err := checkMD5(md5.v); err != nil {
				return err
			}
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		newFile := func(tx *gorm.DB) (*db.ArchiveAcq, error) {
			acq, err := resolveAcq(d, tx, acqName, "No such acquisition: %s")
			if err != nil {
				return nil, err
			}
			f, err := index.FindFileInAcq(tx, acq.ID, name)
			if err != nil {
				return nil, err
			}
			if f != nil {
				return nil, fmt.Errorf("the File \"%s/%s\" already exists", acqName, name)
			}
			return acq, nil
		}
		sum, bytes := md5.v, size.v
		if fromFile {
			// Checked before hashing, which may take long, and again below.
			if err := d.Transaction(ctx, func(tx *gorm.DB) error { _, err := newFile(tx); return err }); err != nil {
				return err
			}
			local := acqName + "/" + name
			if prefix.v != "" {
				local = prefix.v + "/" + local
			}
			// Hashing reports no position: a spinner shows it is alive.
			bar := a.newProgress("Hashing "+local, -1)
			stop := bar.spin()
			sum, bytes, err = scanLocalFile(ctx, normalisePath(local))
			stop()
			bar.clear()
			if err != nil {
				return err
			}
		}
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			acq, err := newFile(tx)
			if err != nil {
				return err
			}
			return index.CreateFile(tx, &db.ArchiveFile{AcqID: acq.ID, Name: name, SizeB: &bytes, MD5Sum: &sum, Registered: db.Now()})
		})
		if err != nil {
			return err
		}
		a.Echo("Registered File %s/%s.", acqName, name)
		return nil
	})
	cmd.Flags().BoolVar(&fromFile, "from-file", false, "compute the size and MD5 hash from a local copy at PREFIX/ACQ/NAME")
	cmd.Flags().Var(&md5, "md5", "the file's MD5 `HASH` (32 hex digits)")
	cmd.Flags().Var(&prefix, "prefix", "with --from-file: the directory `PREFIX` holding ACQ/NAME (default: the current directory)")
	cmd.Flags().Var(&size, "size", "the file's `SIZE` in bytes")
	return cmd
}

// checkMD5 accepts exactly 32 hexadecimal digits.
func checkMD5(h string) error {
	ok := len(h) == 32
	for i := 0; ok && i < len(h); i++ {
		c := h[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	if !ok {
		return fmt.Errorf("invalid hash: %s.  Expected 32 hex digits.", h)
	}
	return nil
}

// scanLocalFile returns the MD5 hash and size of a regular file. The file
// must not change while it is read: a file still being written would be
// registered with a size and hash that match no finished copy.
func scanLocalFile(ctx context.Context, path string) (string, int64, error) {
	before, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP) {
			return "", 0, fmt.Errorf("no such file: %s", path)
		}
		return "", 0, fmt.Errorf("unable to stat %s: %v", path, errors.Unwrap(err))
	}
	if !before.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", path)
	}
	sum, err := fsutil.MD5File(ctx, path)
	if errors.Is(err, fsutil.ErrStalled) {
		return "", 0, fmt.Errorf("failed to hash %s", path)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", 0, fmt.Errorf("failed to hash %s: %v", path, err)
	}
	after, err := os.Stat(path)
	if err != nil {
		return "", 0, fmt.Errorf("unable to stat %s: %v", path, errors.Unwrap(err))
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return "", 0, fmt.Errorf("failed to hash %s: the file changed while it was read", path)
	}
	return sum, before.Size(), nil
}
