package scheduler

import (
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
// A returned error is treated like an uncaught exception upstream: a database
// error (as classified by Options.IsDBError) makes the worker abandon the task
// and restart; any other error, or a panic, raises the global abort. Expected
// failures must therefore be handled inside the step, not returned.
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
// calls, the last one registered runs first.
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

func (t *Task) runCleanups() {
	for fn := t.popCleanup(); fn != nil; fn = t.popCleanup() {
		fn()
	}
}

// panicError carries a recovered panic and the stack where it happened, so
// the abort message shows the equivalent of a traceback.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.value, e.stack)
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
// closed). On error the cleanups have not run; that is up to the caller.
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
		return true, protect(func() error { t.runCleanups(); return nil })
	}

	t.next = next.step
	t.queue.log.Entry(ctx, componentTask).Debugf(
		"Requeueing yielded task %s in FIFO %s with delay %s seconds",
		t.name, t.fifo, strconv.FormatFloat(next.delay.Seconds(), 'f', -1, 64))
	if !t.queue.put(t, next.delay) {
		t.queue.log.Entry(ctx, componentTask).Infof("Ignoring task %s: FIFO closed", t.name)
		return false, protect(func() error { t.runCleanups(); return nil })
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
