package scheduler

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func finish(context.Context, *Task) (Next, error) { return Done(), nil }

// ready is a finished context: get then takes a task only if one can start
// immediately.
func ready() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// take gets the next task that can start now, failing if its name is not
// want ("" meaning that nothing may start).
func take(t *testing.T, q *Queue, want string) *Task {
	t.Helper()
	got := q.get(ready())
	switch {
	case got == nil && want != "":
		t.Fatalf("nothing to get, want %s", want)
	case got != nil && want == "":
		t.Fatalf("got %s, want nothing", got)
	case got != nil && got.Name() != want:
		t.Fatalf("got %s, want %s", got, want)
	}
	return got
}

func submit(t *testing.T, q *Queue, f *FIFO, name string, flags Flags) {
	t.Helper()
	if !q.Submit(context.Background(), f, name, finish, flags) {
		t.Fatalf("task %s refused", name)
	}
}

func TestFIFOOrderWithinKey(t *testing.T) {
	q := NewQueue(newTestLog(t))
	f := q.NewFIFO("Node a")
	names := []string{"Import 1 on a", "Import 2 on a", "Import 3 on a", "Import 4 on a"}
	for _, n := range names {
		submit(t, q, f, n, 0)
	}
	for _, n := range names {
		q.done(take(t, q, n))
	}
	take(t, q, "")
}

func TestFairnessAcrossKeys(t *testing.T) {
	t.Run("round robin among equally busy FIFOs", func(t *testing.T) {
		q := NewQueue(newTestLog(t))
		busy, other := q.NewFIFO("Node busy"), q.NewFIFO("Node other")
		for _, n := range []string{"b1", "b2", "b3", "b4"} {
			submit(t, q, busy, n, 0)
		}
		for _, n := range []string{"o1", "o2"} {
			submit(t, q, other, n, 0)
		}
		var order []string
		for t0 := q.get(ready()); t0 != nil; t0 = q.get(ready()) {
			order = append(order, t0.Name())
			q.done(t0)
		}
		want := []string{"b1", "o1", "b2", "o2", "b3", "b4"}
		if !slices.Equal(order, want) {
			t.Errorf("order %v, want %v", order, want)
		}
	})

	t.Run("fewest in progress first", func(t *testing.T) {
		q := NewQueue(newTestLog(t))
		busy, other := q.NewFIFO("Node busy"), q.NewFIFO("Node other")
		for _, n := range []string{"b1", "b2"} {
			submit(t, q, busy, n, 0)
		}
		for _, n := range []string{"o1", "o2"} {
			submit(t, q, other, n, 0)
		}
		b1 := take(t, q, "b1")
		q.done(take(t, q, "o1"))
		// busy was served longer ago, but still has b1 in progress.
		o2 := take(t, q, "o2")
		take(t, q, "b2")
		q.done(b1)
		q.done(o2)
	})
}

func TestExclusive(t *testing.T) {
	q := NewQueue(newTestLog(t))
	f, g := q.NewFIFO("Node f"), q.NewFIFO("Node g")
	submit(t, q, f, "n1", 0)
	submit(t, q, f, "Tidy up f", Exclusive)
	submit(t, q, f, "n2", 0)
	submit(t, q, g, "m1", 0)

	n1 := take(t, q, "n1")
	m1 := take(t, q, "m1")
	// The exclusive head waits for n1, and holds back n2 behind it.
	take(t, q, "")
	q.done(m1)
	take(t, q, "")

	q.done(n1)
	tidy := take(t, q, "Tidy up f")
	if stats := q.FIFOStats(); !stats[0].Locked || stats[1].Locked {
		t.Errorf("locks %+v, want only f locked", stats)
	}
	// While it runs nothing else from f starts; other FIFOs carry on.
	submit(t, q, f, "n3", 0)
	submit(t, q, g, "m2", 0)
	q.done(take(t, q, "m2"))
	take(t, q, "")

	q.done(tidy)
	n2 := take(t, q, "n2")
	n3 := take(t, q, "n3")
	q.done(n2)
	q.done(n3)
	if queued, deferred, inProgress := q.Counts(); queued+deferred+inProgress != 0 {
		t.Errorf("counts %d/%d/%d after everything finished", queued, deferred, inProgress)
	}
}

func TestDeferredTaskIsHeldBackUntilDue(t *testing.T) {
	const delay = 20 * time.Millisecond
	q := NewQueue(newTestLog(t))
	f := q.NewFIFO("Node n")
	var firstAt, secondAt time.Time
	second := func(context.Context, *Task) (Next, error) {
		secondAt = time.Now()
		return Done(), nil
	}
	q.Submit(context.Background(), f, "Ready file x on node n", func(context.Context, *Task) (Next, error) {
		firstAt = time.Now()
		return After(delay, second), nil
	}, 0)

	task := take(t, q, "Ready file x on node n")
	if finished, err := task.step(context.Background()); finished || err != nil {
		t.Fatalf("step: finished %v, err %v; want a deferral", finished, err)
	}
	q.done(task)
	if queued, deferred, inProgress := q.Counts(); queued != 0 || deferred != 1 || inProgress != 0 {
		t.Errorf("counts %d/%d/%d, want 0/1/0", queued, deferred, inProgress)
	}
	// A node whose only work is waiting counts as idle.
	if n := q.FIFOSize(f); n != 0 {
		t.Errorf("FIFOSize %d while deferred, want 0", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	task = q.get(ctx)
	if task == nil {
		t.Fatal("deferred task never came back")
	}
	if finished, err := task.step(ctx); !finished || err != nil {
		t.Fatalf("step: finished %v, err %v", finished, err)
	}
	q.done(task)
	if secondAt.Sub(firstAt) < delay {
		t.Errorf("resumed %v after the first step, before its %v delay", secondAt.Sub(firstAt), delay)
	}
}

func TestCloseFIFO(t *testing.T) {
	log := newTestLog(t)
	q := NewQueue(log)
	f := q.NewFIFO("Node f")
	var cleaned []string
	waiting := func(name string) Step {
		return func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { cleaned = append(cleaned, name) })
			return After(time.Hour, finish), nil
		}
	}
	q.Submit(context.Background(), f, "held", func(ctx context.Context, t *Task) (Next, error) {
		next, err := waiting("held")(ctx, t)
		// Runs first; its failure must not keep the other from running.
		t.OnCleanup(func() { panic("reservation already released") })
		return next, err
	}, 0)
	q.Submit(context.Background(), f, "running", waiting("running"), 0)
	held := take(t, q, "held")
	if _, err := held.step(context.Background()); err != nil {
		t.Fatal(err)
	}
	q.done(held)
	running := take(t, q, "running")
	submit(t, q, f, "queued1", 0)
	submit(t, q, f, "queued2", 0)

	pending, deferred := q.CloseFIFO(f)
	if pending != 2 || deferred != 1 {
		t.Errorf("discarded %d pending, %d deferred; want 2, 1", pending, deferred)
	}
	if !slices.Equal(cleaned, []string{"held"}) {
		t.Errorf("cleanups run %v, want [held]", cleaned)
	}
	if errs := log.at(logrus.ErrorLevel); len(errs) != 1 || errs[0].thread != "MainThread" ||
		!strings.HasPrefix(errs[0].msg, "Cleanup of task held failed: reservation already released\n") {
		t.Errorf("lines at ERROR %v, want the failed cleanup", errs)
	}
	if n := q.FIFOSize(f); n != 1 {
		t.Errorf("FIFOSize %d, want 1 (the running task)", n)
	}

	if q.Submit(context.Background(), f, "Import late on f", finish, 0) {
		t.Error("closed FIFO accepted a task")
	}
	if log.count(logrus.InfoLevel, "MainThread", "Ignoring task Import late on f: FIFO closed") != 1 {
		t.Error("refused task not logged")
	}

	// The running task may not put itself back either; it ends there.
	if finished, err := running.step(context.Background()); finished || err != nil {
		t.Fatalf("step: finished %v, err %v", finished, err)
	}
	q.done(running)
	if log.count(logrus.InfoLevel, "MainThread", "Ignoring task running: FIFO closed") != 1 {
		t.Error("refused re-queue not logged")
	}
	if !slices.Equal(cleaned, []string{"held", "running"}) {
		t.Errorf("cleanups run %v, want [held running]", cleaned)
	}
	if n := q.FIFOSize(f); n != 0 {
		t.Errorf("FIFOSize %d, want 0", n)
	}
	if stats := q.FIFOStats(); len(stats) != 0 {
		t.Errorf("closed FIFO still listed: %+v", stats)
	}
	if queued, deferred, inProgress := q.Counts(); queued+deferred+inProgress != 0 {
		t.Errorf("counts %d/%d/%d", queued, deferred, inProgress)
	}
}

func TestCleanupsRunOnceInReverseOrder(t *testing.T) {
	q := NewQueue(newTestLog(t))
	f := q.NewFIFO("Node f")
	var ran []string
	register := func(name string) { ran = append(ran, name) }
	q.Submit(context.Background(), f, "AFCR#1: a -> f", func(_ context.Context, t *Task) (Next, error) {
		t.OnCleanup(func() { register("release bytes") })
		return After(0, func(_ context.Context, t *Task) (Next, error) {
			t.OnCleanup(func() { register("remove temp dir") })
			return Done(), nil
		}), nil
	}, 0)
	for range 2 {
		task := take(t, q, "AFCR#1: a -> f")
		if _, err := task.step(context.Background()); err != nil {
			t.Fatal(err)
		}
		q.done(task)
	}
	take(t, q, "")
	if want := []string{"remove temp dir", "release bytes"}; !slices.Equal(ran, want) {
		t.Errorf("cleanups %v, want %v", ran, want)
	}
}

func TestStatusLine(t *testing.T) {
	s := Stats{Queued: 1, Deferred: 0, InProgress: 3, Workers: 2}
	if got, want := s.String(), "Tasks: 1 queued, 0 deferred, 3 in-progress on 2 workers"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
