package scheduler

import (
	"context"
	"fmt"
	"time"
)

// serialGet bounds the wait for the next task in serial I/O, so that a task
// deferred for longer is left for a later pass instead of holding the main
// loop.
const serialGet = time.Second

// RunSerial runs queued tasks in the caller's goroutine (the main loop, when
// the pool has no workers) until nothing is ready within a second, timeout
// has passed, or ctx ends; a running task is never interrupted for the
// timeout. Each task gets one step per turn, and tasks see WorkerID 0.
//
// A task that fails is logged and dropped, as in a worker, and the run goes
// on. A database error ends RunSerial and is returned: in the main thread
// there is no worker to restart for a fresh connection.
func (p *Pool) RunSerial(ctx context.Context, timeout time.Duration) error {
	defer p.serialLoops.Add(1)
	log := p.log.Entry(ctx, componentUpdate)
	end := time.Now().Add(timeout)
	for ctx.Err() == nil && time.Now().Before(end) {
		getCtx, cancel := context.WithTimeout(ctx, serialGet)
		t := p.q.get(getCtx)
		cancel()
		if t == nil {
			return nil
		}
		p.serialTasks.Add(1)

		log.Infof("Beginning task %s", t)
		_, err := t.step(ctx)
		switch {
		case err == nil:
			p.q.done(t)
			// Logged the same way whether the task finished or deferred
			// itself.
			log.Infof("Finished task %s", t)
		case p.isDBError(err):
			t.runCleanups(ctx, p.isDBError)
			p.q.done(t)
			return fmt.Errorf("task %s: %w", t, err)
		default:
			log.Errorf("Task %s failed: %v", t, err)
			t.runCleanups(ctx, nil)
			p.q.done(t)
		}
	}
	return nil
}
