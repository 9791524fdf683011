package logging

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// fileSink appends lines to a log file. With watch, it reopens the file
// when something else (logrotate) has moved it away; with maxBytes > 0 it
// rotates the file itself, keeping `backups` numbered old files.
type fileSink struct {
	path     string
	watch    bool
	maxBytes int64
	backups  int

	f    *os.File
	info os.FileInfo
}

func openLogFile(cfg config.LogFile) (*fileSink, error) {
	// Resolved now so that a later change of working directory does not
	// move the log.
	path, err := filepath.Abs(cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("log file %s: %w", cfg.Name, err)
	}
	s := &fileSink{path: path, watch: cfg.Watch}
	if cfg.Rotate {
		s.maxBytes = cfg.MaxBytes
		s.backups = cfg.BackupCount
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	s.f, s.info = f, info
	return nil
}

func (s *fileSink) emit(_ logrus.Level, line string) error {
	data := line + "\n"
	if s.watch {
		if err := s.reopenIfMoved(); err != nil {
			return err
		}
	}
	if s.maxBytes > 0 {
		if err := s.rotateIfFull(int64(len(data))); err != nil {
			return err
		}
	}
	if _, err := s.f.WriteString(data); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	return nil
}

// reopenIfMoved reopens the file if the path no longer names the file
// being written (moved, deleted or replaced).
func (s *fileSink) reopenIfMoved() error {
	if info, err := os.Stat(s.path); err == nil && os.SameFile(info, s.info) {
		return nil
	}
	s.f.Close()
	return s.open()
}

// rotateIfFull rotates before a write of n bytes that would bring the file
// to maxBytes or beyond. An empty file is never rotated, so a single record
// larger than maxBytes still gets written; nor is anything but a regular
// file (such as /dev/null).
func (s *fileSink) rotateIfFull(n int64) error {
	if !s.info.Mode().IsRegular() {
		return nil
	}
	// The end of the file, not a count of our own writes: another process
	// may append to the same log.
	size, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	if size == 0 || size+n < s.maxBytes {
		return nil
	}
	s.f.Close()
	rotErr := s.shift()
	if err := s.open(); err != nil {
		return errors.Join(rotErr, err)
	}
	return rotErr
}

// shift renames name.(i) to name.(i+1) for the kept backups, then name to
// name.1, dropping the oldest.
func (s *fileSink) shift() error {
	var errs []error
	for i := s.backups - 1; i > 0; i-- {
		src := fmt.Sprintf("%s.%d", s.path, i)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := os.Rename(src, fmt.Sprintf("%s.%d", s.path, i+1)); err != nil {
			errs = append(errs, fmt.Errorf("rotating log: %w", err))
		}
	}
	if err := os.Rename(s.path, s.path+".1"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("rotating log: %w", err))
	}
	return errors.Join(errs...)
}

func (s *fileSink) Close() error {
	return s.f.Close()
}
