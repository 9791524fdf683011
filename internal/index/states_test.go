package index_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// TestGroupFileState checks the group-state rule: present wins (first
// one), then suspect (last one), then corrupt (first one); else absent.
func TestGroupFileState(t *testing.T) {
	for _, c := range []struct {
		copies string // has_file of each copy, in copy order, on nodes 1, 2, …
		has    db.HasFile
		node   int
	}{
		{"", db.HasNo, 0},
		{"N", db.HasNo, 0},
		{"XY", db.HasYes, 2},
		{"YY", db.HasYes, 1},
		{"MXM", db.HasMaybe, 3},
		{"XXN", db.HasCorrupt, 1},
		{"XM", db.HasMaybe, 2},
		{"MYM", db.HasYes, 2},
	} {
		var s index.GroupFileState[int]
		for i, h := range c.copies {
			s.Meet(db.HasFile(h), i+1)
		}
		if s.State() != c.has || (c.has != db.HasNo && s.Node != c.node) {
			t.Errorf("copies %q: state %s on node %d, want %s on %d", c.copies, s.State(), s.Node, c.has, c.node)
		}
	}
	rows := []index.PlacedCopy{
		{FileID: 2, HasFile: db.HasCorrupt, Node: "a"},
		{FileID: 1, HasFile: db.HasMaybe, Node: "b"},
		{FileID: 2, HasFile: db.HasYes, Node: "c"},
	}
	states, order := index.FoldGroupStates(rows, func(c index.PlacedCopy) int64 { return c.FileID })
	if len(order) != 2 || order[0] != 2 || order[1] != 1 {
		t.Errorf("keys in order %v, want [2 1]", order)
	}
	if s := states[2]; s.State() != db.HasYes || s.Node != "c" {
		t.Errorf("file 2: %+v", *s)
	}
	if s := states[1]; s.State() != db.HasMaybe || s.Node != "b" {
		t.Errorf("file 1: %+v", *s)
	}
}
