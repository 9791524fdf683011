package scheduler

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// waitLimit bounds every wait in these tests; reaching it is a failure, never
// an expected outcome.
const waitLimit = 10 * time.Second

type threadKey struct{}

type record struct {
	level  logrus.Level
	thread string
	msg    string
}

func (r record) String() string { return fmt.Sprintf("%s [%s] %s", r.level, r.thread, r.msg) }

// testLog is a Logger that records every line so tests can wait for, and
// assert on, what the scheduler logged.
type testLog struct {
	logger *logrus.Logger

	mu      sync.Mutex
	records []record
	changed chan struct{}
}

func newTestLog(t *testing.T) *testLog {
	l := &testLog{logger: logrus.New(), changed: make(chan struct{})}
	l.logger.SetOutput(io.Discard)
	l.logger.SetLevel(logrus.DebugLevel)
	l.logger.AddHook(l)
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range l.all() {
				t.Log(r)
			}
		}
	})
	return l
}

func (l *testLog) WithThread(ctx context.Context, thread string) context.Context {
	return context.WithValue(ctx, threadKey{}, thread)
}

func (l *testLog) Entry(ctx context.Context, component string) *logrus.Entry {
	thread, ok := ctx.Value(threadKey{}).(string)
	if !ok {
		thread = "MainThread"
	}
	return l.logger.WithFields(logrus.Fields{"thread": thread, "component": component})
}

func (l *testLog) Levels() []logrus.Level { return logrus.AllLevels }

func (l *testLog) Fire(e *logrus.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, record{level: e.Level, thread: e.Data["thread"].(string), msg: e.Message})
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

func (l *testLog) all() []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]record(nil), l.records...)
}

// count returns how many lines with this level, thread ("" for any) and
// message exist.
func (l *testLog) count(level logrus.Level, thread, msg string) int {
	n := 0
	for _, r := range l.all() {
		if r.level == level && (thread == "" || r.thread == thread) && r.msg == msg {
			n++
		}
	}
	return n
}

// at returns the lines logged with this level, in order.
func (l *testLog) at(level logrus.Level) []record {
	var out []record
	for _, r := range l.all() {
		if r.level == level {
			out = append(out, r)
		}
	}
	return out
}

// wait blocks until the n-th line with this level, thread ("" for any) and
// message has been logged.
func (l *testLog) wait(t *testing.T, n int, level logrus.Level, thread, msg string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		l.mu.Lock()
		changed := l.changed
		l.mu.Unlock()
		if l.count(level, thread, msg) >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %d× %s [%s] %s", n, level, thread, msg)
		}
	}
}

// messages returns the messages logged by thread, in order, that start with
// one of the prefixes.
func (l *testLog) messages(thread string, prefixes ...string) []string {
	var out []string
	for _, r := range l.all() {
		if r.thread != thread {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(r.msg, p) {
				out = append(out, r.msg)
				break
			}
		}
	}
	return out
}
