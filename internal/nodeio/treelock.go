package nodeio

import "sync"

// treeLock keeps directory creation and directory removal on a node apart:
// a pull creating the directories it writes into must never see them
// pruned by a delete or tidy-up in between. Any number of holders may share
// one direction ("up": creating, "down": removing); the other direction
// waits until the lock is free.
type treeLock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	holders int
	down    bool
}

func newTreeLock() *treeLock {
	l := &treeLock{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *treeLock) acquire(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.holders > 0 && l.down != down {
		l.cond.Wait()
	}
	l.down = down
	l.holders++
}

func (l *treeLock) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holders--
	if l.holders == 0 {
		l.cond.Broadcast()
	}
}

// creating runs fn holding the lock for directory creation.
func (l *treeLock) creating(fn func()) {
	l.acquire(false)
	defer l.release()
	fn()
}

// removing runs fn holding the lock for directory removal.
func (l *treeLock) removing(fn func()) {
	l.acquire(true)
	defer l.release()
	fn()
}
