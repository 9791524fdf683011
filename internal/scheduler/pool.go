package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Options configure a Pool.
type Options struct {
	// Workers is the number of workers to start with. Zero means serial I/O:
	// tasks run in the main loop through RunSerial until workers are added.
	Workers int
	// SerialOnly is for databases that cannot be used concurrently: the pool
	// never has workers and refuses to grow.
	SerialOnly bool
	// IsDBError tells database errors (a lost connection and the like), which
	// restart the worker, from other task failures, which are only logged.
	// Nil means no error is a database error.
	IsDBError func(error) bool
}

// Pool runs tasks from a queue on worker goroutines named Worker#1, Worker#2,
// ... . Its size can change while it runs; workers that exit after a database
// error are replaced by Respawn. A task that fails otherwise is logged and
// dropped, and its worker carries on.
type Pool struct {
	q          *Queue
	log        Logger
	isDBError  func(error) bool
	serialOnly bool

	// taskCtx is the parent of every task's context; Stop cancels it when its
	// deadline passes.
	taskCtx     context.Context
	cancelTasks context.CancelFunc

	mu       sync.Mutex
	workers  []*worker // by slot; slot i runs Worker#(i+1)
	all      []*worker // every worker started and not known to have exited
	stopping bool

	serialTasks atomic.Uint64
	serialLoops atomic.Uint64
}

type worker struct {
	id   int
	stop context.CancelFunc // ends the wait for the next task
	wait context.Context
	done chan struct{} // closed when the goroutine returns
	idle atomic.Bool
}

func (w *worker) name() string { return "Worker#" + strconv.Itoa(w.id) }

func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// NewPool starts a pool of workers taking tasks from q. Tasks run under
// contexts derived from ctx, tagged with their worker's name and number.
func NewPool(ctx context.Context, q *Queue, opts Options) *Pool {
	p := &Pool{
		q:          q,
		log:        q.log,
		isDBError:  opts.IsDBError,
		serialOnly: opts.SerialOnly,
	}
	if p.isDBError == nil {
		p.isDBError = func(error) bool { return false }
	}
	p.taskCtx, p.cancelTasks = context.WithCancel(ctx)
	if !p.serialOnly {
		p.mu.Lock()
		for range opts.Workers {
			p.startWorker(len(p.workers))
		}
		p.mu.Unlock()
	}
	return p
}

// startWorker starts a worker in slot, appending or replacing. Callers hold
// p.mu.
func (p *Pool) startWorker(slot int) {
	w := &worker{id: slot + 1, done: make(chan struct{})}
	w.wait, w.stop = context.WithCancel(p.taskCtx)
	if slot == len(p.workers) {
		p.workers = append(p.workers, w)
	} else {
		p.workers[slot] = w
	}
	p.all = append(p.all, w)
	go p.run(w)
}

func (p *Pool) run(w *worker) {
	defer close(w.done)
	ctx := context.WithValue(p.log.WithThread(p.taskCtx, w.name()), workerIDKey{}, w.id)
	log := p.log.Entry(ctx, componentPool)
	log.Info("Started.")
	for {
		w.idle.Store(true)
		if w.wait.Err() != nil {
			log.Info("Stopped.")
			return
		}
		t := p.q.get(w.wait)
		if t == nil {
			continue
		}
		w.idle.Store(false)
		log.Infof("Beginning task %s", t)
		finished, err := t.step(ctx)
		if err != nil {
			if p.fail(ctx, t, err) {
				continue
			}
			return
		}
		p.q.done(t)
		if finished {
			log.Infof("Finished task: %s", t)
		} else {
			log.Infof("Deferring task: %s", t)
		}
	}
}

// fail deals with a task whose step returned err, and reports whether the
// worker carries on: it does unless err is a database error.
func (p *Pool) fail(ctx context.Context, t *Task, err error) bool {
	log := p.log.Entry(ctx, componentPool)

	if p.taskCtx.Err() != nil {
		// Stop ran out of time and cancelled the task; the error is most
		// likely the cancellation itself, and the daemon is going down anyway.
		t.runCleanups(ctx, nil)
		p.q.done(t)
		log.Warnf("Abandoned task %s: %v", t, err)
		return true
	}

	if !p.isDBError(err) {
		// One task's failure says nothing about the others (typically one
		// bad file): it is reported and the task given up.
		log.Errorf("Task %s failed: %v", t, err)
		t.runCleanups(ctx, nil)
		p.q.done(t)
		return true
	}

	// A database error: the worker restarts, as it would to get a fresh
	// connection, and the task is given up, after its cleanups (which may
	// fail on the same database problem).
	t.runCleanups(ctx, p.isDBError)
	log.Infof("Finished task %s", t)
	p.q.done(t)
	t.requeue(ctx)
	log.Errorf("Exiting due to db error: %v", err)
	return false
}

// Respawn replaces workers that exited after a database error, keeping their
// numbers. It does nothing once Stop has begun.
func (p *Pool) Respawn(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return
	}
	// Workers told to stop that have since exited need no waiting for.
	p.all = slices.DeleteFunc(p.all, (*worker).exited)
	for slot, w := range p.workers {
		if w.exited() {
			p.log.Entry(ctx, componentPool).Warnf("Respawning dead worker #%d", w.id)
			p.startWorker(slot)
		}
	}
}

// AddWorker starts one more worker. Like the signal handler it serves, it
// gives up rather than wait if the pool is busy being changed.
func (p *Pool) AddWorker(ctx context.Context) {
	log := p.log.Entry(ctx, componentPool)
	if p.serialOnly {
		log.Info("Ignoring request to add worker: serial I/O only")
		return
	}
	if !p.mu.TryLock() {
		log.Warn("WorkerPool ignoring increment request: pool not clean")
		return
	}
	defer p.mu.Unlock()
	if p.stopping {
		log.Warn("WorkerPool ignoring increment request: pool not clean")
		return
	}
	p.startWorker(len(p.workers))
}

// RemoveWorker asks the highest-numbered worker to stop once its current
// task, if any, is over. If no workers remain the daemon falls back to serial
// I/O.
func (p *Pool) RemoveWorker(ctx context.Context) {
	if p.serialOnly {
		return
	}
	log := p.log.Entry(ctx, componentPool)
	if !p.mu.TryLock() {
		log.Warn("WorkerPool ignoring decrement request: pool not clean")
		return
	}
	defer p.mu.Unlock()
	switch {
	case p.stopping:
		log.Warn("WorkerPool ignoring decrement request: pool not clean")
	case len(p.workers) == 0:
		log.Warn("WorkerPool ignoring decrement request: no workers")
	default:
		w := p.workers[len(p.workers)-1]
		p.workers = p.workers[:len(p.workers)-1]
		w.stop()
	}
}

// Workers returns the number of workers, not counting those told to stop.
// Zero means tasks run only through RunSerial.
func (p *Pool) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.workers)
}

// Stop shuts the pool down. Workers finish the task they are running; if ctx
// ends first, the tasks' contexts are cancelled (killing commands started
// with exec.CommandContext) and Stop still waits for the workers to return.
// Then every queued and deferred task is discarded, with its cleanups run,
// and the queue accepts no more tasks. Stop returns ctx's error if it had to
// cancel tasks.
func (p *Pool) Stop(ctx context.Context) error {
	p.mu.Lock()
	p.stopping = true
	for _, w := range p.workers {
		w.stop()
	}
	all := p.all
	p.workers, p.all = nil, nil
	p.mu.Unlock()

	var err error
	for _, w := range all {
		select {
		case <-w.done:
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
				p.cancelTasks()
			}
			<-w.done
		}
	}
	p.cancelTasks()
	p.q.Close()
	return err
}

// Stats is a snapshot of the queue and pool sizes.
type Stats struct {
	Queued, Deferred, InProgress int
	Workers                      int
}

// String formats the snapshot as the main loop's status line.
func (s Stats) String() string {
	return fmt.Sprintf("Tasks: %d queued, %d deferred, %d in-progress on %d workers",
		s.Queued, s.Deferred, s.InProgress, s.Workers)
}

// Stats returns the current queue and pool sizes.
func (p *Pool) Stats() Stats {
	var s Stats
	s.Queued, s.Deferred, s.InProgress = p.q.Counts()
	s.Workers = p.Workers()
	return s
}

// WorkerStatus describes a running worker, for the worker metrics.
type WorkerStatus struct {
	ID   int
	Idle bool // waiting for a task
}

// WorkerStatus describes the workers whose goroutines are running, including
// those told to stop that are finishing a task.
func (p *Pool) WorkerStatus() []WorkerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []WorkerStatus
	for _, w := range p.all {
		if !w.exited() {
			out = append(out, WorkerStatus{ID: w.id, Idle: w.idle.Load()})
		}
	}
	return out
}

// SerialCounts returns how many tasks RunSerial has run and how many times it
// has been called.
func (p *Pool) SerialCounts() (tasks, loops uint64) {
	return p.serialTasks.Load(), p.serialLoops.Load()
}
