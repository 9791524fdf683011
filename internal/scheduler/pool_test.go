package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

const (
	info  = logrus.InfoLevel
	warn  = logrus.WarnLevel
	errLv = logrus.ErrorLevel
)

// newPool starts a pool that the test stops when it ends, whatever happens.
func newPool(t *testing.T, log *testLog, opts Options) (*Queue, *Pool) {
	t.Helper()
	q := NewQueue(log)
	p := NewPool(context.Background(), q, opts)
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	return q, p
}

// eventually waits for cond to hold; used where the scheduler offers nothing
// to wait on, such as a goroutine's final return.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func recv(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("never: %s", what)
	}
}

// gate returns a channel for tasks to block on and the function that opens
// it. The gate also opens when the test ends, so that a failing test cannot
// leave a worker blocked and the pool's Stop waiting for it for ever; it must
// therefore be made after the pool.
func gate(t *testing.T) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	open := sync.OnceFunc(func() { close(ch) })
	t.Cleanup(open)
	return ch, open
}

// events records what tasks did, in order, across goroutines.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

func TestDeferralReleasesWorker(t *testing.T) {
	const delay = 20 * time.Millisecond
	log := newTestLog(t)
	q, p := newPool(t, log, Options{Workers: 1})
	f := q.NewFIFO("Node n")
	var ev events
	var firstAt time.Time
	var busyDuringB, waitingDuringB int
	goA, openA := gate(t)

	q.Submit(context.Background(), f, "A", func(ctx context.Context, t *Task) (Next, error) {
		<-goA
		ev.add("A1")
		firstAt = time.Now()
		return After(delay, func(context.Context, *Task) (Next, error) {
			ev.add("A2")
			if time.Since(firstAt) < delay {
				ev.add("A2 early")
			}
			return Done(), nil
		}), nil
	}, 0)
	q.Submit(context.Background(), f, "B", func(context.Context, *Task) (Next, error) {
		ev.add("B")
		queued, deferred, inProgress := q.Counts()
		waitingDuringB, busyDuringB = queued+deferred, inProgress
		return Done(), nil
	}, 0)
	openA()
	log.wait(t, 1, info, "Worker#1", "Finished task: A")

	// With a single worker, B can only run between A's steps if the worker
	// was let go while A waited.
	if got := ev.get(); !slices.Equal(got, []string{"A1", "B", "A2"}) {
		t.Errorf("events %v, want [A1 B A2]", got)
	}
	if busyDuringB != 1 || waitingDuringB != 1 {
		t.Errorf("during B: %d in progress, %d waiting; want 1, 1", busyDuringB, waitingDuringB)
	}
	want := []string{
		"Beginning task A", "Deferring task: A",
		"Beginning task B", "Finished task: B",
		"Beginning task A", "Finished task: A",
	}
	if got := log.messages("Worker#1", "Beginning", "Finished", "Deferring"); !slices.Equal(got, want) {
		t.Errorf("worker log %q, want %q", got, want)
	}
	if log.count(logrus.DebugLevel, "Worker#1", "Requeueing yielded task A in FIFO Node n with delay 0.02 seconds") != 1 {
		t.Error("no debug line for the deferral")
	}
	if s := p.Stats(); s.Queued+s.Deferred+s.InProgress != 0 {
		t.Errorf("stats after all done: %v", s)
	}
}

func TestExclusiveTaskWaitsForFIFO(t *testing.T) {
	log := newTestLog(t)
	q, _ := newPool(t, log, Options{Workers: 2})
	f, g := q.NewFIFO("Node f"), q.NewFIFO("Node g")
	aStarted := make(chan struct{})
	waitA, releaseA := gate(t)
	var tidyStarted atomic.Bool
	var sizeDuringTidy int

	q.Submit(context.Background(), f, "Import a on f", func(context.Context, *Task) (Next, error) {
		close(aStarted)
		<-waitA
		return Done(), nil
	}, 0)
	recv(t, "first task started", aStarted)
	q.Submit(context.Background(), f, "Tidy up f", func(context.Context, *Task) (Next, error) {
		tidyStarted.Store(true)
		sizeDuringTidy = q.FIFOSize(f)
		return Done(), nil
	}, Exclusive)
	submit(t, q, g, "Import b on g", 0)
	log.wait(t, 1, info, "", "Finished task: Import b on g")
	if tidyStarted.Load() {
		t.Fatal("exclusive task started while another task of its FIFO ran")
	}

	releaseA()
	log.wait(t, 1, info, "", "Finished task: Tidy up f")
	if sizeDuringTidy != 1 {
		t.Errorf("FIFO size %d during the exclusive task, want 1", sizeDuringTidy)
	}
}

func TestFailingTaskIsLoggedAndWorkerCarriesOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func() error
		// logged is the start of the failure's line; a panic's stack
		// follows on the next lines.
		logged string
		stack  bool
	}{
		{"panic", func() error { panic("index out of range") }, "Task Import x on n failed: index out of range\n", true},
		{"error", func() error { return errors.New("no such acquisition type") }, "Task Import x on n failed: no such acquisition type", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := newTestLog(t)
			q, p := newPool(t, log, Options{Workers: 1})
			f := q.NewFIFO("Node n")
			var ev events
			q.Submit(context.Background(), f, "Import x on n", func(_ context.Context, t *Task) (Next, error) {
				t.OnCleanup(func() { ev.add("release space") })
				t.OnCleanup(func() { ev.add("remove placeholder"); panic("placeholder gone") })
				return Done(), tc.fail()
			}, 0)
			q.Submit(context.Background(), f, "Import y on n", func(context.Context, *Task) (Next, error) {
				ev.add("next task")
				return Done(), nil
			}, 0)
			log.wait(t, 1, info, "Worker#1", "Finished task: Import y on n")

			// The one worker ran the next task itself, without a restart.
			want := []string{
				"Started.",
				"Beginning task Import x on n",
				"Beginning task Import y on n", "Finished task: Import y on n",
			}
			if got := log.messages("Worker#1", "Started", "Stopped", "Beginning", "Finished", "Exiting"); !slices.Equal(got, want) {
				t.Errorf("worker log %q, want %q", got, want)
			}
			if got := ev.get(); !slices.Equal(got, []string{"remove placeholder", "release space", "next task"}) {
				t.Errorf("events %v: cleanups must all run, before the next task", got)
			}

			errs := log.at(errLv)
			if len(errs) != 2 {
				t.Fatalf("%d lines at ERROR, want 2: %v", len(errs), errs)
			}
			failure, stack, _ := strings.Cut(errs[0].msg, "\n")
			if errs[0].thread != "Worker#1" || !strings.HasPrefix(errs[0].msg, tc.logged) {
				t.Errorf("failure logged as %v, want %q...", errs[0], tc.logged)
			}
			// The stack locates the panic in the task's code.
			if hasStack := strings.HasPrefix(stack, "goroutine ") && strings.Contains(stack, "pool_test.go:"); hasStack != tc.stack {
				t.Errorf("after %q: stack %t, want %t:\n%s", failure, hasStack, tc.stack, stack)
			}
			if !strings.HasPrefix(errs[1].msg, "Cleanup of task Import x on n failed: placeholder gone\ngoroutine ") {
				t.Errorf("cleanup failure logged as %v", errs[1])
			}

			exited := func() bool {
				p.mu.Lock()
				defer p.mu.Unlock()
				return p.workers[0].exited()
			}
			if exited() {
				t.Error("worker exited after the failure")
			}
			p.Respawn(context.Background())
			if n := len(log.messages("MainThread", "Respawning")); n != 0 {
				t.Errorf("%d workers respawned", n)
			}
			if s := p.Stats(); s != (Stats{Workers: 1}) {
				t.Errorf("stats after the failure: %v", s)
			}
		})
	}
}

func TestFailingCleanupOfFinishedTask(t *testing.T) {
	log := newTestLog(t)
	q, _ := newPool(t, log, Options{Workers: 1})
	f := q.NewFIFO("Node n")
	var ev events
	q.Submit(context.Background(), f, "Delete copies [1] from n", func(_ context.Context, t *Task) (Next, error) {
		t.OnCleanup(func() { ev.add("second cleanup") })
		t.OnCleanup(func() { panic(errors.New("no such file")) })
		return Done(), nil
	}, 0)
	submit(t, q, f, "Import y on n", 0)
	log.wait(t, 1, info, "Worker#1", "Finished task: Import y on n")

	if log.count(info, "Worker#1", "Finished task: Delete copies [1] from n") != 1 {
		t.Error("task not reported finished")
	}
	errs := log.at(errLv)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].msg, "Cleanup of task Delete copies [1] from n failed: no such file\n") {
		t.Errorf("lines at ERROR %v, want the cleanup's failure", errs)
	}
	if got := ev.get(); !slices.Equal(got, []string{"second cleanup"}) {
		t.Errorf("events %v: the other cleanup did not run", got)
	}
}

func TestDBErrorRestartsWorker(t *testing.T) {
	errLost := errors.New("Lost connection to MySQL server during query")
	isDB := func(err error) bool { return errors.Is(err, errLost) }

	t.Run("requeued", func(t *testing.T) {
		log := newTestLog(t)
		q, p := newPool(t, log, Options{Workers: 1, IsDBError: isDB})
		f := q.NewFIFO("Node n")
		var attempts, cleanups atomic.Int32
		q.Submit(context.Background(), f, "Import x on n", func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { cleanups.Add(1) })
			if attempts.Add(1) == 1 {
				return Done(), fmt.Errorf("import x: %w", errLost)
			}
			return Done(), nil
		}, RequeueOnDBError)

		log.wait(t, 1, errLv, "Worker#1", "Exiting due to db error: import x: "+errLost.Error())
		waitExited(t, p, 0)
		if p.Workers() != 1 {
			t.Errorf("pool size %d, want 1 (dead workers keep their slot)", p.Workers())
		}
		p.Respawn(context.Background())
		log.wait(t, 1, warn, "MainThread", "Respawning dead worker #1")
		log.wait(t, 2, info, "Worker#1", "Started.")
		log.wait(t, 1, info, "Worker#1", "Finished task: Import x on n")
		if p.Workers() != 1 {
			t.Errorf("pool size %d after respawning, want 1", p.Workers())
		}

		want := []string{
			"Beginning task Import x on n",
			"Finished task Import x on n",
			"Requeueing task Import x on n in FIFO Node n",
			"Beginning task Import x on n",
			"Finished task: Import x on n",
		}
		if got := log.messages("Worker#1", "Beginning", "Finished", "Requeueing"); !slices.Equal(got, want) {
			t.Errorf("worker log %q, want %q", got, want)
		}
		if attempts.Load() != 2 || cleanups.Load() != 2 {
			t.Errorf("%d attempts, %d cleanups; want 2 each", attempts.Load(), cleanups.Load())
		}
	})

	t.Run("abandoned", func(t *testing.T) {
		log := newTestLog(t)
		q, p := newPool(t, log, Options{Workers: 1, IsDBError: isDB})
		f := q.NewFIFO("Node n")
		var ran []string
		q.Submit(context.Background(), f, "Check file x on n", func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { ran = append(ran, "last") })
			t.OnCleanup(func() { ran = append(ran, "second"); panic("placeholder gone") })
			t.OnCleanup(func() { ran = append(ran, "first"); panic(errLost) })
			return Done(), errLost
		}, 0)

		log.wait(t, 1, errLv, "Worker#1", "Exiting due to db error: "+errLost.Error())
		waitExited(t, p, 0)
		// A database error in a cleanup is expected alongside the task's
		// own and goes unreported; any other failure is reported. Either
		// way the remaining cleanups still run.
		if !slices.Equal(ran, []string{"first", "second", "last"}) {
			t.Errorf("cleanups %v, want [first second last]", ran)
		}
		errs := log.at(errLv)
		if len(errs) != 2 || !strings.HasPrefix(errs[0].msg, "Cleanup of task Check file x on n failed: placeholder gone\n") {
			t.Errorf("lines at ERROR %v, want the second cleanup's failure, then the exit", errs)
		}
		if s := p.Stats(); s.Queued+s.Deferred+s.InProgress != 0 {
			t.Errorf("task came back: %v", s)
		}
	})
}

// waitExited waits until the worker in slot has returned.
func waitExited(t *testing.T, p *Pool, slot int) {
	t.Helper()
	p.mu.Lock()
	w := p.workers[slot]
	p.mu.Unlock()
	recv(t, "worker exit", w.done)
}

func TestStopLetsRunningTaskFinish(t *testing.T) {
	log := newTestLog(t)
	q, p := newPool(t, log, Options{Workers: 1})
	f := q.NewFIFO("Node n")
	started := make(chan struct{})
	wait, release := gate(t)
	var ctxErr error
	q.Submit(context.Background(), f, "Delete copies [1] from n", func(ctx context.Context, _ *Task) (Next, error) {
		close(started)
		<-wait
		ctxErr = ctx.Err()
		return Done(), nil
	}, 0)
	recv(t, "task start", started)

	stopped := make(chan error, 1)
	go func() { stopped <- p.Stop(context.Background()) }()
	eventually(t, "stop begun", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stopping
	})
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a task was running", err)
	default:
	}
	release()
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
	if ctxErr != nil {
		t.Errorf("running task cancelled: %v", ctxErr)
	}
	for _, msg := range []string{"Finished task: Delete copies [1] from n", "Stopped."} {
		if log.count(info, "Worker#1", msg) != 1 {
			t.Errorf("missing %q", msg)
		}
	}
}

func TestStopCancelsTasksAfterDeadline(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	for _, tc := range []struct {
		name       string
		returnsErr bool
		logged     logrus.Level
		msg        string
	}{
		{"task handles the kill", false, info, "Finished task: AFCR#1: a -> n"},
		{"task returns the kill", true, warn, "Abandoned task AFCR#1: a -> n: signal: killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := newTestLog(t)
			q, p := newPool(t, log, Options{Workers: 1})
			f, g := q.NewFIFO("Node n"), q.NewFIFO("Node g")

			var heldCleaned, queuedRan atomic.Bool
			q.Submit(context.Background(), g, "Ready file x on node g", func(_ context.Context, t *Task) (Next, error) {
				t.OnCleanup(func() { heldCleaned.Store(true) })
				return After(time.Hour, finish), nil
			}, 0)
			log.wait(t, 1, info, "Worker#1", "Deferring task: Ready file x on node g")

			started := make(chan struct{})
			var runErr error
			q.Submit(context.Background(), f, "AFCR#1: a -> n", func(ctx context.Context, _ *Task) (Next, error) {
				cmd := exec.CommandContext(ctx, sleep, "60")
				if err := cmd.Start(); err != nil {
					return Done(), err
				}
				close(started)
				runErr = cmd.Wait()
				if tc.returnsErr {
					return Done(), runErr
				}
				return Done(), nil
			}, 0)
			recv(t, "transfer start", started)
			q.Submit(context.Background(), g, "Import y on g", func(context.Context, *Task) (Next, error) {
				queuedRan.Store(true)
				return Done(), nil
			}, 0)

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Stop: %v, want the deadline", err)
			}
			if runErr == nil || runErr.Error() != "signal: killed" {
				t.Errorf("command ended with %v, want it killed", runErr)
			}
			if log.count(tc.logged, "Worker#1", tc.msg) != 1 {
				t.Errorf("missing %s %q", tc.logged, tc.msg)
			}
			if errs := log.at(errLv); len(errs) != 0 {
				t.Errorf("shutdown reported failures: %v", errs)
			}
			if !heldCleaned.Load() {
				t.Error("deferred task dropped without its cleanup")
			}
			if queuedRan.Load() {
				t.Error("queued task ran after Stop")
			}
			if s := p.Stats(); s != (Stats{}) {
				t.Errorf("stats after Stop: %v", s)
			}
			if q.Submit(context.Background(), f, "Import z on n", finish, 0) {
				t.Error("task accepted after Stop")
			}
		})
	}
}

func TestSerialIO(t *testing.T) {
	t.Run("runs until nothing is ready", func(t *testing.T) {
		log := newTestLog(t)
		q, p := newPool(t, log, Options{})
		f, g := q.NewFIFO("Node f"), q.NewFIFO("Node g")
		var ids []int
		note := func(ctx context.Context, _ *Task) (Next, error) {
			ids = append(ids, WorkerID(ctx))
			return Done(), nil
		}
		q.Submit(context.Background(), f, "Import a on f", note, 0)
		q.Submit(context.Background(), f, "Import b on f", note, 0)
		q.Submit(context.Background(), g, "Import c on g", note, 0)
		q.Submit(context.Background(), g, "Ready file d on node g", func(context.Context, *Task) (Next, error) {
			return After(10*time.Millisecond, note), nil
		}, 0)
		q.Submit(context.Background(), g, "Ready file e on node g", func(context.Context, *Task) (Next, error) {
			return After(time.Hour, note), nil
		}, 0)

		if err := p.RunSerial(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"Beginning task Import a on f", "Finished task Import a on f",
			"Beginning task Import c on g", "Finished task Import c on g",
			"Beginning task Import b on f", "Finished task Import b on f",
			"Beginning task Ready file d on node g", "Finished task Ready file d on node g",
			"Beginning task Ready file e on node g", "Finished task Ready file e on node g",
			"Beginning task Ready file d on node g", "Finished task Ready file d on node g",
		}
		if got := log.messages("MainThread", "Beginning", "Finished"); !slices.Equal(got, want) {
			t.Errorf("log %q,\nwant %q", got, want)
		}
		if !slices.Equal(ids, []int{0, 0, 0, 0}) {
			t.Errorf("worker ids %v, want four 0s", ids)
		}
		// The long wait is left for a later pass.
		if s := p.Stats(); s != (Stats{Deferred: 1}) {
			t.Errorf("stats %v", s)
		}
		if tasks, loops := p.SerialCounts(); tasks != 6 || loops != 1 {
			t.Errorf("serial counts %d tasks, %d loops; want 6, 1", tasks, loops)
		}
	})

	t.Run("stops at the time limit", func(t *testing.T) {
		const limit = 20 * time.Millisecond
		log := newTestLog(t)
		q, p := newPool(t, log, Options{})
		f := q.NewFIFO("Node f")
		q.Submit(context.Background(), f, "Import slow on f", func(context.Context, *Task) (Next, error) {
			time.Sleep(2 * limit)
			return Done(), nil
		}, 0)
		submit(t, q, f, "Import next on f", 0)

		if err := p.RunSerial(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if s := p.Stats(); s.Queued != 2 {
			t.Errorf("a zero time limit still ran tasks: %v", s)
		}
		if err := p.RunSerial(context.Background(), limit); err != nil {
			t.Fatal(err)
		}
		if s := p.Stats(); s.Queued != 1 {
			t.Errorf("stats %v, want the second task left queued", s)
		}
		if tasks, loops := p.SerialCounts(); tasks != 1 || loops != 2 {
			t.Errorf("serial counts %d tasks, %d loops; want 1, 2", tasks, loops)
		}
	})

	t.Run("failing tasks are logged and the run goes on", func(t *testing.T) {
		log := newTestLog(t)
		q, p := newPool(t, log, Options{})
		f := q.NewFIFO("Node f")
		var cleaned int
		q.Submit(context.Background(), f, "Tidy up f", func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { cleaned++ })
			return Done(), errors.New("permission denied")
		}, Exclusive)
		q.Submit(context.Background(), f, "Import a on f", func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { cleaned++ })
			panic("bad header")
		}, 0)
		submit(t, q, f, "Import b on f", 0)

		if err := p.RunSerial(context.Background(), time.Hour); err != nil {
			t.Fatalf("RunSerial: %v", err)
		}
		if cleaned != 2 {
			t.Errorf("%d cleanups run, want 2", cleaned)
		}
		want := []string{
			"Beginning task Tidy up f",
			"Beginning task Import a on f",
			"Beginning task Import b on f", "Finished task Import b on f",
		}
		if got := log.messages("MainThread", "Beginning", "Finished"); !slices.Equal(got, want) {
			t.Errorf("log %q,\nwant %q", got, want)
		}
		errs := log.at(errLv)
		if len(errs) != 2 || errs[0].msg != "Task Tidy up f failed: permission denied" ||
			!strings.HasPrefix(errs[1].msg, "Task Import a on f failed: bad header\ngoroutine ") {
			t.Errorf("lines at ERROR %v", errs)
		}
		if s := p.Stats(); s != (Stats{}) {
			t.Errorf("stats %v", s)
		}
	})

	t.Run("database error is returned", func(t *testing.T) {
		errLost := errors.New("Lost connection to MySQL server during query")
		log := newTestLog(t)
		q, p := newPool(t, log, Options{IsDBError: func(err error) bool { return errors.Is(err, errLost) }})
		f := q.NewFIFO("Node f")
		var cleaned bool
		q.Submit(context.Background(), f, "Tidy up f", func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { cleaned = true })
			return Done(), errLost
		}, Exclusive)
		submit(t, q, f, "Import a on f", 0)

		err := p.RunSerial(context.Background(), time.Hour)
		if !errors.Is(err, errLost) || err.Error() != "task Tidy up f: "+errLost.Error() {
			t.Errorf("RunSerial: %v", err)
		}
		if !cleaned {
			t.Error("cleanup not run")
		}
		if s := p.Stats(); s != (Stats{Queued: 1}) {
			t.Errorf("stats %v", s)
		}
		if log.count(info, "MainThread", "Finished task Tidy up f") != 0 {
			t.Error("failed task logged as finished")
		}
	})
}

func TestWorkerIDs(t *testing.T) {
	log := newTestLog(t)
	q, _ := newPool(t, log, Options{Workers: 2})
	f := q.NewFIFO("Node f")
	started := make(chan int, 2)
	wait, release := gate(t)
	for _, n := range []string{"a", "b"} {
		q.Submit(context.Background(), f, "Import "+n+" on f", func(ctx context.Context, _ *Task) (Next, error) {
			started <- WorkerID(ctx)
			<-wait
			return Done(), nil
		}, 0)
	}
	ids := []int{<-started, <-started}
	release()
	slices.Sort(ids)
	if !slices.Equal(ids, []int{1, 2}) {
		t.Errorf("worker ids %v, want [1 2]", ids)
	}
}

func TestAddRemoveWorkers(t *testing.T) {
	log := newTestLog(t)
	_, p := newPool(t, log, Options{})
	ctx := context.Background()
	ids := func() []int {
		var out []int
		for _, w := range p.WorkerStatus() {
			out = append(out, w.ID)
		}
		slices.Sort(out)
		return out
	}

	p.AddWorker(ctx)
	p.AddWorker(ctx)
	log.wait(t, 1, info, "Worker#1", "Started.")
	log.wait(t, 1, info, "Worker#2", "Started.")
	if p.Workers() != 2 || p.Stats().Workers != 2 {
		t.Errorf("%d workers, want 2", p.Workers())
	}

	p.RemoveWorker(ctx)
	log.wait(t, 1, info, "Worker#2", "Stopped.")
	if p.Workers() != 1 {
		t.Errorf("%d workers, want 1", p.Workers())
	}
	eventually(t, "Worker#2 gone", func() bool { return slices.Equal(ids(), []int{1}) })

	// Numbers are reused after a removal.
	p.AddWorker(ctx)
	log.wait(t, 2, info, "Worker#2", "Started.")
	eventually(t, "two workers", func() bool { return slices.Equal(ids(), []int{1, 2}) })

	p.RemoveWorker(ctx)
	p.RemoveWorker(ctx)
	log.wait(t, 1, info, "Worker#1", "Stopped.")
	log.wait(t, 2, info, "Worker#2", "Stopped.")
	p.RemoveWorker(ctx)
	if log.count(warn, "MainThread", "WorkerPool ignoring decrement request: no workers") != 1 {
		t.Error("removal from an empty pool not refused")
	}
	if p.Workers() != 0 {
		t.Errorf("%d workers, want 0", p.Workers())
	}

	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	p.AddWorker(ctx)
	if log.count(warn, "MainThread", "WorkerPool ignoring increment request: pool not clean") != 1 {
		t.Error("growth after Stop not refused")
	}
}

func TestSerialOnlyPool(t *testing.T) {
	log := newTestLog(t)
	_, p := newPool(t, log, Options{Workers: 2, SerialOnly: true})
	p.AddWorker(context.Background())
	p.RemoveWorker(context.Background())
	if p.Workers() != 0 {
		t.Errorf("%d workers in a serial-only pool", p.Workers())
	}
	if log.count(info, "MainThread", "Ignoring request to add worker: serial I/O only") != 1 {
		t.Error("refusal not logged")
	}
	if n := len(log.all()); n != 1 {
		t.Errorf("%d lines logged, want 1", n)
	}
}

func TestSignals(t *testing.T) {
	log := newTestLog(t)
	_, p := newPool(t, log, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.HandleSignals(ctx)

	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	log.wait(t, 1, info, "MainThread", "Caught SIGUSR1: incrementing workers.")
	log.wait(t, 1, info, "Worker#1", "Started.")

	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	log.wait(t, 1, info, "MainThread", "Caught SIGUSR2: decrementing workers.")
	log.wait(t, 1, info, "Worker#1", "Stopped.")
	if p.Workers() != 0 {
		t.Errorf("%d workers, want 0", p.Workers())
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	log := newTestLog(t)
	q := NewQueue(log)
	p := NewPool(context.Background(), q, Options{Workers: 3})
	f, g := q.NewFIFO("Node f"), q.NewFIFO("Node g")
	for i := range 20 {
		fifo := f
		if i%2 == 1 {
			fifo = g
		}
		q.Submit(context.Background(), fifo, fmt.Sprintf("Import %d", i), func(context.Context, *Task) (Next, error) {
			return After(time.Millisecond, finish), nil
		}, 0)
	}
	q.Submit(context.Background(), f, "Tidy up f", finish, Exclusive)
	q.Submit(context.Background(), g, "Ready file x on node g", func(context.Context, *Task) (Next, error) {
		return After(time.Hour, finish), nil
	}, 0)
	// Failing tasks leave nothing running behind them either.
	q.Submit(context.Background(), f, "Import bad on f", func(context.Context, *Task) (Next, error) {
		return After(time.Millisecond, func(context.Context, *Task) (Next, error) { panic("bad header") }), nil
	}, 0)
	q.Submit(context.Background(), g, "Import unreadable on g", func(context.Context, *Task) (Next, error) {
		return Done(), errors.New("permission denied")
	}, 0)
	p.AddWorker(context.Background())
	p.RemoveWorker(context.Background())
	log.wait(t, 1, info, "Worker#4", "Stopped.")
	eventually(t, "work done", func() bool {
		s := p.Stats()
		return s.Queued == 0 && s.InProgress == 0 && s.Deferred == 1
	})

	if n := len(log.at(errLv)); n != 2 {
		t.Errorf("%d failures logged, want 2", n)
	}

	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "goroutines gone", func() bool { return runtime.NumGoroutine() <= before })
}
