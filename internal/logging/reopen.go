package logging

import "errors"

// Reopen closes every log file the daemon writes and opens it again at its
// configured path, for logrotate: after the file was moved away, logging
// goes on in a new file instead of the moved one. A file that cannot be
// opened again is kept, and the error returned.
func Reopen() error {
	out.mu.Lock()
	defer out.mu.Unlock()
	var errs []error
	for _, s := range out.sinks {
		if f, ok := s.(*fileSink); ok {
			errs = append(errs, f.reopen())
		}
	}
	return errors.Join(errs...)
}

// reopen opens the path afresh before closing the old file, so that the
// sink stays usable if the path cannot be opened.
func (s *fileSink) reopen() error {
	old := s.f
	if err := s.open(); err != nil {
		return err
	}
	return old.Close()
}
