package index_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// names maps file ids back to the world's file names.
func names(w *world, ids []int64) []string {
	byID := map[int64]string{}
	for name, f := range w.files {
		byID[f.ID] = name
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

// copyIDs returns the ids of the named files' copies on node.
func copyIDs(w *world, node string, files ...string) []int64 {
	w.t.Helper()
	var out []int64
	for _, f := range files {
		var c db.ArchiveFileCopy
		w.must(w.d.Gorm.Where("file_id = ? AND node_id = ?", w.files[f].ID, w.nodes[node].ID).First(&c).Error)
		out = append(out, c.ID)
	}
	return out
}

// copyFiles maps copy ids to their files' names.
func copyFiles(w *world, ids []int64) []string {
	w.t.Helper()
	var out []string
	for _, id := range ids {
		var c db.ArchiveFileCopy
		w.must(w.d.Gorm.First(&c, id).Error)
		out = append(out, names(w, []int64{c.FileID})[0])
	}
	return out
}

func TestPlanSync(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		src := w.node("src", "g1", db.StorageField)
		w.node("d1", "dest", db.StorageField)
		w.node("t1", "target", db.StorageField)
		// Created out of name order, to see the plan sort by file.
		for _, f := range []string{"ok", "there", "suspect", "corrupt", "gone", "inTarget", "releasedInTarget",
			"scheduled", "suspectThere", "unlisted", "early"} {
			w.file(f)
		}
		w.copy("early", "src", db.HasYes, db.WantYes)
		w.copy("ok", "src", db.HasYes, db.WantYes)
		w.copy("there", "src", db.HasYes, db.WantYes)
		w.copy("there", "d1", db.HasYes, db.WantNo) // present, whatever its wants_file
		w.copy("suspect", "src", db.HasMaybe, db.WantYes)
		w.copy("corrupt", "src", db.HasCorrupt, db.WantYes)
		w.copy("gone", "src", db.HasNo, db.WantYes)
		w.copy("inTarget", "src", db.HasYes, db.WantYes)
		w.copy("inTarget", "t1", db.HasYes, db.WantYes)
		w.copy("releasedInTarget", "src", db.HasYes, db.WantYes)
		w.copy("releasedInTarget", "t1", db.HasYes, db.WantNo)
		w.copy("scheduled", "src", db.HasYes, db.WantYes)
		w.copy("suspectThere", "src", db.HasYes, db.WantYes)
		w.copy("suspectThere", "d1", db.HasMaybe, db.WantYes)
		w.copy("unlisted", "src", db.HasYes, db.WantYes)
		req := w.request("scheduled", "src", "dest")
		cancelled := w.request("ok", "src", "dest")
		finish(w, cancelled, "cancelled")

		plan := func(q index.SyncQuery) string {
			q.NodeID, q.GroupID = src.ID, w.group("dest").ID
			files, err := index.PlanSync(w.d.Gorm, q)
			w.must(err)
			var out []string
			for _, f := range files {
				s := f.Path()
				if f.Scheduled {
					s += "*"
				}
				out = append(out, s)
			}
			return fmt.Sprint(out)
		}
		all := "[acq/ok acq/inTarget acq/releasedInTarget acq/scheduled* acq/suspectThere acq/unlisted acq/early]"
		if got := plan(index.SyncQuery{}); got != all {
			t.Errorf("sync plan:\n got %s\nwant %s", got, all)
		}
		want := "[acq/ok acq/releasedInTarget acq/scheduled* acq/suspectThere acq/unlisted acq/early]"
		if got := plan(index.SyncQuery{Targets: []int64{w.group("target").ID}}); got != want {
			t.Errorf("sync plan with target:\n got %s\nwant %s", got, want)
		}
		unlisted := w.files["unlisted"].ID
		want = "[acq/ok acq/inTarget acq/releasedInTarget acq/scheduled* acq/suspectThere acq/early]"
		if got := plan(index.SyncQuery{Admit: func(id int64) bool { return id != unlisted }}); got != want {
			t.Errorf("sync plan with a file list:\n got %s\nwant %s", got, want)
		}
		if got := plan(index.SyncQuery{AcqIDs: []int64{w.acq.ID + 1}}); got != "[]" {
			t.Errorf("sync plan of another acquisition: %s, want none", got)
		}
		finish(w, req, "completed")
		if got := plan(index.SyncQuery{}); got != "[acq/ok acq/inTarget acq/releasedInTarget acq/scheduled acq/suspectThere acq/unlisted acq/early]" {
			t.Errorf("sync plan after the request completed: %s, want nothing scheduled", got)
		}
	})
}

// cleanWorld has, on field node n: keep Y/Y, marked Y/M, released Y/N,
// suspect M/Y, corrupt X/Y, absent N/Y, in file order; files are 4
// ("keep", …) to 7 bytes long. keep and marked are also healthy in group
// "other", keep alone in group "third".
func cleanWorld(w *world) {
	w.node("n", "g", db.StorageField)
	w.node("o", "other", db.StorageField)
	w.node("t", "third", db.StorageField)
	for _, c := range []struct {
		file  string
		has   db.HasFile
		wants db.WantsFile
	}{
		{"keep", db.HasYes, db.WantYes}, {"marked", db.HasYes, db.WantMaybe}, {"released", db.HasYes, db.WantNo},
		{"suspect", db.HasMaybe, db.WantYes}, {"corrupt", db.HasCorrupt, db.WantYes}, {"absent", db.HasNo, db.WantYes},
	} {
		w.file(c.file)
		w.copy(c.file, "n", c.has, c.wants)
	}
	w.copy("keep", "o", db.HasYes, db.WantYes)
	w.copy("marked", "o", db.HasYes, db.WantYes)
	w.copy("keep", "t", db.HasYes, db.WantYes)
	w.copy("marked", "t", db.HasYes, db.WantNo)
}

func TestPlanClean(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		plan := func(q index.CleanQuery) *index.CleanPlan {
			q.NodeID = w.nodes["n"].ID
			p, err := index.PlanClean(w.d.Gorm, q)
			w.must(err)
			return p
		}
		for _, c := range []struct {
			name string
			q    index.CleanQuery
			want string
		}{
			{"mark", index.CleanQuery{Goal: db.WantMaybe}, "[keep]"},
			{"release", index.CleanQuery{Goal: db.WantNo}, "[keep marked]"},
			{"cancel", index.CleanQuery{Goal: db.WantYes}, "[marked released]"},
			{"release bad too", index.CleanQuery{Goal: db.WantNo, IncludeBad: true}, "[keep marked suspect corrupt]"},
			{"release in other", index.CleanQuery{Goal: db.WantNo, Targets: []int64{w.group("other").ID}}, "[keep marked]"},
			{"release in other and third", index.CleanQuery{Goal: db.WantNo, Targets: []int64{w.group("other").ID, w.group("third").ID}}, "[keep]"},
			{"release listed", index.CleanQuery{Goal: db.WantNo, Admit: func(id int64) bool { return id != w.files["keep"].ID }}, "[marked]"},
			{"release old", index.CleanQuery{Goal: db.WantNo, Cutoff: db.TimePtr(db.NewTime(w.files["keep"].Registered.AddDate(0, 0, -1)))}, "[]"},
			{"release other acq", index.CleanQuery{Goal: db.WantNo, AcqIDs: []int64{w.acq.ID + 1}}, "[]"},
			// Under a size limit, released counts towards it but is not
			// changed: keep (4) + marked (6) + released (8) reach 15.
			{"release 15 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 15, IncludeBad: true}, "[keep marked]"},
			{"release 11 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 11, IncludeBad: true}, "[keep marked]"},
			{"release 10 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 10, IncludeBad: true}, "[keep marked]"},
			{"release 9 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 9, IncludeBad: true}, "[keep marked]"},
			{"release 4 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 4}, "[keep]"},
			{"release 30 bytes", index.CleanQuery{Goal: db.WantNo, SizeBytes: 30, IncludeBad: true}, "[keep marked suspect corrupt]"},
		} {
			if got := fmt.Sprint(copyFiles(w, plan(c.q).IDs)); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}

		p := plan(index.CleanQuery{Goal: db.WantNo, SizeBytes: 30, IncludeBad: true})
		tally := func(wants db.WantsFile) index.Tally { return *p.ByWants[wants] }
		if tally(db.WantYes) != (index.Tally{Count: 3, Size: 4 + 7 + 7}) || tally(db.WantMaybe) != (index.Tally{Count: 1, Size: 6}) ||
			tally(db.WantNo) != (index.Tally{}) || p.Already != (index.Tally{Count: 1, Size: 8}) {
			t.Errorf("tallies Y %+v M %+v N %+v already %+v", tally(db.WantYes), tally(db.WantMaybe), tally(db.WantNo), p.Already)
		}
		// Marking: released copies already count as cleaned.
		p = plan(index.CleanQuery{Goal: db.WantMaybe, SizeBytes: 30})
		if fmt.Sprint(copyFiles(w, p.IDs)) != "[keep]" || p.Already != (index.Tally{Count: 2, Size: 6 + 8}) {
			t.Errorf("marking under a limit: %v, already %+v; want [keep], 2 already", copyFiles(w, p.IDs), p.Already)
		}

		ids := copyIDs(w, "n", "keep", "marked", "released")
		n, err := index.SetWantsFile(w.d.Gorm, ids, db.WantNo)
		w.must(err)
		if n != 2 {
			t.Errorf("releasing keep, marked and released changed %d, want 2", n)
		}
		for _, f := range []string{"keep", "marked", "released"} {
			if got := w.state(f, "n"); got != "Y/N" {
				t.Errorf("%s on n: %s, want Y/N", f, got)
			}
		}
	})
}

func TestAnyHealthyInAll(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		w.node("e", "empty", db.StorageField)
		w.file("lone")
		w.copy("lone", "e", db.HasYes, db.WantNo)
		for _, c := range []struct {
			groups []string
			want   bool
		}{
			{[]string{"other"}, true},
			{[]string{"other", "third"}, true},
			{[]string{"third", "other"}, true},
			{[]string{"empty"}, false},
			{[]string{"other", "empty"}, false},
		} {
			var ids []int64
			for _, g := range c.groups {
				ids = append(ids, w.group(g).ID)
			}
			got, err := index.AnyHealthyInAll(w.d.Gorm, ids)
			w.must(err)
			if got != c.want {
				t.Errorf("some file healthy in all of %v: %v, want %v", c.groups, got, c.want)
			}
		}
	})
}

func TestPlanVerify(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		w.file("removed")
		w.copy("removed", "n", db.HasNo, db.WantNo)
		w.file("badReleased")
		w.copy("badReleased", "n", db.HasCorrupt, db.WantNo)
		plan := func(s index.CopyStates, admit index.Admit) *index.VerifyPlan {
			p, err := index.PlanVerify(w.d.Gorm, index.VerifyQuery{NodeID: w.nodes["n"].ID, States: s, Admit: admit})
			w.must(err)
			return p
		}
		for _, c := range []struct {
			name   string
			states index.CopyStates
			want   string
		}{
			{"default (healthy)", index.CopyStates{}, "[keep marked]"},
			{"corrupt and missing", index.CopyStates{Corrupt: true, Missing: true}, "[corrupt absent]"},
			{"suspect", index.CopyStates{Suspect: true}, "[suspect]"},
			{"all", index.CopyStates{Corrupt: true, Healthy: true, Missing: true, Suspect: true}, "[keep marked suspect corrupt absent]"},
		} {
			if got := fmt.Sprint(copyFiles(w, plan(c.states, nil).IDs)); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		p := plan(index.CopyStates{Healthy: true}, func(id int64) bool { return id != w.files["keep"].ID })
		if fmt.Sprint(copyFiles(w, p.IDs)) != "[marked]" || p.Size != 6 || !p.SizeKnown {
			t.Errorf("healthy, keep unlisted: %+v, want marked, 6 bytes", p)
		}

		w.must(w.d.Gorm.Model(&db.ArchiveFile{}).Where("id = ?", w.files["corrupt"].ID).Update("size_b", nil).Error)
		p = plan(index.CopyStates{Corrupt: true}, nil)
		if len(p.IDs) != 1 || p.SizeKnown {
			t.Errorf("a copy of unknown size: %+v, want its size unknown", p)
		}

		ids := copyIDs(w, "n", "keep", "suspect")
		n, err := index.SetHasFile(w.d.Gorm, ids, db.HasMaybe)
		w.must(err)
		if n != 1 || w.state("keep", "n") != "M/Y" {
			t.Errorf("verifying keep and suspect changed %d (want 1); keep is %s, want M/Y", n, w.state("keep", "n"))
		}
	})
}

func TestSetFileWants(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		n, err := index.SetFileWants(w.d.Gorm, w.files["keep"].ID, w.nodes["n"].ID, db.WantMaybe)
		w.must(err)
		if n != 1 || w.state("keep", "n") != "Y/M" || w.state("keep", "o") != "Y/Y" {
			t.Errorf("marking keep on n: %d changed, n %s, o %s", n, w.state("keep", "n"), w.state("keep", "o"))
		}
		n, err = index.SetFileWants(w.d.Gorm, w.files["marked"].ID, 0, db.WantYes)
		w.must(err)
		if n != 2 || w.state("marked", "n") != "Y/Y" || w.state("marked", "t") != "Y/Y" {
			t.Errorf("cancelling the cleaning of marked everywhere: %d changed, want 2 (o was wanted)", n)
		}
	})
}

func TestRecordCopyState(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		has := func(h db.HasFile) *db.HasFile { return &h }
		wants := func(x db.WantsFile) *db.WantsFile { return &x }
		record := func(file string, ch index.CopyChange) bool {
			t.Helper()
			cp, err := index.CopyOn(w.d.Gorm, w.files[file].ID, w.nodes["n"].ID)
			w.must(err)
			changed, err := index.RecordCopyState(w.d.Gorm, w.files[file].ID, w.nodes["n"].ID, cp, ch)
			w.must(err)
			return changed
		}
		for _, c := range []struct {
			file    string
			ch      index.CopyChange
			changed bool
			want    string
		}{
			{"keep", index.CopyChange{Has: has(db.HasYes)}, false, "Y/Y"},
			{"released", index.CopyChange{Has: has(db.HasCorrupt)}, true, "X/Y"}, // released: wanted again
			{"marked", index.CopyChange{Has: has(db.HasMaybe)}, true, "M/M"},     // removable stays so
			{"keep", index.CopyChange{Has: has(db.HasNo), Wants: wants(db.WantNo)}, true, "N/N"},
		} {
			if got := record(c.file, c.ch); got != c.changed || w.state(c.file, "n") != c.want {
				t.Errorf("%s: changed %v, state %s; want %v, %s", c.file, got, w.state(c.file, "n"), c.changed, c.want)
			}
		}
		w.file("new")
		if record("new", index.CopyChange{Has: has(db.HasNo), Wants: wants(db.WantNo)}) || w.state("new", "n") != "-" {
			t.Errorf("recording an absent copy created a row")
		}
		if !record("new", index.CopyChange{Has: has(db.HasYes)}) || w.state("new", "n") != "Y/Y" {
			t.Errorf("recording a present copy: %s, want Y/Y", w.state("new", "n"))
		}
	})
}

func TestCopiesOnNodes(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		cleanWorld(w)
		cp, err := index.CopyOn(w.d.Gorm, w.files["keep"].ID, w.nodes["o"].ID)
		w.must(err)
		if cp == nil || cp.HasFile != db.HasYes || cp.NodeID != w.nodes["o"].ID {
			t.Errorf("keep on o: %+v", cp)
		}
		cp, err = index.CopyOn(w.d.Gorm, w.files["suspect"].ID, w.nodes["o"].ID)
		w.must(err)
		if cp != nil {
			t.Errorf("suspect on o: %+v, want none", cp)
		}
		rows, err := index.FileGroupCopies(w.d.Gorm, w.files["marked"].ID, w.group("third").ID)
		w.must(err)
		if !slices.Equal(rows, []index.PlacedCopy{{FileID: w.files["marked"].ID, GroupID: w.group("third").ID, HasFile: db.HasYes, Node: "t"}}) {
			t.Errorf("marked in third: %+v", rows)
		}
	})
}

func TestSetAutoAction(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		n, g := w.node("n", "g", db.StorageField), w.group("g2")
		edges := func() []db.StorageTransferAction {
			var es []db.StorageTransferAction
			w.must(w.d.Gorm.Find(&es).Error)
			return es
		}
		set := func(a index.AutoAction, on bool) bool {
			changed, err := index.SetAutoAction(w.d.Gorm, n.ID, g.ID, a, on)
			w.must(err)
			return changed
		}
		if set(index.AutoSync, false) || len(edges()) != 0 {
			t.Errorf("turning off a missing edge changed something")
		}
		if !set(index.AutoSync, true) || set(index.AutoSync, true) {
			t.Errorf("turning autosync on: want a change, then none")
		}
		if !set(index.AutoClean, true) || !set(index.AutoSync, false) {
			t.Errorf("turning autoclean on and autosync off: want two changes")
		}
		es := edges()
		if len(es) != 1 || es[0].Autosync || !es[0].Autoclean || es[0].NodeFromID != n.ID || es[0].GroupToID != g.ID {
			t.Errorf("edges %+v, want one from n to g2 with autoclean only", es)
		}
	})
}

// TestArchiveShort: the copies whose deletion the archive rule refuses
// are counted: fewer good archive copies than RequiredArchiveCopies (two
// for a field node; three, its own among them, for an archive node).
func TestArchiveShort(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		field := w.node("field", "fg", db.StorageField)
		a1 := w.node("a1", "ag1", db.StorageArchive)
		w.node("a2", "ag2", db.StorageArchive)
		w.node("a3", "ag3", db.StorageArchive)
		holders := map[string][]string{"none": nil, "one": {"a1"}, "two": {"a1", "a2"}, "three": {"a1", "a2", "a3"}}
		ids := map[string]int64{}
		var all []int64
		for name, on := range holders {
			w.file(name)
			ids[name] = w.copy(name, "field", db.HasYes, db.WantNo).ID
			all = append(all, ids[name])
			for _, n := range on {
				w.copy(name, n, db.HasYes, db.WantYes)
			}
		}
		// Two archive copies, one of them in doubt: one counts.
		w.file("doubt")
		ids["doubt"] = w.copy("doubt", "field", db.HasYes, db.WantNo).ID
		all = append(all, ids["doubt"])
		w.copy("doubt", "a1", db.HasYes, db.WantYes)
		w.copy("doubt", "a2", db.HasMaybe, db.WantYes)

		count := func(node *db.StorageNode, ids []int64) int {
			t.Helper()
			n, err := index.ArchiveShort(w.d.Gorm, node, ids)
			w.must(err)
			return n
		}
		if got := count(field, all); got != 3 {
			t.Errorf("field node: %d copies short, want 3 (none, one, doubt)", got)
		}
		if got := count(field, []int64{ids["two"], ids["three"]}); got != 0 {
			t.Errorf("field node, enough archive copies: %d short, want 0", got)
		}
		var onA1 []int64
		for _, name := range []string{"one", "two", "three"} {
			var c db.ArchiveFileCopy
			w.must(w.d.Gorm.Where("file_id = ? AND node_id = ?", w.files[name].ID, a1.ID).Take(&c).Error)
			onA1 = append(onA1, c.ID)
		}
		if got := count(a1, onA1); got != 2 {
			t.Errorf("archive node: %d copies short, want 2 (one, two)", got)
		}
	})
}
