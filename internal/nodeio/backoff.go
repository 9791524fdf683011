package nodeio

import (
	"sync"
	"time"
)

// Waits between the tries of a request whose pull keeps failing: the
// first after a minute, doubling up to an hour. A source that is down, a
// key that was removed, a full disk: trying again at once only fills the
// log, while an hour is still short beside the time the archive keeps
// its files.
const (
	firstRetryWait = time.Minute
	lastRetryWait  = time.Hour
)

// Backoff holds, for the requests whose last pull failed, when they may
// be tried again. It lives as long as the daemon: a restart tries every
// request at once, as an operator who restarts it expects.
type Backoff struct {
	mu    sync.Mutex
	tries map[int64]backoffEntry
	// swept is when forget last went through tries.
	swept time.Time
}

type backoffEntry struct {
	failures int
	until    time.Time
}

// Failed records a failed pull of request id and returns how long the
// request now waits.
func (b *Backoff) Failed(id int64, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tries == nil {
		b.tries = map[int64]backoffEntry{}
	}
	b.forget(now)
	e := b.tries[id]
	e.failures++
	wait := lastRetryWait
	if e.failures <= 6 { // 1 min << 6 is past the hour
		wait = min(firstRetryWait<<(e.failures-1), lastRetryWait)
	}
	e.until = now.Add(wait)
	b.tries[id] = e
	return wait
}

// Succeeded forgets the failures of request id.
func (b *Backoff) Succeeded(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.tries, id)
}

// Waiting reports whether request id must not be tried before until.
func (b *Backoff) Waiting(id int64, now time.Time) (until time.Time, waiting bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.tries[id]
	if !ok || !now.Before(e.until) {
		return time.Time{}, false
	}
	return e.until, true
}

// forget drops the requests not tried again for an hour past their wait:
// they were completed or cancelled elsewhere, and the map must not grow
// with them.
// It goes through them at most once a minute, so that a host that is
// down, failing thousands of requests in a row, costs no more than that.
func (b *Backoff) forget(now time.Time) {
	if now.Sub(b.swept) < firstRetryWait {
		return
	}
	b.swept = now
	for id, e := range b.tries {
		if now.Sub(e.until) > lastRetryWait {
			delete(b.tries, id)
		}
	}
}
