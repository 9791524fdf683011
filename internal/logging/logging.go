// Package logging writes alpenhorn's log output through logrus.
//
// The daemon's lines look like
//
//	Feb 21 00:38:32 INFO >> [MainThread] Alpenhorn start.
//
// and go to standard error, plus a file and/or syslog when configured; the
// CLI's look like `WARNING >> message` and only go to standard error.
//
// Each entry may carry two fields: ThreadKey, the name of the goroutine's
// role ("MainThread" when absent, "Worker#1", …) shown in brackets, and
// LoggerKey, a dotted logger name used by logging.module_levels (see
// names.go). Other fields are not printed, except an error attached with
// WithError, whose text follows the message on its own line.
package logging

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// Entry fields understood by the formatter and the level filter.
const (
	ThreadKey = "thread"
	LoggerKey = "logger"
)

// MainThread is the thread name of entries that carry none.
const MainThread = "MainThread"

// startupCapacity bounds the start-up buffer; later records are only
// written to standard error.
const startupCapacity = 10000

// Output is not written by logrus itself: a single hook filters each entry
// by its logger's level and writes it to every destination, because syslog
// needs the entry's level and the per-logger levels need its logger name,
// neither of which an io.Writer would see.
var (
	out = &dispatcher{stderr: os.Stderr, format: daemonLine, root: logrus.InfoLevel}
	std = newLogger()
)

func newLogger() *logrus.Logger {
	l := logrus.New()
	l.Out = io.Discard
	l.Formatter = silentFormatter{}
	l.Level = logrus.InfoLevel
	l.AddHook(out)
	return l
}

type silentFormatter struct{}

func (silentFormatter) Format(*logrus.Entry) ([]byte, error) { return nil, nil }

// Named returns an entry for the logger called name (see names.go).
func Named(name string) *logrus.Entry {
	return std.WithField(LoggerKey, name)
}

// WithThread returns an entry shown with the given thread name.
func WithThread(name string) *logrus.Entry {
	return std.WithField(ThreadKey, name)
}

type threadCtxKey struct{}

// ContextWithThread returns a context whose log entries (FromContext) are
// shown with the given thread name.
func ContextWithThread(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, threadCtxKey{}, name)
}

// ThreadFromContext returns the thread name stored in ctx, or MainThread.
func ThreadFromContext(ctx context.Context) string {
	if name, ok := ctx.Value(threadCtxKey{}).(string); ok {
		return name
	}
	return MainThread
}

// FromContext returns an entry for the named logger, shown with the thread
// name stored in ctx.
func FromContext(ctx context.Context, logger string) *logrus.Entry {
	return std.WithFields(logrus.Fields{LoggerKey: logger, ThreadKey: ThreadFromContext(ctx)})
}

// Logf adapts the named logger to the `logf(level, format, args...)`
// callbacks used by packages that do not import logrus (config.Load).
// level is a level name as in the config ("INFO", "WARNING", …).
func Logf(logger string) func(level, format string, args ...any) {
	return func(level, format string, args ...any) {
		l, err := ParseLevel(level)
		if err != nil {
			l = logrus.InfoLevel
		}
		Named(logger).Logf(l, format, args...)
	}
}

// CLILogf is config.Load's logf for the CLI (the daemon may use it too):
// it reports through the alpenhorn.common.config logger.
func CLILogf(level, format string, args ...any) {
	Logf(LoggerConfig)(level, format, args...)
}

// ParseLevel converts a level name (DEBUG, INFO, WARNING, ERROR, CRITICAL,
// any case) to a logrus level. CRITICAL is logrus's FatalLevel; log it with
// Entry.Log(logrus.FatalLevel, …), which does not exit.
func ParseLevel(name string) (logrus.Level, error) {
	switch strings.ToUpper(name) {
	case "DEBUG":
		return logrus.DebugLevel, nil
	case "INFO":
		return logrus.InfoLevel, nil
	case "WARNING":
		return logrus.WarnLevel, nil
	case "ERROR":
		return logrus.ErrorLevel, nil
	case "CRITICAL":
		return logrus.FatalLevel, nil
	}
	return 0, fmt.Errorf("Log level %s is not valid", strings.ToUpper(name))
}

func levelName(l logrus.Level) string {
	switch l {
	case logrus.TraceLevel, logrus.DebugLevel:
		return "DEBUG"
	case logrus.InfoLevel:
		return "INFO"
	case logrus.WarnLevel:
		return "WARNING"
	case logrus.ErrorLevel:
		return "ERROR"
	}
	return "CRITICAL"
}

const timeLayout = "Jan 02 15:04:05"

// daemonLine formats `{time} {LEVEL} >> [{thread}] {message}` in local time.
func daemonLine(e *logrus.Entry) string {
	thread, _ := e.Data[ThreadKey].(string)
	if thread == "" {
		thread = MainThread
	}
	return e.Time.Local().Format(timeLayout) + " " + levelName(e.Level) + " >> [" + thread + "] " + message(e)
}

// cliLine formats `{LEVEL} >> {message}`.
func cliLine(e *logrus.Entry) string {
	return levelName(e.Level) + " >> " + message(e)
}

// message is the entry's text; an attached error follows on the next line,
// where a traceback would be.
func message(e *logrus.Entry) string {
	if err, ok := e.Data[logrus.ErrorKey].(error); ok && err != nil {
		return e.Message + "\n" + err.Error()
	}
	return e.Message
}

// sink is a destination besides standard error.
type sink interface {
	emit(level logrus.Level, line string) error
	Close() error
}

type record struct {
	level logrus.Level
	line  string
}

type dispatcher struct {
	mu      sync.Mutex
	stderr  io.Writer
	format  func(*logrus.Entry) string
	root    logrus.Level
	modules map[string]logrus.Level
	sinks   []sink
	// startup holds the records written before the configured sinks
	// exist (daemon only); nil when not buffering.
	startup *[]record
	// quiet keeps records off stderr except those a sink failed to take.
	quiet bool
}

func (d *dispatcher) Levels() []logrus.Level { return logrus.AllLevels }

func (d *dispatcher) Fire(e *logrus.Entry) error {
	name, _ := e.Data[LoggerKey].(string)
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Level > d.effectiveLevel(name) {
		return nil
	}
	line := d.format(e)
	var errs []error
	if !d.quiet {
		if _, err := io.WriteString(d.stderr, line+"\n"); err != nil {
			errs = append(errs, err)
		}
	}
	lost := false
	for _, s := range d.sinks {
		if err := s.emit(e.Level, line); err != nil {
			errs = append(errs, err)
			lost = true
		}
	}
	if d.quiet && lost {
		io.WriteString(d.stderr, line+"\n")
	}
	if d.startup != nil && len(*d.startup) < startupCapacity {
		*d.startup = append(*d.startup, record{e.Level, line})
	}
	if len(errs) > 0 {
		return fmt.Errorf("logging error: %v", errs)
	}
	return nil
}

// effectiveLevel is the level set on the logger or its nearest dotted
// ancestor ("alpenhorn.db" covers "alpenhorn.db.archive"), else the root's.
func (d *dispatcher) effectiveLevel(name string) logrus.Level {
	for name != "" {
		if l, ok := d.modules[name]; ok {
			return l
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return d.root
}

// configure replaces the filter and format. Must be called with d.mu held.
func (d *dispatcher) configure(stderr io.Writer, format func(*logrus.Entry) string, root logrus.Level, modules map[string]logrus.Level) {
	d.stderr = stderr
	d.format = format
	d.root = root
	d.modules = modules
	// logrus drops entries above its own level before the hook runs, so
	// it must pass the most verbose level any logger uses.
	most := root
	for _, l := range modules {
		if l > most {
			most = l
		}
	}
	std.SetLevel(most)
}

// reset closes and removes every sink and stops buffering, for a fresh
// setup. Errors closing outputs being abandoned are of no use to anyone.
func (d *dispatcher) reset() {
	d.mu.Lock()
	sinks := d.sinks
	d.sinks = nil
	d.startup = nil
	d.quiet = false
	d.mu.Unlock()
	for _, s := range sinks {
		s.Close()
	}
}
