// Package scheduler runs the daemon's asynchronous I/O: a fair queue of
// per-node FIFOs, tasks that can wait without holding a worker, a resizable
// pool of worker goroutines, and serial execution when there are no workers.
package scheduler

import (
	"context"

	"github.com/sirupsen/logrus"
)

// Logger connects the scheduler to the daemon's logging. Log lines carry the
// name of the "thread" that emitted them (MainThread, Worker#1, ...), and the
// component (an upstream logger name) lets logging.module_levels address them.
type Logger interface {
	// WithThread returns ctx tagged with a thread name; everything logged
	// through the returned context names that thread.
	WithThread(ctx context.Context, thread string) context.Context
	// Entry returns the logger for component in the thread ctx is tagged with.
	Entry(ctx context.Context, component string) *logrus.Entry
}

// Components, named after the upstream loggers so that module_levels settings
// written for the original daemon keep working.
const (
	componentPool   = "alpenhorn.scheduler.pool"
	componentTask   = "alpenhorn.scheduler.task"
	componentUpdate = "alpenhorn.daemon.update"
)

type workerIDKey struct{}

// WorkerID returns the number of the worker running the task that received
// ctx (1 for Worker#1, ...), or 0 outside workers, i.e. in serial I/O. The
// bbcp transfer method derives its port from it.
func WorkerID(ctx context.Context) int {
	id, _ := ctx.Value(workerIDKey{}).(int)
	return id
}
