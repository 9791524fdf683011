// Package logtest records what alpenhorn logs during a test.
package logtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// Capture records what alpenhorn logs until the test ends, beside the hooks
// already installed, which it restores then.
func Capture(t testing.TB) *test.Hook {
	t.Helper()
	l := logging.Named("").Logger
	h := new(test.Hook)
	old := l.ReplaceHooks(logrus.LevelHooks{})
	hooks := logrus.LevelHooks{}
	for lvl, hs := range old {
		hooks[lvl] = slices.Clone(hs)
	}
	hooks.Add(h)
	l.ReplaceHooks(hooks)
	t.Cleanup(func() { l.ReplaceHooks(old) })
	return h
}

// Lines renders what h recorded as "LEVEL message", one entry a line.
func Lines(h *test.Hook) []string {
	var out []string
	for _, e := range h.AllEntries() {
		out = append(out, strings.ToUpper(e.Level.String())+" "+e.Message)
	}
	return out
}

// Text is Lines joined into one string.
func Text(h *test.Hook) string { return strings.Join(Lines(h), "\n") }
