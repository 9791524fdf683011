package nodeio

import (
	"sync"
)

// reserveFactor is how many times its size a pull reserves on the
// destination: room for the temporary file and for filesystem overhead.
const reserveFactor = 2

// reservations tracks, per node name, the bytes promised to pulls that are
// queued or running, so that several pulls dispatched in one pass cannot
// together overfill a node. Keyed by name, the table survives I/O re-inits.
type reservations struct {
	mu    sync.Mutex
	bytes map[string]int64
}

// reserve promises 2×size bytes on node unless that would exceed avail
// (known is false when free space is unknown: then anything fits). With
// checkOnly nothing is promised.
func (r *reservations) reserve(node string, size, avail int64, known, checkOnly bool) bool {
	need := reserveFactor * max(size, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bytes == nil {
		r.bytes = map[string]int64{}
	}
	if known && avail-r.bytes[node] < need {
		return false
	}
	if !checkOnly {
		r.bytes[node] += need
	}
	return true
}

// release returns what reserve promised. Releasing more than is held (which
// cannot happen when every reserve is paired with one release) clamps at
// zero rather than poisoning later decisions.
func (r *reservations) release(node string, size int64) {
	need := reserveFactor * max(size, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bytes[node] = max(r.bytes[node]-need, 0)
}
