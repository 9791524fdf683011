package index

import (
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// CopyStates selects copies by state: Corrupt (has_file 'X'), Healthy
// ('Y'), Missing ('N') and Suspect ('M'). A copy released for removal
// (wants_file 'N') is in none of them, and a missing copy counts only
// while it is wanted ('Y', not 'M'). No state selected means Healthy.
type CopyStates struct {
	Corrupt, Healthy, Missing, Suspect bool
}

// Healthy selects the copies that are present and not released.
var Healthy = CopyStates{Healthy: true}

// Any reports whether at least one state is selected.
func (s CopyStates) Any() bool { return s.Corrupt || s.Healthy || s.Missing || s.Suspect }

// Where returns the SQL condition on the copy table called alias for the
// selected states, OR-ed together.
func (s CopyStates) Where(alias string) string {
	if !s.Any() {
		s.Healthy = true
	}
	var terms []string
	add := func(on bool, has, wants string) {
		if on {
			terms = append(terms, "("+alias+".has_file = '"+has+"' AND "+alias+".wants_file "+wants+")")
		}
	}
	add(s.Corrupt, "X", "<> 'N'")
	add(s.Healthy, "Y", "<> 'N'")
	add(s.Missing, "N", "= 'Y'")
	add(s.Suspect, "M", "<> 'N'")
	return "(" + strings.Join(terms, " OR ") + ")"
}

// HealthyCopy is the condition for a healthy copy (present and not
// released) on the copy table called alias.
func HealthyCopy(alias string) string { return Healthy.Where(alias) }

// GroupFileState is the state of a file in a storage group, folded from
// the file's copies on the group's nodes in copy order: a present copy
// anywhere wins (the first one names the node), then suspect (the last),
// then corrupt (the first); with none of these the file is absent from
// the group. N identifies the node holding the deciding copy.
type GroupFileState[N any] struct {
	// Has is the deciding copy's has_file, "" while none was met.
	Has  db.HasFile
	Node N
}

// Meet folds in the next copy.
func (s *GroupFileState[N]) Meet(has db.HasFile, node N) {
	switch {
	case s.Has == db.HasYes:
	case has == db.HasYes, has == db.HasMaybe:
		s.Has, s.Node = has, node
	case has == db.HasCorrupt && s.Has == "":
		s.Has, s.Node = has, node
	}
}

// State is the group's has_file for the file: 'N' when nothing was met.
func (s GroupFileState[N]) State() db.HasFile {
	if s.Has == "" {
		return db.HasNo
	}
	return s.Has
}

// FoldGroupStates folds copy rows, in row order, into the states of the
// files or groups key picks from each row, and lists the keys in the
// order first met.
func FoldGroupStates(rows []PlacedCopy, key func(PlacedCopy) int64) (map[int64]*GroupFileState[string], []int64) {
	states := map[int64]*GroupFileState[string]{}
	var order []int64
	for _, r := range rows {
		k := key(r)
		st := states[k]
		if st == nil {
			st = &GroupFileState[string]{}
			states[k] = st
			order = append(order, k)
		}
		st.Meet(r.HasFile, r.Node)
	}
	return states, order
}
