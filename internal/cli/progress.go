package cli

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// progress is a progress bar drawn on a terminal; its methods do nothing
// on a nil bar, which is what commands get when output is not a terminal
// (pipes, files, tests), is silenced by -q, or is --json.
type progress struct{ bar *progressbar.ProgressBar }

// newProgress returns a bar of total steps labelled label, on stderr
// when that is a terminal; total -1 draws a spinner for work of unknown
// length.
func (a *App) newProgress(label string, total int64) *progress {
	if !a.showsProgress() {
		return nil
	}
	w := a.Stderr
	p := &progress{progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	)}
	p.bar.RenderBlank()
	return p
}

// showsProgress reports whether progress is drawn: on a terminal, not
// silenced by -q, and not under --json.
func (a *App) showsProgress() bool {
	return a.verbosity >= 3 && !a.json && isTerminal(a.Stderr)
}

// tracker is App.track, as the bulk commands' phases are given it.
type tracker func(label string) (index.Progress, func())

// track returns the progress option of an index function, drawing a bar
// labelled label from its first report on (a spinner when the total is
// not known ahead), and the function that takes the bar off the screen
// once the work is done. Where no bar is drawn the option is nil, so the
// index function reports to nothing.
func (a *App) track(label string) (index.Progress, func()) {
	if !a.showsProgress() {
		return nil, func() {}
	}
	var p *progress
	return func(done, total int) {
		if p == nil {
			p = a.newProgress(label, int64(total))
		}
		p.set(done)
	}, func() { p.clear() }
}

// set records that done steps are complete.
func (p *progress) set(done int) {
	if p != nil {
		p.bar.Set(done)
	}
}

// spin keeps a spinner turning until the returned function is called.
func (p *progress) spin() (stop func()) {
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.bar.Add(1)
			}
		}
	}()
	return func() { close(done) }
}

// clear takes the bar off the screen, before a line of output; the next
// update draws it again.
func (p *progress) clear() {
	if p != nil {
		p.bar.Clear()
	}
}

// finish draws the bar complete and ends its line.
func (p *progress) finish() {
	if p != nil {
		p.bar.Finish()
	}
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
