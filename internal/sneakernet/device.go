package sneakernet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
)

// CheckDevice makes sure the node's device is mounted at root on this
// host: root must be absolute and hold the node file naming the node, as
// the daemon writes it at initialisation. Without this a manifest could be
// written into, or files looked for in, an empty mount point.
func CheckDevice(root, node string) error {
	if !filepath.IsAbs(root) {
		return fmt.Errorf("node \"%s\" has root %q, which is not an absolute path", node, root)
	}
	path := filepath.Join(root, db.NodeInitPath)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("node \"%s\" is not mounted here: %v", node, err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("node \"%s\" is not mounted here: %v", node, err)
	}
	if name := strings.TrimRightFunc(line, unicode.IsSpace); name != node {
		return fmt.Errorf("node \"%s\" is not mounted here: %s names node \"%s\"", node, path, name)
	}
	return nil
}

// Staged is a file written in place of dst in two steps, so that dst
// never holds a part of it: the content goes to a temporary file beside
// dst, which Commit then moves onto dst. The temporary name is one the
// daemon's tidy-up recognises, should a crash leave it behind.
type Staged struct {
	dst  string
	f    *os.File
	done bool
}

// Stage creates the temporary file of dst, which tells early whether dst's
// directory can be written. The file is world-readable: whoever reads it
// at the other site is rarely the user who wrote it.
func Stage(dst string) (*Staged, error) {
	f, err := fsutil.CreateTemp(dst)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &Staged{dst: dst, f: f}, nil
}

// Write replaces what the temporary file holds with data.
func (s *Staged) Write(data []byte) error {
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.WriteAt(data, 0)
	return err
}

// Commit moves the temporary file, flushed to disk, onto dst.
func (s *Staged) Commit() error {
	s.done = true
	err := s.f.Close()
	if err == nil {
		err = fsutil.CommitTemp(s.f.Name(), s.dst)
	}
	if err != nil {
		os.Remove(s.f.Name())
	}
	return err
}

// Discard removes the temporary file. It does nothing after Commit.
func (s *Staged) Discard() {
	if !s.done {
		s.done = true
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
