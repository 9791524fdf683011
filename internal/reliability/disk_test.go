package reliability

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
)

// entry is a regular file found under a node root.
type entry struct {
	size int64
	md5  string
}

// tree is what a node root held when it was walked: data files by path
// relative to the root, the leftovers of transfers (temporary files and
// placeholders) and other dot-files, and empty directories.
type tree struct {
	files     map[string]entry
	leftovers []string
	dotFiles  []string
	emptyDirs []string
}

// hasher hashes files, remembering digests by inode, size and change
// time, so that a poller taking many snapshots reads each file once.
type hasher struct {
	mu    sync.Mutex
	known map[hashKey]string
	reads int
}

type hashKey struct {
	dev, ino   uint64
	size       int64
	ctim, mtim syscall.Timespec
}

func newHasher() *hasher { return &hasher{known: map[hashKey]string{}} }

// sum hashes the file at p; ok is false when it vanished meanwhile.
func (h *hasher) sum(p string) (entry, bool, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false, nil
	}
	if err != nil {
		return entry{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return entry{}, false, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	key := hashKey{dev: st.Dev, ino: st.Ino, size: st.Size, ctim: st.Ctim, mtim: st.Mtim}
	h.mu.Lock()
	sum, ok := h.known[key]
	h.mu.Unlock()
	if ok {
		return entry{size: st.Size, md5: sum}, true, nil
	}
	d := md5.New()
	if _, err := io.Copy(d, f); err != nil {
		return entry{}, false, err
	}
	sum = hex.EncodeToString(d.Sum(nil))
	h.mu.Lock()
	h.known[key] = sum
	h.reads++
	h.mu.Unlock()
	return entry{size: st.Size, md5: sum}, true, nil
}

// walk reads a node root. Files and directories that vanish during the
// walk (the daemon deletes and prunes while it runs) are left out; the
// node file is not listed.
func walk(root string, h *hasher) (tree, error) {
	t := tree{files: map[string]entry{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if p != root {
				if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
					t.emptyDirs = append(t.emptyDirs, rel)
				}
			}
			return nil
		}
		if rel == "ALPENHORN_NODE" {
			return nil
		}
		switch {
		case fsutil.IsTemp(p) || fsutil.IsPlaceholder(p):
			t.leftovers = append(t.leftovers, rel)
			return nil
		case strings.HasPrefix(d.Name(), "."):
			t.dotFiles = append(t.dotFiles, rel)
			return nil
		case !d.Type().IsRegular():
			t.dotFiles = append(t.dotFiles, rel)
			return nil
		}
		e, ok, err := h.sum(p)
		if err != nil {
			return err
		}
		if ok {
			t.files[rel] = e
		}
		return nil
	})
	return t, err
}

// sorted returns the keys of m in order, for stable messages.
func sorted[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
