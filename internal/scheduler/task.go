package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"
)

// Step is one stretch of a task's work, run by a worker without interruption.
// It returns what follows: Done() or After(delay, nextStep). Whatever state
// the task keeps between steps lives in the closures.
//
// A returned error, or a panic, is a failure of this task alone, never of the
// daemon: it is logged at ERROR with the task's name (a panic with its
// stack), the task's cleanups run, the task is dropped and its worker goes on
// with the next task. A database error (as classified by Options.IsDBError)
// also restarts the worker, as it would to get a fresh connection, and brings
// back a task flagged RequeueOnDBError; in serial I/O it ends RunSerial.
// Failures a task can foresee (a missing file, a refused transfer) are better
// handled inside the step, where they can be recorded properly: a returned
// error only reaches the log.
type Step func(ctx context.Context, t *Task) (Next, error)

// Next says how a task continues after a step.
type Next struct {
	delay time.Duration
	step  Step
}

// Done ends the task.
func Done() Next { return Next{} }

// After releases the worker and continues the task with step once delay has
// passed. With no delay the task goes straight back to the tail of its FIFO.
func After(delay time.Duration, step Step) Next {
	if step == nil {
		panic("scheduler.After: nil step")
	}
	return Next{delay: delay, step: step}
}

// Flags modify how a task is scheduled.
type Flags uint8

const (
	// Exclusive tasks run only while nothing else from their FIFO is in
	// progress, and nothing else from the FIFO starts while they run.
	Exclusive Flags = 1 << iota
	// RequeueOnDBError puts a fresh copy of the task (starting from its first
	// step) back into its FIFO when a database error ends it. Meant for tasks
	// that nothing else would recreate, such as those from auto-import events.
	RequeueOnDBError
)

// Task is a unit of asynchronous work in a FIFO of the queue.
type Task struct {
	queue *Queue
	fifo  *FIFO
	name  string
	flags Flags
	start Step
	// Owned by whoever holds the task: the queue while it waits, the running
	// worker during a step.
	next     Step
	cleanups []func()
}

// Name returns the task's name, as used in log lines.
func (t *Task) Name() string { return t.name }

func (t *Task) String() string { return t.name }

func (t *Task) exclusive() bool { return t.flags&Exclusive != 0 }

// OnCleanup registers fn to run once when the task ends, however it ends:
// finished, failed, or discarded from the queue while waiting. Like deferred
// calls, the last one registered runs first. A cleanup that panics is logged
// at ERROR and the others still run.
func (t *Task) OnCleanup(fn func()) { t.cleanups = append(t.cleanups, fn) }

// popCleanup removes the cleanup due next, so that one which fails is never
// retried.
func (t *Task) popCleanup() func() {
	n := len(t.cleanups)
	if n == 0 {
		return nil
	}
	fn := t.cleanups[n-1]
	t.cleanups = t.cleanups[:n-1]
	return fn
}

// runCleanups runs the remaining cleanups. One that fails is logged and the
// rest still run: the task is over either way. Failures that expected
// reports (the database errors that follow a task's own) are not logged;
// expected may be nil.
func (t *Task) runCleanups(ctx context.Context, expected func(error) bool) {
	for fn := t.popCleanup(); fn != nil; fn = t.popCleanup() {
		err := protect(func() error { fn(); return nil })
		if err != nil && (expected == nil || !expected(err)) {
			t.queue.log.Entry(ctx, componentTask).Errorf("Cleanup of task %s failed: %v", t.name, err)
		}
	}
}

// panicError carries a recovered panic and the stack where it happened, so
// that the failure logged shows the equivalent of a traceback.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("%v\n%s", e.value, bytes.TrimRight(e.stack, "\n"))
}

// Unwrap exposes a panic value that is an error, so that a database error
// raised by panicking is still recognised as one.
func (e *panicError) Unwrap() error {
	err, _ := e.value.(error)
	return err
}

// protect runs fn, turning a panic into an error.
func protect(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return fn()
}

// step runs the task's current step. finished is false if the task deferred
// itself (it is then back in the queue, or was dropped because its FIFO had
// closed). A task that ends without error has had its cleanups run; on error
// they have not, that being up to the caller.
func (t *Task) step(ctx context.Context) (finished bool, err error) {
	var next Next
	err = protect(func() error {
		var err error
		next, err = t.next(ctx, t)
		return err
	})
	if err != nil {
		return false, err
	}
	if next.step == nil {
		t.runCleanups(ctx, nil)
		return true, nil
	}

	t.next = next.step
	t.queue.log.Entry(ctx, componentTask).Debugf(
		"Requeueing yielded task %s in FIFO %s with delay %s seconds",
		t.name, t.fifo, strconv.FormatFloat(next.delay.Seconds(), 'f', -1, 64))
	if !t.queue.put(t, next.delay) {
		t.queue.log.Entry(ctx, componentTask).Infof("Ignoring task %s: FIFO closed", t.name)
		t.runCleanups(ctx, nil)
	}
	return false, nil
}

// requeue puts a fresh copy of a task ended by a database error back into its
// FIFO, if the task asked for that.
func (t *Task) requeue(ctx context.Context) {
	if t.flags&RequeueOnDBError == 0 {
		return
	}
	t.queue.log.Entry(ctx, componentTask).Infof("Requeueing task %s in FIFO %s", t.name, t.fifo)
	t.queue.Submit(ctx, t.fifo, t.name, t.start, t.flags)
}
