package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The acq, group and node command tests share one small data index:
//
//	group G1 (notes "first group"): N1 (field, root /data1, host h1,
//	    inactive), N1b (field, host h1b, active, class Mine, 10 GiB max)
//	group G2 (class Transport): T1 (transport, root /mnt/t, host h2)
//	group G3 (I/O config {"a": 1}): no nodes
//
//	file                    size   copies (has/wants)
//	2025/01/01/f1.dat       1024   N1 Y/Y, T1 Y/Y
//	2025/01/01/sub/f2.dat   52     N1 Y/M
//	2025/01/01/f3.dat       3e6    N1 M/Y, N1b Y/Y
//	acq2/g1.dat             5e9    N1 X/Y, N1b M/Y
//	acq2/fromfile.txt       6      N1 N/N
//	acq2/nosize.dat         -      N1b N/Y
//	emptyacq                (no files)
//
// Copy requests into G2: f1 and f2 from N1 pending, g1 from N1b completed;
// f3 from N1 into G3 cancelled. Auto-actions: N1→G2 sync and clean,
// N1b→G2 with both flags off, T1→G1 clean.

// storageIndex initialises the index at url, fills it and returns it open.
func storageIndex(t *testing.T, url string) *db.DB {
	t.Helper()
	initIndex(t, url)
	d := testdb.Open(t, url)
	g := d.Gorm
	must := fatalIf(t)
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	gb := func(v float64) *float64 { return &v }
	when := db.TimePtr(db.Now())

	groups := map[string]*db.StorageGroup{
		"G1": {Name: "G1", Notes: str("first group")},
		"G2": {Name: "G2", IOClass: str("Transport")},
		"G3": {Name: "G3", IOConfig: str(`{"a": 1}`)},
	}
	for _, name := range []string{"G1", "G2", "G3"} {
		must(g.Create(groups[name]).Error)
	}
	nodes := map[string]*db.StorageNode{
		"N1":  {Name: "N1", GroupID: groups["G1"].ID, StorageType: db.StorageField, Root: str("/data1"), Host: str("h1")},
		"N1b": {Name: "N1b", GroupID: groups["G1"].ID, StorageType: db.StorageField, Host: str("h1b"), Active: true, IOClass: str("Mine"), MaxTotalGB: gb(10)},
		"T1":  {Name: "T1", GroupID: groups["G2"].ID, StorageType: db.StorageTransport, Root: str("/mnt/t"), Host: str("h2")},
	}
	for _, name := range []string{"N1", "N1b", "T1"} {
		must(g.Omit("Group").Create(nodes[name]).Error)
	}
	acqs := map[string]*db.ArchiveAcq{}
	for _, name := range []string{"2025/01/01", "acq2", "emptyacq"} {
		acqs[name] = &db.ArchiveAcq{Name: name}
		must(g.Create(acqs[name]).Error)
	}
	files := map[string]*db.ArchiveFile{}
	for _, f := range []struct {
		acq, name string
		size      *int64
		md5       *string
	}{
		{"2025/01/01", "f1.dat", num(1024), str("0123456789abcdef0123456789abcdef")},
		{"2025/01/01", "sub/f2.dat", num(52), str("4f2a66c1ff5eb90a5013522d53ea2e91")},
		{"2025/01/01", "f3.dat", num(3000000), str("4c79018e00ddef11af0b9cfc14dd3261")},
		{"acq2", "g1.dat", num(5000000000), str("0123456789ABCDEF0123456789ABCDEF")},
		{"acq2", "fromfile.txt", num(6), str("b1946ac92492d2347c6235b4d2611184")},
		{"acq2", "nosize.dat", nil, nil},
	} {
		files[f.name] = &db.ArchiveFile{AcqID: acqs[f.acq].ID, Name: f.name, SizeB: f.size, MD5Sum: f.md5, Registered: *when}
		must(g.Omit("Acq").Create(files[f.name]).Error)
	}
	for _, c := range []struct {
		file, node string
		has        db.HasFile
		wants      db.WantsFile
		size       *int64
	}{
		{"f1.dat", "N1", db.HasYes, db.WantYes, num(4096)},
		{"f1.dat", "T1", db.HasYes, db.WantYes, num(4096)},
		{"sub/f2.dat", "N1", db.HasYes, db.WantMaybe, num(52)},
		{"f3.dat", "N1", db.HasMaybe, db.WantYes, nil},
		{"f3.dat", "N1b", db.HasYes, db.WantYes, num(3000000)},
		{"g1.dat", "N1", db.HasCorrupt, db.WantYes, num(5000000000)},
		{"g1.dat", "N1b", db.HasMaybe, db.WantYes, num(5000000000)},
		{"fromfile.txt", "N1", db.HasNo, db.WantNo, nil},
		{"nosize.dat", "N1b", db.HasNo, db.WantYes, nil},
	} {
		row := db.ArchiveFileCopy{FileID: files[c.file].ID, NodeID: nodes[c.node].ID, HasFile: c.has, WantsFile: c.wants, SizeB: c.size, LastUpdate: *when}
		must(g.Omit("File", "Node").Create(&row).Error)
	}
	for _, r := range []db.ArchiveFileCopyRequest{
		{FileID: files["f1.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G2"].ID, Timestamp: when},
		{FileID: files["sub/f2.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G2"].ID, Timestamp: when},
		{FileID: files["g1.dat"].ID, NodeFromID: nodes["N1b"].ID, GroupToID: groups["G2"].ID, Completed: true, Timestamp: when},
		{FileID: files["f3.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G3"].ID, Cancelled: true, Timestamp: when},
	} {
		must(g.Omit("File", "GroupTo", "NodeFrom").Create(&r).Error)
	}
	for _, e := range []db.StorageTransferAction{
		{NodeFromID: nodes["N1"].ID, GroupToID: groups["G2"].ID, Autosync: true, Autoclean: true},
		{NodeFromID: nodes["N1b"].ID, GroupToID: groups["G2"].ID},
		{NodeFromID: nodes["T1"].ID, GroupToID: groups["G1"].ID, Autoclean: true},
	} {
		must(g.Create(&e).Error)
	}
	return d
}

// indexStep is one alpenhorn invocation and what it must print. Steps of a
// test run in order on the same index, each seeing its predecessors' work.
type indexStep struct {
	// prepare changes the index directly before the command runs.
	prepare        func(t *testing.T, d *db.DB)
	args           []string
	stdin          string
	code           int
	stdout, stderr string
	// check inspects the index afterwards. A step without one, and every
	// failing step, must leave the index as it was.
	check func(t *testing.T, d *db.DB)
}

// runIndexSteps runs steps in order on a fresh index per engine, filled by
// storageIndex when seeded is set and merely initialised otherwise.
func runIndexSteps(t *testing.T, seeded bool, steps []indexStep) {
	t.Helper()
	testdb.Engines(t, func(t *testing.T, url string) {
		var d *db.DB
		if seeded {
			d = storageIndex(t, url)
		} else {
			initIndex(t, url)
			d = testdb.Open(t, url)
		}
		for _, s := range steps {
			if s.prepare != nil {
				s.prepare(t, d)
			}
			before := snapshot(t, d)
			r := run(t, url, s.stdin, s.args...)
			if r.code != s.code || r.stdout != s.stdout || r.stderr != s.stderr {
				t.Errorf("alpenhorn %s:\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
					strings.Join(s.args, " "), r.code, s.code, r.stdout, s.stdout, r.stderr, s.stderr)
			}
			if s.check == nil || r.code != 0 {
				if after := snapshot(t, d); after != before {
					t.Errorf("alpenhorn %s changed the index:\nbefore:\n%s\nafter:\n%s", strings.Join(s.args, " "), before, after)
				}
			}
			if s.check != nil {
				s.check(t, d)
			}
		}
	})
}

// usageText is the stderr of a usage error of the command cmd ("node scan")
// whose positional metavars are metavars ("NODE PATH").
func usageText(cmd, metavars, msg string) string {
	line := "Usage: alpenhorn " + cmd + " [OPTIONS]"
	if metavars != "" {
		line += " " + metavars
	}
	return line + "\nTry 'alpenhorn " + cmd + " -h' for help.\n\nError: " + msg + "\n"
}

// words splits a command line on spaces.
func words(line string) []string { return strings.Fields(line) }

// tableRows returns the values of the columns of the rows of table selected by
// where, rendered as text, one row a line.
func tableRows(t *testing.T, d *db.DB, table, columns, where string, vals ...any) string {
	t.Helper()
	r, err := d.Gorm.Table(table).Select(columns).Where(where, vals...).Order("id").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []string
	for r.Next() {
		vals, err := scanValues(r, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		var cells []string
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				cells = append(cells, "NULL")
			case []byte:
				cells = append(cells, string(v))
			default:
				cells = append(cells, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return strings.Join(out, "\n")
}

// wantRows is a step check that tableRows renders the rows selected as want.
func wantRows(want, table, columns, where string, vals ...any) func(t *testing.T, d *db.DB) {
	return func(t *testing.T, d *db.DB) {
		t.Helper()
		if got := tableRows(t, d, table, columns, where, vals...); got != want {
			t.Errorf("%s rows:\n got %q\nwant %q", table, got, want)
		}
	}
}

// execSQL runs an SQL statement on the index, for a step's prepare.
func execSQL(sql string, vals ...any) func(t *testing.T, d *db.DB) {
	return func(t *testing.T, d *db.DB) {
		t.Helper()
		if err := d.Gorm.Exec(sql, vals...).Error; err != nil {
			t.Fatal(err)
		}
	}
}
