package nodeio

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func TestGroupState(t *testing.T) {
	c := func(node int64, h db.HasFile) index.GroupCopy {
		return index.GroupCopy{FileID: 1, NodeID: node, HasFile: h}
	}
	for _, tc := range []struct {
		name   string
		copies []index.GroupCopy
		state  db.HasFile
		node   int64
	}{
		{"none", nil, db.HasNo, 0},
		{"absent only", []index.GroupCopy{c(1, db.HasNo)}, db.HasNo, 0},
		{"first present wins", []index.GroupCopy{c(1, db.HasMaybe), c(2, db.HasYes), c(3, db.HasYes)}, db.HasYes, 2},
		{"suspect beats corrupt, last suspect", []index.GroupCopy{c(1, db.HasCorrupt), c(2, db.HasMaybe), c(3, db.HasMaybe)}, db.HasMaybe, 3},
		{"first corrupt", []index.GroupCopy{c(1, db.HasNo), c(2, db.HasCorrupt), c(3, db.HasCorrupt)}, db.HasCorrupt, 2},
	} {
		state, node := index.GroupState(tc.copies)
		if state != tc.state || node != tc.node {
			t.Errorf("%s: got %s on %d, want %s on %d", tc.name, state, node, tc.state, tc.node)
		}
	}
}

func TestReservations(t *testing.T) {
	var r reservations
	// 100 bytes free: a 40-byte file needs 80 of them.
	if !r.reserve("n", 40, 100, true, false) {
		t.Fatal("first reservation refused")
	}
	if r.reserve("n", 20, 100, true, true) {
		t.Error("second file fits although only 20 bytes remain unpromised")
	}
	if !r.reserve("other", 40, 100, true, false) {
		t.Error("reservations of one node count against another")
	}
	if !r.reserve("n", 1<<40, 0, false, true) {
		t.Error("unknown free space refused a file")
	}
	r.release("n", 40)
	if !r.reserve("n", 50, 100, true, false) {
		t.Error("released space not available again")
	}
}
