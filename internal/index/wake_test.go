package index_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// TestNewestRequests: the marks are the tables' highest ids, 0 for an
// empty table, whatever the requests' states.
func TestNewestRequests(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		marks := func() index.RequestMarks {
			t.Helper()
			m, err := index.NewestRequests(ctx, w.d)
			w.must(err)
			return m
		}
		if m := marks(); m != (index.RequestMarks{}) {
			t.Errorf("empty tables: %+v, want zeros", m)
		}
		w.node("n1", "g1", db.StorageField)
		w.file("a")
		w.request("a", "n1", "g2")
		last := w.request("a", "n1", "g3")
		w.must(w.d.Gorm.Model(last).Update("completed", true).Error)
		if m := marks(); m != (index.RequestMarks{Copy: last.ID}) {
			t.Errorf("after two copy requests: %+v, want copy %d", m, last.ID)
		}
		imp := w.importRequest("n1", false)
		if m := marks(); m != (index.RequestMarks{Copy: last.ID, Import: imp.ID}) {
			t.Errorf("after an import request: %+v, want copy %d, import %d", m, last.ID, imp.ID)
		}
	})
}

// TestPendingRequestsAfter: only pending requests above the marks, into
// the given groups or on the given nodes, count.
func TestPendingRequestsAfter(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		n1, n2 := w.node("n1", "g1", db.StorageField), w.node("n2", "g2", db.StorageField)
		g1, g2, g3 := w.groups["g1"], w.groups["g2"], w.group("g3")
		w.file("a")
		old := w.request("a", "n1", "g1")
		start, err := index.NewestRequests(ctx, w.d)
		w.must(err)
		found := func(after index.RequestMarks, groups, nodes []int64) bool {
			t.Helper()
			ok, err := index.PendingRequestsAfter(ctx, w.d, after, groups, nodes)
			w.must(err)
			return ok
		}
		if found(start, []int64{g1.ID, g2.ID}, []int64{n1.ID, n2.ID}) {
			t.Error("a request at the mark counted")
		}
		if !found(index.RequestMarks{Copy: old.ID - 1}, []int64{g1.ID}, nil) {
			t.Error("a pending copy request above the mark not found")
		}

		done := w.request("a", "n2", "g1")
		w.must(w.d.Gorm.Model(done).Update("completed", true).Error)
		cancelled := w.request("a", "n2", "g2")
		w.must(w.d.Gorm.Model(cancelled).Update("cancelled", true).Error)
		w.request("a", "n1", "g3")
		w.importRequest("n1", true)
		if found(start, []int64{g1.ID, g2.ID}, []int64{n1.ID, n2.ID}) {
			t.Error("completed, cancelled or other groups' requests counted")
		}
		if !found(start, []int64{g3.ID}, nil) {
			t.Error("a pending copy request into g3 not found")
		}
		if found(start, nil, nil) {
			t.Error("found with neither groups nor nodes")
		}

		imp := w.importRequest("n2", false)
		if found(start, []int64{g1.ID}, []int64{n1.ID}) {
			t.Error("another node's import request counted")
		}
		if !found(start, nil, []int64{n1.ID, n2.ID}) {
			t.Error("a pending import request not found")
		}
		if found(index.RequestMarks{Import: imp.ID}, nil, []int64{n1.ID, n2.ID}) {
			t.Error("an import request at the mark counted")
		}
	})
}

// TestPendingRequestsAfterPlan: both look-ups walk the primary key from
// the mark, even where the index on the group or node looks better.
func TestPendingRequestsAfterPlan(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n := w.node("n1", "g1", db.StorageField)
		w.file("a")
		for range 50 {
			w.request("a", "n1", "g1")
			w.importRequest("n1", true)
		}
		query := index.PendingAfter(w.d.Engine, index.RequestMarks{Copy: 3, Import: 3}, []int64{w.groups["g1"].ID}, []int64{n.ID})
		if w.d.Engine == db.MySQL {
			rows, err := w.d.Gorm.Raw("EXPLAIN " + query).Rows()
			w.must(err)
			defer rows.Close()
			cols, err := rows.Columns()
			w.must(err)
			seen := 0
			for rows.Next() {
				vals := make([]any, len(cols))
				row := map[string]string{}
				for i := range vals {
					vals[i] = new(any)
				}
				w.must(rows.Scan(vals...))
				for i, c := range cols {
					row[c] = fmt.Sprint(*vals[i].(*any))
					if b, ok := (*vals[i].(*any)).([]byte); ok {
						row[c] = string(b)
					}
				}
				if !strings.HasSuffix(row["table"], "request") {
					continue
				}
				seen++
				if row["key"] != "PRIMARY" || row["type"] != "range" {
					t.Errorf("%s: key %s, type %s; want a range on PRIMARY", row["table"], row["key"], row["type"])
				}
			}
			if seen != 2 {
				t.Errorf("%d request tables in the plan, want 2", seen)
			}
			return
		}
		var plan []struct{ Detail string }
		w.must(w.d.Gorm.Raw("EXPLAIN QUERY PLAN " + query).Scan(&plan).Error)
		seen := 0
		for _, p := range plan {
			if !strings.Contains(p.Detail, "request") {
				continue
			}
			seen++
			if !strings.Contains(p.Detail, "USING INTEGER PRIMARY KEY (rowid>?)") {
				t.Errorf("plan %q; want a search on the rowid", p.Detail)
			}
		}
		if seen != 2 {
			t.Errorf("%d request tables in the plan %+v, want 2", seen, plan)
		}
	})
}

// importRequest records an import request on node.
func (w *world) importRequest(node string, completed bool) *db.ArchiveFileImportRequest {
	w.t.Helper()
	r := &db.ArchiveFileImportRequest{NodeID: w.nodes[node].ID, Path: ".", Completed: completed}
	w.must(w.d.Gorm.Omit("Node").Create(r).Error)
	return r
}
