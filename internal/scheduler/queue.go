package scheduler

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"
)

// FIFO is one first-in-first-out lane of the queue. Every node and group gets
// its own, and a fresh one whenever its I/O is re-initialised, so tasks queued
// for the old configuration can be discarded as a whole.
type FIFO struct {
	label string

	// Guarded by the queue's mutex.
	items      []*Task
	inProgress int
	deferred   int
	locked     bool // an exclusive task is in progress
	closed     bool
	served     uint64 // when a task was last taken from it; drives round-robin
}

// String returns the FIFO's label ("Node name", "Group name").
func (f *FIFO) String() string { return f.label }

type deferral struct {
	due  time.Time
	seq  uint64 // keeps deferrals due at the same moment in put order
	task *Task
}

type deferrals []deferral

func (d deferrals) Len() int { return len(d) }
func (d deferrals) Less(i, j int) bool {
	if d[i].due.Equal(d[j].due) {
		return d[i].seq < d[j].seq
	}
	return d[i].due.Before(d[j].due)
}
func (d deferrals) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deferrals) Push(x any)   { *d = append(*d, x.(deferral)) }
func (d *deferrals) Pop() any {
	old := *d
	x := old[len(old)-1]
	old[len(old)-1] = deferral{}
	*d = old[:len(old)-1]
	return x
}

// Queue is an unbounded multi-FIFO task queue. Tasks leave each FIFO in
// order; across FIFOs it is fair: the next task comes from the FIFO with the
// fewest tasks in progress, and among equals from the one served longest ago,
// so a node with a long backlog cannot starve the others.
type Queue struct {
	log Logger

	mu sync.Mutex
	// changed is closed (and replaced) whenever something happens that may let
	// a waiting consumer proceed; waiting on it replaces a condition variable,
	// which cannot be combined with timers and contexts.
	changed    chan struct{}
	fifos      []*FIFO // open, or closed with tasks still in progress
	queued     int
	inProgress int
	deferrals  deferrals
	seq        uint64
	closed     bool
}

// NewQueue returns an empty queue that logs through log.
func NewQueue(log Logger) *Queue {
	return &Queue{log: log, changed: make(chan struct{})}
}

// NewFIFO creates a FIFO; label names it in log lines and metrics.
func (q *Queue) NewFIFO(label string) *FIFO {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := &FIFO{label: label, closed: q.closed}
	if !f.closed {
		q.fifos = append(q.fifos, f)
	}
	return f
}

// Submit creates a task named name whose first step is start and puts it at
// the tail of fifo. If fifo is closed the task is dropped, which is logged in
// the thread of ctx, and Submit returns false.
func (q *Queue) Submit(ctx context.Context, fifo *FIFO, name string, start Step, flags Flags) bool {
	t := &Task{queue: q, fifo: fifo, name: name, flags: flags, start: start, next: start}
	if !q.put(t, 0) {
		q.log.Entry(ctx, componentTask).Infof("Ignoring task %s: FIFO closed", name)
		return false
	}
	return true
}

// signal wakes every waiting consumer. Callers hold q.mu.
func (q *Queue) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// put appends t to its FIFO, or, with a positive delay, holds it back until
// the delay has passed. It returns false if the FIFO is closed.
func (q *Queue) put(t *Task, delay time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := t.fifo
	if f.closed {
		return false
	}
	if delay > 0 {
		q.seq++
		heap.Push(&q.deferrals, deferral{due: time.Now().Add(delay), seq: q.seq, task: t})
		f.deferred++
	} else {
		f.items = append(f.items, t)
		q.queued++
	}
	q.signal()
	return true
}

// promote moves deferred tasks that are due into their FIFOs. Callers hold
// q.mu.
func (q *Queue) promote(now time.Time) {
	for len(q.deferrals) > 0 && !q.deferrals[0].due.After(now) {
		d := heap.Pop(&q.deferrals).(deferral)
		f := d.task.fifo
		f.deferred--
		f.items = append(f.items, d.task)
		q.queued++
	}
}

// pick takes the next task by the fairness rule, or returns nil if nothing
// can start now. Callers hold q.mu.
func (q *Queue) pick() *Task {
	var best *FIFO
	for _, f := range q.fifos {
		if f.locked || len(f.items) == 0 {
			continue
		}
		if f.items[0].exclusive() && f.inProgress > 0 {
			continue
		}
		if best == nil || f.inProgress < best.inProgress ||
			(f.inProgress == best.inProgress && f.served < best.served) {
			best = f
		}
	}
	if best == nil {
		return nil
	}
	t := best.items[0]
	best.items[0] = nil
	best.items = best.items[1:]
	q.queued--
	q.inProgress++
	best.inProgress++
	if t.exclusive() {
		best.locked = true
	}
	q.seq++
	best.served = q.seq
	return t
}

// get waits for a task that can start and marks it in progress; the caller
// must hand it back with done. It returns nil once ctx is done; if ctx is
// already done it still takes a task that is ready without waiting.
func (q *Queue) get(ctx context.Context) *Task {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		now := time.Now()
		q.promote(now)
		t := q.pick()
		changed := q.changed
		var expiry <-chan time.Time
		if t == nil && len(q.deferrals) > 0 {
			wait := q.deferrals[0].due.Sub(now)
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			expiry = timer.C
		}
		q.mu.Unlock()

		if t != nil {
			return t
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-expiry:
		}
	}
}

// done reports that the in-progress task t has been dealt with.
func (q *Queue) done(t *Task) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := t.fifo
	if f.inProgress == 0 {
		panic("scheduler: task " + t.name + " done twice")
	}
	f.inProgress--
	q.inProgress--
	// Anything in progress alongside an exclusive task is impossible, so the
	// end of any task ends the lock.
	f.locked = false
	if f.closed && f.inProgress == 0 {
		q.forget(f)
	}
	q.signal()
}

// forget drops a closed FIFO with nothing in progress from the rotation.
// Callers hold q.mu.
func (q *Queue) forget(f *FIFO) {
	q.fifos = slices.DeleteFunc(q.fifos, func(g *FIFO) bool { return g == f })
}

// CloseFIFO discards the queued and deferred tasks of f, running their
// cleanups in the caller's goroutine (a failing one is logged as the main
// thread's), and refuses further tasks for it. Tasks in progress carry on. It
// returns how many queued and deferred tasks were discarded.
func (q *Queue) CloseFIFO(f *FIFO) (pending, deferred int) {
	q.mu.Lock()
	queued, held := q.closeFIFO(f)
	q.mu.Unlock()
	for _, t := range slices.Concat(queued, held) {
		t.runCleanups(context.Background(), nil)
	}
	return len(queued), len(held)
}

// Close closes every FIFO, present and future, discarding all queued and
// deferred tasks and running their cleanups in the caller's goroutine, as
// CloseFIFO does.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	var dropped []*Task
	for _, f := range slices.Clone(q.fifos) {
		queued, held := q.closeFIFO(f)
		dropped = slices.Concat(dropped, queued, held)
	}
	q.mu.Unlock()
	for _, t := range dropped {
		t.runCleanups(context.Background(), nil)
	}
}

// closeFIFO closes f and removes its queued and its deferred tasks. Callers
// hold q.mu.
func (q *Queue) closeFIFO(f *FIFO) (queued, held []*Task) {
	if f.closed {
		return nil, nil
	}
	f.closed = true
	queued = f.items
	f.items = nil
	q.queued -= len(queued)

	kept := q.deferrals[:0]
	for _, d := range q.deferrals {
		if d.task.fifo == f {
			held = append(held, d.task)
		} else {
			kept = append(kept, d)
		}
	}
	clear(q.deferrals[len(kept):])
	q.deferrals = kept
	heap.Init(&q.deferrals)
	f.deferred = 0

	if f.inProgress == 0 {
		q.forget(f)
	}
	q.signal()
	return queued, held
}

// FIFOSize returns the number of tasks of f queued or in progress. Deferred
// tasks do not count: a node whose only work is waiting is idle.
func (q *Queue) FIFOSize(f *FIFO) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(f.items) + f.inProgress
}

// Counts returns the numbers of queued, deferred and in-progress tasks over
// all FIFOs, taken together.
func (q *Queue) Counts() (queued, deferred, inProgress int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued, len(q.deferrals), q.inProgress
}

// FIFOStat describes one FIFO, for the queue metrics.
type FIFOStat struct {
	Label                        string
	Queued, Deferred, InProgress int
	Locked                       bool // an exclusive task is running
}

// FIFOStats describes every FIFO that is open or still has tasks in progress.
func (q *Queue) FIFOStats() []FIFOStat {
	q.mu.Lock()
	defer q.mu.Unlock()
	stats := make([]FIFOStat, 0, len(q.fifos))
	for _, f := range q.fifos {
		stats = append(stats, FIFOStat{
			Label:      f.label,
			Queued:     len(f.items),
			Deferred:   f.deferred,
			InProgress: f.inProgress,
			Locked:     f.locked,
		})
	}
	return stats
}
