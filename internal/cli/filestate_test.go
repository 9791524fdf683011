package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The file commands' tests share one small data index:
//
//	group G1: N1 (root /data1), N1b     group G2: N2 (archive)
//	group G3: N3 (transport)            group G4: N4 (no copies)
//
//	file                     copies
//	2025/01/01/f1.dat        N1 Y/Y, N2 Y/Y
//	2025/01/01/sub/f2.dat    N1 Y/M, N1b N/N
//	2025/01/01/f3.dat        N1 M/Y
//	2025/01/01-b/a.dat       N1 Y/Y ready, N3 Y/N
//	acq2/g1.dat              N1 X/Y, N2 Y/Y
//	acq2/h1.dat              N1 N/Y (no size, no hash)
//
// and three transfer requests: h1 N1→G2 cancelled, h1 N1→G2 pending,
// f1 N1→G3 completed.

// fileFixture is the seeded index of a file-command test.
type fileFixture struct{ d *db.DB }

func fileSeedTime(s string) db.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return db.NewTime(t)
}

// newFileFixture initialises the index at url and fills it.
func newFileFixture(t *testing.T, url string) *fileFixture {
	t.Helper()
	initIndex(t, url)
	d := testdb.Open(t, url)
	g := d.Gorm
	must := fatalIf(t)
	str := func(s string) *string { return &s }
	size := func(n int64) *int64 { return &n }

	groups := map[string]*db.StorageGroup{}
	for _, name := range []string{"G1", "G2", "G3", "G4"} {
		groups[name] = &db.StorageGroup{Name: name}
		must(g.Create(groups[name]).Error)
	}
	nodes := map[string]*db.StorageNode{}
	for _, n := range []struct {
		name, group string
		typ         db.StorageType
		root        *string
	}{
		{"N1", "G1", db.StorageField, str("/data1")},
		{"N1b", "G1", db.StorageField, nil},
		{"N2", "G2", db.StorageArchive, nil},
		{"N3", "G3", db.StorageTransport, nil},
		{"N4", "G4", db.StorageField, nil},
	} {
		nodes[n.name] = &db.StorageNode{Name: n.name, GroupID: groups[n.group].ID, StorageType: n.typ, Root: n.root}
		must(g.Create(nodes[n.name]).Error)
	}
	acqs := map[string]*db.ArchiveAcq{}
	for _, name := range []string{"2025/01/01", "2025/01/01-b", "acq2"} {
		acqs[name] = &db.ArchiveAcq{Name: name}
		must(g.Create(acqs[name]).Error)
	}
	files := map[string]*db.ArchiveFile{}
	for _, f := range []struct {
		acq, name string
		size      *int64
		md5       *string
		reg       string
	}{
		{"2025/01/01", "f1.dat", size(1024), str("0123456789ABCDEF0123456789ABCDEF"), "2025-02-21 23:07:08"},
		{"2025/01/01", "sub/f2.dat", size(52), str("4f2a66c1ff5eb90a5013522d53ea2e91"), "2025-03-06 22:54:37"},
		{"2025/01/01", "f3.dat", size(3000000), str("4c79018e00ddef11af0b9cfc14dd3261"), "2025-05-07 21:00:55"},
		{"2025/01/01-b", "a.dat", size(12), str("00000000000000000000000000000001"), "2025-05-07 21:00:56"},
		{"acq2", "g1.dat", size(2048), str("d41d8cd98f00b204e9800998ecf8427e"), "2025-05-08 01:02:03"},
		{"acq2", "h1.dat", nil, nil, "2025-05-09 04:05:06"},
	} {
		path := f.acq + "/" + f.name
		files[path] = &db.ArchiveFile{AcqID: acqs[f.acq].ID, Name: f.name, SizeB: f.size, MD5Sum: f.md5, Registered: fileSeedTime(f.reg)}
		must(g.Create(files[path]).Error)
	}
	for _, c := range []struct {
		file, node string
		has        db.HasFile
		wants      db.WantsFile
		ready      bool
		size       *int64
	}{
		{"2025/01/01/f1.dat", "N1", db.HasYes, db.WantYes, false, size(4096)},
		{"2025/01/01/f1.dat", "N2", db.HasYes, db.WantYes, false, size(4096)},
		{"2025/01/01/sub/f2.dat", "N1", db.HasYes, db.WantMaybe, false, size(52)},
		{"2025/01/01/sub/f2.dat", "N1b", db.HasNo, db.WantNo, false, nil},
		{"2025/01/01/f3.dat", "N1", db.HasMaybe, db.WantYes, false, size(3000000)},
		{"2025/01/01-b/a.dat", "N1", db.HasYes, db.WantYes, true, nil},
		{"2025/01/01-b/a.dat", "N3", db.HasYes, db.WantNo, false, size(12)},
		{"acq2/g1.dat", "N1", db.HasCorrupt, db.WantYes, false, size(2048)},
		{"acq2/g1.dat", "N2", db.HasYes, db.WantYes, false, size(2048)},
		{"acq2/h1.dat", "N1", db.HasNo, db.WantYes, false, nil},
	} {
		row := db.ArchiveFileCopy{FileID: files[c.file].ID, NodeID: nodes[c.node].ID, HasFile: c.has, WantsFile: c.wants, Ready: c.ready, SizeB: c.size, LastUpdate: fileSeedTime("2025-05-10 00:00:00")}
		must(g.Create(&row).Error)
	}
	ts := func(s string) *db.Time { v := fileSeedTime(s); return &v }
	for _, r := range []db.ArchiveFileCopyRequest{
		{FileID: files["acq2/h1.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G2"].ID, Cancelled: true, Timestamp: ts("2025-05-11 22:23:12")},
		{FileID: files["acq2/h1.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G2"].ID, Timestamp: ts("2025-05-11 22:24:43")},
		{FileID: files["2025/01/01/f1.dat"].ID, NodeFromID: nodes["N1"].ID, GroupToID: groups["G3"].ID, Completed: true,
			Timestamp: ts("2025-05-12 01:00:00"), TransferStarted: ts("2025-05-12 01:00:05"), TransferCompleted: ts("2025-05-12 01:00:09")},
	} {
		must(g.Create(&r).Error)
	}
	return &fileFixture{d}
}

// copyState returns has_file, wants_file and ready of a copy, "" when absent.
func (f *fileFixture) copyState(t *testing.T, path, node string) string {
	t.Helper()
	var rows []struct {
		HasFile   string
		WantsFile string
		Ready     bool
	}
	acq, name, _ := strings.Cut(path, "/")
	if strings.HasPrefix(path, "2025/01/01-b/") {
		acq, name = "2025/01/01-b", strings.TrimPrefix(path, "2025/01/01-b/")
	} else if strings.HasPrefix(path, "2025/01/01/") {
		acq, name = "2025/01/01", strings.TrimPrefix(path, "2025/01/01/")
	}
	err := f.d.Gorm.Table("archivefilecopy AS c").Select("c.has_file, c.wants_file, c.ready").
		Joins("JOIN archivefile AS f ON f.id = c.file_id").
		Joins("JOIN archiveacq AS a ON a.id = f.acq_id").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Where("a.name = ? AND f.name = ? AND n.name = ?", acq, name, node).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return ""
	}
	s := rows[0].HasFile + "/" + rows[0].WantsFile
	if rows[0].Ready {
		s += " ready"
	}
	return s
}

// fileCase is one invocation of a file command and what it must print.
type fileCase struct {
	name           string
	args           []string
	stdin          string
	code           int
	stdout, stderr string
	// check inspects the index afterwards; without it, and always on
	// failure, the index must be unchanged.
	check func(t *testing.T, f *fileFixture)
}

// fileUsage is the stderr of a usage error of cmd ("file clean FILE").
func fileUsage(cmd, msg string) string {
	name, args, _ := strings.Cut(cmd, " ")
	verb, args, _ := strings.Cut(args, " ")
	line := "Usage: alpenhorn " + name + " " + verb + " [OPTIONS]"
	if args != "" {
		line += " " + args
	}
	return line + "\nTry 'alpenhorn " + name + " " + verb + " -h' for help.\n\nError: " + msg + "\n"
}

// runFileCases runs each case on a freshly seeded index of every engine.
func runFileCases(t *testing.T, cases []fileCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testdb.Engines(t, func(t *testing.T, url string) {
				f := newFileFixture(t, url)
				before := snapshot(t, f.d)
				r := run(t, url, c.stdin, c.args...)
				if r.code != c.code || r.stdout != c.stdout || r.stderr != c.stderr {
					t.Errorf("alpenhorn %s:\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
						strings.Join(c.args, " "), r.code, c.code, r.stdout, c.stdout, r.stderr, c.stderr)
				}
				if c.check == nil || r.code != 0 {
					if after := snapshot(t, f.d); after != before {
						t.Errorf("index changed:\nbefore:\n%s\nafter:\n%s", before, after)
					}
				}
				if c.check != nil {
					c.check(t, f)
				}
			})
		})
	}
}

// runFileReadOnly runs cases that must not change anything on one seeded
// index per engine.
func runFileReadOnly(t *testing.T, cases []fileCase) {
	t.Helper()
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFileFixture(t, url)
		before := snapshot(t, f.d)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := run(t, url, c.stdin, c.args...)
				if r.code != c.code || r.stdout != c.stdout || r.stderr != c.stderr {
					t.Errorf("alpenhorn %s:\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
						strings.Join(c.args, " "), r.code, c.code, r.stdout, c.stdout, r.stderr, c.stderr)
				}
			})
		}
		if after := snapshot(t, f.d); after != before {
			t.Errorf("index changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}
