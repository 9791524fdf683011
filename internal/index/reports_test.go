package index_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func TestNodeStatsCountsPerState(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n := w.node("n", "g", db.StorageField)
		empty := w.node("empty", "g", db.StorageField)
		for _, c := range []struct {
			file  string
			has   db.HasFile
			wants db.WantsFile
		}{
			{"held", db.HasYes, db.WantYes},
			{"held2", db.HasYes, db.WantYes},
			{"released", db.HasYes, db.WantNo},
			{"corrupt", db.HasCorrupt, db.WantYes},
			{"suspect", db.HasMaybe, db.WantYes},
			{"missing", db.HasNo, db.WantYes},
			{"removed", db.HasNo, db.WantNo},
			{"dropping", db.HasMaybe, db.WantNo},
		} {
			w.file(c.file)
			w.copy(c.file, "n", c.has, c.wants)
		}
		stats, err := index.NodeStats(w.d.Gorm, []int64{n.ID, empty.ID}, true)
		w.must(err)
		// Only present and wanted copies are held; their files' sizes
		// (the length of the names here) are summed.
		want := index.NodeStat{Count: 2, TotalB: int64(len("held") + len("held2")), Corrupt: 1, Suspect: 1, Missing: 1}
		if *stats[n.ID] != want {
			t.Errorf("stats of n: %+v, want %+v", *stats[n.ID], want)
		}
		if *stats[empty.ID] != (index.NodeStat{}) {
			t.Errorf("stats of an empty node: %+v, want zeros", *stats[empty.ID])
		}
		stats, err = index.NodeStats(w.d.Gorm, []int64{n.ID}, false)
		w.must(err)
		if s := *stats[n.ID]; s.Count != 2 || s.Corrupt+s.Suspect+s.Missing != 0 {
			t.Errorf("stats without extra: %+v, want held counts only", s)
		}
	})
}

func TestListNodesFilters(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("a", "g1", db.StorageField)
		b := w.node("b", "g2", db.StorageField)
		w.node("c", "g1", db.StorageField)
		host := "h"
		w.must(index.Modify[db.StorageNode](w.d.Gorm, b.ID, map[string]any{"active": false, "host": host}))
		names := func(f index.NodeFilter) []string {
			nodes, err := index.ListNodes(w.d.Gorm, f)
			w.must(err)
			var out []string
			for _, n := range nodes {
				if n.Group == nil {
					t.Fatalf("node %s listed without its group", n.Name)
				}
				out = append(out, n.Name+"@"+n.Group.Name)
			}
			return out
		}
		off := false
		for _, c := range []struct {
			f    index.NodeFilter
			want []string
		}{
			{index.NodeFilter{}, []string{"a@g1", "b@g2", "c@g1"}},
			{index.NodeFilter{Active: &off}, []string{"b@g2"}},
			{index.NodeFilter{GroupID: w.groups["g1"].ID}, []string{"a@g1", "c@g1"}},
			{index.NodeFilter{Host: "h"}, []string{"b@g2"}},
			{index.NodeFilter{Host: "h", GroupID: w.groups["g1"].ID}, nil},
		} {
			if got := names(c.f); !slices.Equal(got, c.want) {
				t.Errorf("ListNodes(%+v) = %v, want %v", c.f, got, c.want)
			}
		}
	})
}

func TestFindCopiesByStateAndPlace(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		w.node("n1", "g1", db.StorageField)
		w.node("n2", "g1", db.StorageField)
		n3 := w.node("n3", "g2", db.StorageField)
		for _, f := range []string{"f1", "f2", "f3"} {
			w.file(f)
		}
		w.copy("f1", "n1", db.HasYes, db.WantYes)
		w.copy("f1", "n2", db.HasYes, db.WantNo) // released: in no state
		w.copy("f2", "n2", db.HasCorrupt, db.WantYes)
		w.copy("f2", "n3", db.HasNo, db.WantYes)
		w.copy("f3", "n3", db.HasNo, db.WantNo) // removed: not missing
		w.copy("f3", "n1", db.HasMaybe, db.WantMaybe)
		w.copy("f1", "n3", db.HasNo, db.WantMaybe) // removable: not missing
		find := func(s index.CopyStates, nodes, groups []int64) []string {
			found, err := index.FindCopies(w.d.Gorm, s, nil, nodes, groups)
			w.must(err)
			var out []string
			for _, c := range found {
				out = append(out, c.File+"@"+c.Node)
			}
			slices.Sort(out)
			return out
		}
		g1 := w.groups["g1"].ID
		for _, c := range []struct {
			s             index.CopyStates
			nodes, groups []int64
			want          []string
		}{
			{index.CopyStates{}, nil, nil, []string{"f1@n1"}},
			{index.CopyStates{Corrupt: true}, nil, nil, []string{"f2@n2"}},
			{index.CopyStates{Missing: true}, nil, nil, []string{"f2@n3"}},
			{index.CopyStates{Suspect: true}, nil, nil, []string{"f3@n1"}},
			{index.CopyStates{Corrupt: true, Missing: true, Healthy: true}, []int64{n3.ID}, nil, []string{"f2@n3"}},
			{index.CopyStates{Corrupt: true, Missing: true, Healthy: true}, nil, []int64{g1}, []string{"f1@n1", "f2@n2"}},
			{index.CopyStates{Corrupt: true, Missing: true, Healthy: true}, []int64{n3.ID}, []int64{g1}, []string{"f1@n1", "f2@n2", "f2@n3"}},
		} {
			if got := find(c.s, c.nodes, c.groups); !slices.Equal(got, c.want) {
				t.Errorf("FindCopies(%+v, nodes %v, groups %v) = %v, want %v", c.s, c.nodes, c.groups, got, c.want)
			}
		}
		other, err := index.CreateAcq(w.d.Gorm, "other")
		w.must(err)
		found, err := index.FindCopies(w.d.Gorm, index.Healthy, []int64{other.ID}, nil, nil)
		w.must(err)
		if len(found) != 0 {
			t.Errorf("copies of another acquisition's files: %v, want none", found)
		}
	})
}

func TestFileSets(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n1 := w.node("n1", "g1", db.StorageField)
		w.node("n2", "g1", db.StorageField)
		n3 := w.node("n3", "g2", db.StorageField)
		for _, f := range []string{"d", "c", "b", "a"} {
			w.file(f)
		}
		w.copy("a", "n1", db.HasYes, db.WantYes)
		w.copy("b", "n1", db.HasCorrupt, db.WantYes)
		w.copy("b", "n2", db.HasYes, db.WantYes)
		w.copy("c", "n3", db.HasYes, db.WantYes)
		w.copy("d", "n3", db.HasYes, db.WantNo)
		paths := func(s *index.FileSet) []string {
			var out []string
			w.must(index.EachFilePath(w.d.Gorm, s, func(acq, name string) { out = append(out, acq+"/"+name) }))
			rows, err := index.Files(w.d.Gorm, s)
			w.must(err)
			if len(rows) != len(out) {
				t.Errorf("Files: %d rows, EachFilePath: %d", len(rows), len(out))
			}
			return out
		}
		g1 := w.groups["g1"].ID
		onN1 := index.FilesOnNode(n1.ID, index.Healthy)
		inG1 := index.FilesInGroup(g1, index.Healthy)
		onN3 := index.FilesOnNode(n3.ID, index.Healthy)
		for _, c := range []struct {
			name string
			s    *index.FileSet
			want []string
		}{
			{"all", index.AllFiles(), []string{"acq/a", "acq/b", "acq/c", "acq/d"}},
			{"healthy on n1", onN1, []string{"acq/a"}},
			{"corrupt on n1", index.FilesOnNode(n1.ID, index.CopyStates{Corrupt: true}), []string{"acq/b"}},
			{"healthy in g1", inG1, []string{"acq/a", "acq/b"}},
			{"released copies are not healthy", onN3, []string{"acq/c"}},
			{"union", index.Union(onN1, nil, onN3), []string{"acq/a", "acq/c"}},
			{"intersection", index.Intersection(inG1, index.FilesOnNode(n1.ID, index.CopyStates{Corrupt: true})), []string{"acq/b"}},
			{"without", inG1.Without(onN1), []string{"acq/b"}},
			{"complement", inG1.Complement(), []string{"acq/c", "acq/d"}},
			{"acquisitions", index.FilesInAcqs([]int64{w.acq.ID}), []string{"acq/a", "acq/b", "acq/c", "acq/d"}},
		} {
			if got := paths(c.s); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		if index.Union() != nil || index.Intersection(nil, nil) != nil {
			t.Errorf("combining no sets should give no constraint")
		}
		for s, want := range map[*index.FileSet]bool{onN1: false, onN1.Without(inG1): true} {
			empty, err := s.Empty(w.d.Gorm)
			w.must(err)
			if empty != want {
				t.Errorf("Empty() = %v, want %v", empty, want)
			}
		}
		rows, err := index.FilesWithCopy(w.d.Gorm, index.AllFiles(), n1.ID)
		w.must(err)
		var got []string
		for _, r := range rows {
			got = append(got, r.Name+":"+string(r.HasFile))
		}
		if want := []string{"a:Y", "b:X", "c:", "d:"}; !slices.Equal(got, want) {
			t.Errorf("FilesWithCopy on n1: %v, want %v", got, want)
		}
		placed, err := index.SetCopiesInGroup(w.d.Gorm, index.AllFiles(), g1)
		w.must(err)
		want := []index.PlacedCopy{
			{FileID: w.files["a"].ID, GroupID: g1, HasFile: db.HasYes, Node: "n1"},
			{FileID: w.files["b"].ID, GroupID: g1, HasFile: db.HasCorrupt, Node: "n1"},
			{FileID: w.files["b"].ID, GroupID: g1, HasFile: db.HasYes, Node: "n2"},
		}
		if !reflect.DeepEqual(placed, want) {
			t.Errorf("SetCopiesInGroup: %+v, want %+v", placed, want)
		}
	})
}

func TestAcqCountsAndShares(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n1 := w.node("n1", "g1", db.StorageField)
		w.node("n2", "g1", db.StorageField)
		n3 := w.node("n3", "g2", db.StorageField)
		_, err := index.CreateAcq(w.d.Gorm, "empty")
		w.must(err)
		w.file("f1")
		w.file("f2")
		w.copy("f1", "n1", db.HasYes, db.WantYes)
		w.copy("f1", "n2", db.HasYes, db.WantNo)
		w.copy("f2", "n2", db.HasMaybe, db.WantYes)
		w.copy("f2", "n3", db.HasYes, db.WantYes)
		counts := func(node, group int64) []index.AcqCount {
			rows, err := index.AcqCounts(w.d.Gorm, node, group)
			w.must(err)
			return rows
		}
		if got, want := counts(0, 0), []index.AcqCount{{"acq", 2}, {"empty", 0}}; !slices.Equal(got, want) {
			t.Errorf("AcqCounts: %v, want %v", got, want)
		}
		// A file present on two nodes of a group counts twice; the
		// suspect copy does not count.
		if got, want := counts(0, w.groups["g1"].ID), []index.AcqCount{{"acq", 2}}; !slices.Equal(got, want) {
			t.Errorf("AcqCounts in g1: %v, want %v", got, want)
		}
		if got, want := counts(n1.ID, 0), []index.AcqCount{{"acq", 1}}; !slices.Equal(got, want) {
			t.Errorf("AcqCounts on n1: %v, want %v", got, want)
		}
		count, size, err := index.AcqTotals(w.d.Gorm, w.acq.ID)
		w.must(err)
		if count != 2 || size == nil || *size != 4 {
			t.Errorf("AcqTotals: %d files, size %v; want 2 files of 4 bytes", count, size)
		}
		shares, err := index.AcqShares(w.d.Gorm, w.acq.ID, false)
		w.must(err)
		var got []string
		for _, s := range shares {
			got = append(got, s.Name)
		}
		if want := []string{"n1", "n2", "n3"}; !slices.Equal(got, want) || shares[2].ID != n3.ID || shares[1].Count != 1 {
			t.Errorf("node shares: %+v, want n1, n2 and n3 with one file each", shares)
		}
		shares, err = index.AcqShares(w.d.Gorm, w.acq.ID, true)
		w.must(err)
		if len(shares) != 2 || shares[0].Name != "g1" || shares[0].Count != 2 || shares[1].Name != "g2" || shares[1].Count != 1 {
			t.Errorf("group shares: %+v, want g1 with 2 copies, g2 with 1", shares)
		}
		copies, err := index.AcqCopiesOnNode(w.d.Gorm, w.acq.ID, w.nodes["n2"].ID)
		w.must(err)
		if len(copies) != 2 || copies[0].File == nil || copies[0].File.Name != "f1" || copies[1].HasFile != db.HasMaybe {
			t.Errorf("AcqCopiesOnNode(n2): %+v, want f1 and the suspect f2", copies)
		}
	})
}

func TestTransfersAndActions(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		w.node("src2", "g1", db.StorageField)
		w.node("dst", "g2", db.StorageField)
		w.group("g3")
		w.file("f1")
		w.file("f22")
		w.request("f1", "src", "g2")
		w.request("f22", "src", "g2")
		w.request("f1", "src", "g3")
		w.request("f1", "src2", "g2")
		done := w.request("f22", "src", "g3")
		cancelled := w.request("f22", "src2", "g2")
		w.must(index.Modify[db.ArchiveFileCopyRequest](w.d.Gorm, done.ID, map[string]any{"completed": true}))
		w.must(index.Modify[db.ArchiveFileCopyRequest](w.d.Gorm, cancelled.ID, map[string]any{"cancelled": true}))
		size := func(n int64) *int64 { return &n }
		out, err := index.OutboundTransfers(w.d.Gorm, src.ID)
		w.must(err)
		if want := []index.TransferTotal{{"g2", 2, size(5)}, {"g3", 1, size(2)}}; !reflect.DeepEqual(out, want) {
			t.Errorf("OutboundTransfers: %+v, want %+v", out, want)
		}
		in, err := index.InboundTransfers(w.d.Gorm, w.groups["g2"].ID)
		w.must(err)
		if want := []index.TransferTotal{{"src", 2, size(5)}, {"src2", 1, size(2)}}; !reflect.DeepEqual(in, want) {
			t.Errorf("InboundTransfers: %+v, want %+v", in, want)
		}
		reqs, err := index.FileTransfers(w.d.Gorm, w.files["f22"].ID)
		w.must(err)
		if len(reqs) != 3 || !reqs[1].Completed || !reqs[2].Cancelled || reqs[2].NodeFrom == nil || reqs[2].NodeFrom.Name != "src2" || reqs[0].GroupTo == nil || reqs[0].GroupTo.Name != "g2" {
			t.Errorf("FileTransfers: %+v, want every request of f22 with its ends", reqs)
		}

		for _, a := range []db.StorageTransferAction{
			{NodeFromID: src.ID, GroupToID: w.groups["g3"].ID, Autosync: true},
			{NodeFromID: src.ID, GroupToID: w.groups["g2"].ID, Autoclean: true},
			{NodeFromID: w.nodes["src2"].ID, GroupToID: w.groups["g2"].ID},
		} {
			w.must(w.d.Gorm.Create(&a).Error)
		}
		acts, err := index.NodeActions(w.d.Gorm, src.ID)
		w.must(err)
		if want := []index.ActionRow{{"g2", false, true}, {"g3", true, false}}; !slices.Equal(acts, want) {
			t.Errorf("NodeActions: %+v, want %+v", acts, want)
		}
		acts, err = index.GroupActions(w.d.Gorm, w.groups["g2"].ID)
		w.must(err)
		if want := []index.ActionRow{{"src", false, true}}; !slices.Equal(acts, want) {
			t.Errorf("GroupActions: %+v, want %+v (edges with no action left out)", acts, want)
		}
	})
}

func TestPresentCopiesAndFileCopies(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n := w.node("n", "g", db.StorageField)
		w.node("m", "g2", db.StorageField)
		for _, f := range []string{"y", "released", "suspect", "gone"} {
			w.file(f)
		}
		w.copy("y", "n", db.HasYes, db.WantYes)
		w.copy("released", "n", db.HasYes, db.WantNo)
		w.copy("suspect", "n", db.HasMaybe, db.WantYes)
		w.copy("gone", "n", db.HasNo, db.WantNo)
		w.copy("y", "m", db.HasCorrupt, db.WantYes)
		present, err := index.PresentCopies(w.d.Gorm, n.ID)
		w.must(err)
		var names []string
		for _, c := range present {
			names = append(names, c.AcqName+"/"+c.Name)
		}
		slices.Sort(names)
		if want := []string{"acq/released", "acq/y"}; !slices.Equal(names, want) {
			t.Errorf("PresentCopies: %v, want %v", names, want)
		}
		copies, err := index.FileCopies(w.d.Gorm, w.files["y"].ID)
		w.must(err)
		if len(copies) != 2 || copies[0].Node == nil || copies[0].Node.Name != "n" || copies[1].Node.Name != "m" {
			t.Errorf("FileCopies: %+v, want the copies on n and m", copies)
		}
		placed, err := index.FileCopiesByGroup(w.d.Gorm, w.files["y"].ID)
		w.must(err)
		want := []index.PlacedCopy{
			{FileID: w.files["y"].ID, GroupID: w.groups["g"].ID, HasFile: db.HasYes, Node: "n"},
			{FileID: w.files["y"].ID, GroupID: w.groups["g2"].ID, HasFile: db.HasCorrupt, Node: "m"},
		}
		if !reflect.DeepEqual(placed, want) {
			t.Errorf("FileCopiesByGroup: %+v, want %+v", placed, want)
		}
		placed, err = index.AcqCopiesInGroup(w.d.Gorm, w.acq.ID, w.groups["g"].ID)
		w.must(err)
		if len(placed) != 4 {
			t.Errorf("AcqCopiesInGroup(g): %d copies, want the 4 records on n", len(placed))
		}
	})
}
