package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Names alpenhorn gives to files beside the data. All of them start with a
// dot, so the import task never registers them (it refuses any file whose
// name starts with a dot; directories with leading dots are allowed).
const (
	lockSuffix        = ".lock"
	placeholderSuffix = ".placeholder"
	tempMarker        = ".alpenhorn-"
	tempSuffix        = ".tmp"
	stagingPrefix     = tempMarker + "staging-"
)

// IsDotFile reports whether the last component of path starts with a dot.
// Such files are never imported; a directory whose name starts with a dot
// does not make the files inside it dot-files.
func IsDotFile(path string) bool {
	return strings.HasPrefix(filepath.Base(path), ".")
}

// LockPath returns the lock file that holds path back from import:
// "dir/.NAME.lock" for "dir/NAME".
func LockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+lockSuffix)
}

// Locked reports whether path's lock file exists (following symbolic
// links, so a dangling link is no lock). When the lock's existence cannot
// be determined (for instance a permission error) the file counts as
// locked: a file that cannot be checked must not be imported.
func Locked(path string) bool {
	_, err := os.Stat(LockPath(path))
	if err == nil {
		return true
	}
	return !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR)
}

// IsLockFile reports whether the last component of path names a lock file:
// it starts with "." and ends with ".lock" and something lies between.
func IsLockFile(path string) bool {
	_, ok := LockTarget(path)
	return ok
}

// LockTarget returns the file a lock file holds back from import:
// "dir/NAME" for "dir/.NAME.lock". ok is false when path is no lock file.
func LockTarget(path string) (target string, ok bool) {
	base := filepath.Base(path)
	if len(base) <= len("."+lockSuffix) || !strings.HasPrefix(base, ".") || !strings.HasSuffix(base, lockSuffix) {
		return "", false
	}
	return filepath.Join(filepath.Dir(path), base[1:len(base)-len(lockSuffix)]), true
}

// PlaceholderPath returns the placeholder a pull keeps beside its
// destination while the transfer runs, "dir/.NAME.placeholder" for
// "dir/NAME". It keeps the directory from being pruned meanwhile. Unlike
// alpenhorn's tidy-up, which put it beside the acquisition directory, the
// placeholder always sits in the destination's own directory, so file names
// containing "/" are handled.
func PlaceholderPath(dst string) string {
	return filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+placeholderSuffix)
}

// CreatePlaceholder creates dst's placeholder (mode 0600); an existing one
// is fine.
func CreatePlaceholder(dst string) error {
	f, err := os.OpenFile(PlaceholderPath(dst), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// IsPlaceholder reports whether the last component of path has the form
// of a placeholder.
func IsPlaceholder(path string) bool {
	base := filepath.Base(path)
	return len(base) > len("."+placeholderSuffix) && strings.HasPrefix(base, ".") && strings.HasSuffix(base, placeholderSuffix)
}

// maxTempName keeps temporary names short enough that rsync, which writes
// into ".NAME.XXXXXX" and shortens NAME to fit NAME_MAX (255 bytes), never
// cuts off the marker Tidy recognises.
const maxTempName = 240

// tempPattern matches our temporary names, and rsync's own temporary file
// made from one (a further dot in front and a six-character suffix).
var tempPattern = regexp.MustCompile(`^\..*` + regexp.QuoteMeta(tempMarker) + `[0-9a-f]{16}` + regexp.QuoteMeta(tempSuffix) + `(\.[A-Za-z0-9]{6})?$`)

// TempPath returns a fresh name, in dst's directory, under which a transfer
// writes dst until it is verified: ".NAME.alpenhorn-<16 hex digits>.tmp",
// with NAME shortened when needed. The leading dot keeps the import task
// away from it; the marker sets it apart from names users choose, so Tidy
// can remove it after a crash.
func TempPath(dst string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	suffix := tempMarker + hex.EncodeToString(b[:]) + tempSuffix
	name := filepath.Base(dst)
	if room := maxTempName - 1 - len(suffix); len(name) > room {
		name = name[:room]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	return filepath.Join(filepath.Dir(dst), "."+name+suffix), nil
}

// CreateTemp creates, exclusively and with mode 0600, a file named by
// TempPath(dst) and opens it for writing.
func CreateTemp(dst string) (*os.File, error) {
	for {
		p, err := TempPath(dst)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
}

// IsTemp reports whether the last component of path is a temporary name
// made by TempPath (or rsync's temporary file made from one).
func IsTemp(path string) bool {
	return tempPattern.MatchString(filepath.Base(path))
}

// stagingPattern matches the names of staging directories.
var stagingPattern = regexp.MustCompile(`^` + regexp.QuoteMeta(stagingPrefix) + `[0-9a-f]{16}$`)

// MkStaging creates, with mode 0700, a fresh staging directory in root:
// ".alpenhorn-staging-<16 hex digits>", where a batch transfer writes its
// files until each is verified and moved to its place under root. Being
// in root, it is on the filesystem of the files' destinations, so they are
// moved by renaming. Its name marks it as alpenhorn's: its files are never
// imported, and Tidy removes it after a crash.
func MkStaging(root string) (string, error) {
	for {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		p := filepath.Join(root, stagingPrefix+hex.EncodeToString(b[:]))
		err := os.Mkdir(p, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return p, nil
	}
}

// IsStaging reports whether the last component of path names a staging
// directory made by MkStaging.
func IsStaging(path string) bool {
	return stagingPattern.MatchString(filepath.Base(path))
}

// InStaging reports whether any directory on path (not its last
// component) is a staging directory: path is then a file a batch transfer
// has not finished with.
func InStaging(path string) bool {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if IsStaging(dir) {
			return true
		}
		if up := filepath.Dir(dir); up == dir {
			return false
		}
	}
}
