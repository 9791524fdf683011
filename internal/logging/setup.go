package logging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// StartDaemon starts daemon logging before the config is read: every
// record, DEBUG and up, goes to standard error, and is also kept (up to
// 10 000 records) so that SetupDaemon can replay the start-up into the log
// file and syslog. It logs "Alpenhorn start.".
func StartDaemon() {
	startDaemon(os.Stderr)
}

func startDaemon(stderr io.Writer) {
	out.reset()
	out.mu.Lock()
	out.configure(stderr, daemonLine, logrus.DebugLevel, nil)
	buf := make([]record, 0, 64)
	out.startup = &buf
	out.mu.Unlock()
	std.Info("Alpenhorn start.")
}

// SetupDaemon applies the logging config: the root and per-logger levels,
// then syslog and file output, which first receive the records buffered
// since StartDaemon. Standard error then carries only records that a file
// or syslog failed to take, unless cfg.Stderr keeps it on. The returned
// function stops and closes the file and syslog output, turning standard
// error back on.
func SetupDaemon(cfg config.Logging) (func() error, error) {
	root, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("logging.level: %w", err)
	}
	modules := make(map[string]logrus.Level, len(cfg.ModuleLevels))
	for name, lvl := range cfg.ModuleLevels {
		if modules[name], err = ParseLevel(lvl); err != nil {
			return nil, fmt.Errorf("logging.module_levels.%s: %w", name, err)
		}
	}
	out.mu.Lock()
	out.configure(out.stderr, daemonLine, root, modules)
	out.mu.Unlock()

	var sinks []sink
	fail := func(err error) (func() error, error) {
		for _, s := range sinks {
			s.Close()
		}
		return nil, err
	}
	// Each "Logging to" line is logged before its own output is attached,
	// so that it reaches that output once, through the replay.
	if cfg.Syslog != nil {
		s, err := openSyslog(*cfg.Syslog)
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, s)
		Named(LoggerAlpenhorn).Info(syslogStartMessage(*cfg.Syslog))
	}
	if cfg.File != nil {
		f, err := openLogFile(*cfg.File)
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, f)
		how := ""
		switch {
		case cfg.File.Rotate:
			how = " [rotating]"
		case cfg.File.Watch:
			how = " [watching]"
		}
		Named(LoggerAlpenhorn).Infof("Logging to%s %s", how, cfg.File.Name)
	}

	out.mu.Lock()
	var errs []error
	if out.startup != nil {
		for _, s := range sinks {
			for _, r := range *out.startup {
				if err := s.emit(r.level, r.line); err != nil {
					errs = append(errs, err)
					break
				}
			}
		}
		out.startup = nil
	}
	if len(errs) > 0 {
		out.mu.Unlock()
		return fail(errors.Join(errs...))
	}
	out.sinks = append(out.sinks, sinks...)
	// Standard error stays on unless told otherwise, and always when there
	// is nowhere else for records to go.
	out.quiet = !cfg.Stderr && len(out.sinks) > 0
	out.mu.Unlock()

	return func() error {
		out.mu.Lock()
		kept := out.sinks[:0]
		for _, s := range out.sinks {
			if !containsSink(sinks, s) {
				kept = append(kept, s)
			}
		}
		out.sinks = kept
		out.quiet = out.quiet && len(kept) > 0
		out.mu.Unlock()
		var errs []error
		for _, s := range sinks {
			if err := s.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}, nil
}

func containsSink(list []sink, s sink) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SetupCLIOutput sends log output to w (the CLI's standard error) as
// `LEVEL >> message`, at the CLI verbosity (1–5): 1 shows ERROR and up, 2
// and 3 WARNING and up, 4 INFO and up, 5 everything.
func SetupCLIOutput(w io.Writer, verbosity int) {
	setupCLI(w, verbosity)
}

func setupCLI(stderr io.Writer, verbosity int) {
	out.reset()
	out.mu.Lock()
	out.configure(stderr, cliLine, cliLevel(verbosity), nil)
	out.mu.Unlock()
}

func cliLevel(verbosity int) logrus.Level {
	switch {
	case verbosity <= 1:
		return logrus.ErrorLevel
	case verbosity <= 3:
		return logrus.WarnLevel
	case verbosity == 4:
		return logrus.InfoLevel
	}
	return logrus.DebugLevel
}

// FatalErrors wraps the writer on which the daemon reports the errors that
// stop it ("Error: ..."): what is written goes to w as before and, as one
// CRITICAL record, to the log file and syslog if they are open, so that the
// reason a daemon stopped is in its log.
func FatalErrors(w io.Writer) io.Writer { return fatalWriter{w} }

type fatalWriter struct{ w io.Writer }

func (f fatalWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	msg := strings.TrimSuffix(strings.TrimPrefix(string(p), "Error: "), "\n")
	if msg == "" {
		return n, err
	}
	entry := logrus.NewEntry(std).WithField(LoggerKey, LoggerDaemonEntry)
	entry.Time, entry.Level, entry.Message = time.Now(), logrus.FatalLevel, msg
	out.mu.Lock()
	defer out.mu.Unlock()
	line := out.format(entry)
	for _, s := range out.sinks {
		s.emit(logrus.FatalLevel, line)
	}
	return n, err
}
