package patternimporter

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/logtest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// runDemoInit runs `alpenhorn pattern-importer demo-init` against d.
func runDemoInit(d *db.DB) (string, error) {
	var found bool
	open := func(context.Context) (*db.DB, error) { return d, nil }
	for _, c := range extension.Commands(open) {
		found = found || c.Name() == "pattern-importer"
	}
	if !found {
		panic("pattern-importer is not among the extension commands")
	}
	cmd := commands(open)[0]
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"demo-init"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// loadSet loads the extensions as a config listing pattern_importer would.
func loadSet(t *testing.T) *extension.Set {
	t.Helper()
	s, err := extension.Load(context.Background(), []string{Name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemaDDL(t *testing.T) {
	flat := func(e db.Engine) []string {
		var out []string
		for _, tbl := range tables {
			out = append(out, tbl.DDL(e)...)
		}
		return out
	}
	// As upstream's demo_init sends them to MySQL.
	mysql := []string{
		"CREATE TABLE IF NOT EXISTS `acqtype` (`id` INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` VARCHAR(64) NOT NULL, `patterns` TEXT NOT NULL, `notes` TEXT)",
		"CREATE UNIQUE INDEX `acqtype_name` ON `acqtype` (`name`)",
		"CREATE TABLE IF NOT EXISTS `acqdata` (`id` INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY, `acq_id` INTEGER NOT NULL, `type_id` INTEGER, FOREIGN KEY (`acq_id`) REFERENCES `archiveacq` (`id`), FOREIGN KEY (`type_id`) REFERENCES `acqtype` (`id`))",
		"CREATE UNIQUE INDEX `acqdata_acq_id` ON `acqdata` (`acq_id`)",
		"CREATE INDEX `acqdata_type_id` ON `acqdata` (`type_id`)",
		"CREATE TABLE IF NOT EXISTS `filetype` (`id` INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` VARCHAR(64) NOT NULL, `patterns` TEXT NOT NULL, `notes` TEXT)",
		"CREATE UNIQUE INDEX `filetype_name` ON `filetype` (`name`)",
		"CREATE TABLE IF NOT EXISTS `filedata` (`id` INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY, `file_id` INTEGER NOT NULL, `type_id` INTEGER, FOREIGN KEY (`file_id`) REFERENCES `archivefile` (`id`), FOREIGN KEY (`type_id`) REFERENCES `filetype` (`id`))",
		"CREATE UNIQUE INDEX `filedata_file_id` ON `filedata` (`file_id`)",
		"CREATE INDEX `filedata_type_id` ON `filedata` (`type_id`)",
	}
	if got := flat(db.MySQL); !slices.Equal(got, mysql) {
		t.Errorf("MySQL DDL:\n%s", strings.Join(got, "\n"))
	}
	sqlite := []string{
		`CREATE TABLE IF NOT EXISTS "acqtype" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "patterns" TEXT NOT NULL, "notes" TEXT)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS "acqtype_name" ON "acqtype" ("name")`,
		`CREATE TABLE IF NOT EXISTS "acqdata" ("id" INTEGER NOT NULL PRIMARY KEY, "acq_id" INTEGER NOT NULL, "type_id" INTEGER, FOREIGN KEY ("acq_id") REFERENCES "archiveacq" ("id"), FOREIGN KEY ("type_id") REFERENCES "acqtype" ("id"))`,
		`CREATE UNIQUE INDEX IF NOT EXISTS "acqdata_acq_id" ON "acqdata" ("acq_id")`,
		`CREATE INDEX IF NOT EXISTS "acqdata_type_id" ON "acqdata" ("type_id")`,
		`CREATE TABLE IF NOT EXISTS "filetype" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "patterns" TEXT NOT NULL, "notes" TEXT)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS "filetype_name" ON "filetype" ("name")`,
		`CREATE TABLE IF NOT EXISTS "filedata" ("id" INTEGER NOT NULL PRIMARY KEY, "file_id" INTEGER NOT NULL, "type_id" INTEGER, FOREIGN KEY ("file_id") REFERENCES "archivefile" ("id"), FOREIGN KEY ("type_id") REFERENCES "filetype" ("id"))`,
		`CREATE UNIQUE INDEX IF NOT EXISTS "filedata_file_id" ON "filedata" ("file_id")`,
		`CREATE INDEX IF NOT EXISTS "filedata_type_id" ON "filedata" ("type_id")`,
	}
	if got := flat(db.SQLite); !slices.Equal(got, sqlite) {
		t.Errorf("SQLite DDL:\n%s", strings.Join(got, "\n"))
	}
}

// catalog describes the extension's tables as the database reports them.
func catalog(t *testing.T, d *db.DB) []string {
	t.Helper()
	var out []string
	g := d.Gorm
	if d.Engine == db.SQLite {
		var rows []struct{ Type, Name, SQL string }
		err := g.Raw(`SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('acqtype','acqdata','filetype','filedata') ORDER BY name`).Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, r.Type+" "+r.Name+": "+r.SQL)
		}
		return out
	}
	var cols []struct{ TableName, ColumnName, ColumnType, IsNullable, Extra string }
	err := g.Raw(`SELECT table_name, column_name, column_type, is_nullable, extra FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name IN ('acqtype','acqdata','filetype','filedata')
		ORDER BY table_name, ordinal_position`).Scan(&cols).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		out = append(out, strings.Join([]string{"column", c.TableName, c.ColumnName, c.ColumnType, c.IsNullable, c.Extra}, " "))
	}
	var keys []struct{ TableName, IndexName, ColumnName, NonUnique string }
	err = g.Raw(`SELECT table_name, index_name, column_name, non_unique FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name IN ('acqtype','acqdata','filetype','filedata')
		ORDER BY table_name, index_name`).Scan(&keys).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		out = append(out, strings.Join([]string{"index", k.TableName, k.IndexName, k.ColumnName, "non_unique=" + k.NonUnique}, " "))
	}
	var fks []struct{ ConstraintName, ColumnName, ReferencedTableName, ReferencedColumnName string }
	err = g.Raw(`SELECT constraint_name, column_name, referenced_table_name, referenced_column_name FROM information_schema.key_column_usage
		WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL AND table_name IN ('acqtype','acqdata','filetype','filedata')
		ORDER BY constraint_name`).Scan(&fks).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fks {
		out = append(out, strings.Join([]string{"fk", f.ConstraintName, f.ColumnName, f.ReferencedTableName, f.ReferencedColumnName}, " "))
	}
	return out
}

var wantCatalog = map[db.Engine][]string{
	db.SQLite: {
		`table acqdata: CREATE TABLE "acqdata" ("id" INTEGER NOT NULL PRIMARY KEY, "acq_id" INTEGER NOT NULL, "type_id" INTEGER, FOREIGN KEY ("acq_id") REFERENCES "archiveacq" ("id"), FOREIGN KEY ("type_id") REFERENCES "acqtype" ("id"))`,
		`index acqdata_acq_id: CREATE UNIQUE INDEX "acqdata_acq_id" ON "acqdata" ("acq_id")`,
		`index acqdata_type_id: CREATE INDEX "acqdata_type_id" ON "acqdata" ("type_id")`,
		`table acqtype: CREATE TABLE "acqtype" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "patterns" TEXT NOT NULL, "notes" TEXT)`,
		`index acqtype_name: CREATE UNIQUE INDEX "acqtype_name" ON "acqtype" ("name")`,
		`table filedata: CREATE TABLE "filedata" ("id" INTEGER NOT NULL PRIMARY KEY, "file_id" INTEGER NOT NULL, "type_id" INTEGER, FOREIGN KEY ("file_id") REFERENCES "archivefile" ("id"), FOREIGN KEY ("type_id") REFERENCES "filetype" ("id"))`,
		`index filedata_file_id: CREATE UNIQUE INDEX "filedata_file_id" ON "filedata" ("file_id")`,
		`index filedata_type_id: CREATE INDEX "filedata_type_id" ON "filedata" ("type_id")`,
		`table filetype: CREATE TABLE "filetype" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "patterns" TEXT NOT NULL, "notes" TEXT)`,
		`index filetype_name: CREATE UNIQUE INDEX "filetype_name" ON "filetype" ("name")`,
	},
	db.MySQL: {
		"column acqdata id int(11) NO auto_increment",
		"column acqdata acq_id int(11) NO ",
		"column acqdata type_id int(11) YES ",
		"column acqtype id int(11) NO auto_increment",
		"column acqtype name varchar(64) NO ",
		"column acqtype patterns text NO ",
		"column acqtype notes text YES ",
		"column filedata id int(11) NO auto_increment",
		"column filedata file_id int(11) NO ",
		"column filedata type_id int(11) YES ",
		"column filetype id int(11) NO auto_increment",
		"column filetype name varchar(64) NO ",
		"column filetype patterns text NO ",
		"column filetype notes text YES ",
		"index acqdata PRIMARY id non_unique=0",
		"index acqdata acqdata_acq_id acq_id non_unique=0",
		"index acqdata acqdata_type_id type_id non_unique=1",
		"index acqtype PRIMARY id non_unique=0",
		"index acqtype acqtype_name name non_unique=0",
		"index filedata PRIMARY id non_unique=0",
		"index filedata filedata_file_id file_id non_unique=0",
		"index filedata filedata_type_id type_id non_unique=1",
		"index filetype PRIMARY id non_unique=0",
		"index filetype filetype_name name non_unique=0",
		"fk acqdata_ibfk_1 acq_id archiveacq id",
		"fk acqdata_ibfk_2 type_id acqtype id",
		"fk filedata_ibfk_1 file_id archivefile id",
		"fk filedata_ibfk_2 type_id filetype id",
	},
}

func TestDemoInit(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Initialised(t, url)
		for run := 1; run <= 2; run++ {
			out, err := runDemoInit(d)
			if err != nil || out != "Plugin init complete.\n" {
				t.Fatalf("run %d: output %q, error %v", run, out, err)
			}
		}
		got := catalog(t, d)
		want := wantCatalog[d.Engine]
		if d.Engine == db.MySQL {
			slices.Sort(got)
			want = slices.Clone(want)
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("catalog:\n%s", strings.Join(got, "\n"))
		}

		var acqTypes []AcqType
		var fileTypes []FileType
		if err := d.Gorm.Order("id").Find(&acqTypes).Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Gorm.Order("id").Find(&fileTypes).Error; err != nil {
			t.Fatal(err)
		}
		row := func(id int64, name, patterns string, notes *string) string {
			return strings.Join([]string{strconv.FormatInt(id, 10), name, patterns, *notes}, " | ")
		}
		var rows []string
		for _, a := range acqTypes {
			rows = append(rows, "acqtype "+row(a.ID, a.Name, a.Patterns, a.Notes))
		}
		for _, f := range fileTypes {
			rows = append(rows, "filetype "+row(f.ID, f.Name, f.Patterns, f.Notes))
		}
		wantRows := []string{
			`acqtype 1 | demo_acq | ["20[0-9][0-9]/(0[1-9]|1[012])/(0[1-9]|[12][0-9]|3[01])"] | AcqType for alpenhorn demo`,
			`filetype 1 | demo_data | ["(0[0-9]|2[0-3])/[0-5][0-9][0-5][0-9].dat"] | Data files for alpenhorn demo`,
			`filetype 2 | demo_meta | ["meta.txt$"] | Metadata file for alpenhorn demo`,
		}
		if !slices.Equal(rows, wantRows) {
			t.Errorf("types:\n%s", strings.Join(rows, "\n"))
		}
		// demo-init writes no component version: upstream's does not.
		var versions int64
		if err := d.Gorm.Model(&db.DataIndexVersion{}).Count(&versions).Error; err != nil || versions != 1 {
			t.Errorf("dataindexversion rows: %d, %v", versions, err)
		}
	})
}

func TestDemoInitNeedsDataIndex(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Open(t, url)
		out, err := runDemoInit(d)
		want := "Data Index version mismatch:  wanted version 2; no schema found"
		if err == nil || err.Error() != want || out != "" {
			t.Fatalf("output %q, error %v; want error %q", out, err, want)
		}
		if tables, err := d.ListTables(context.Background()); err != nil || len(tables) != 0 {
			t.Errorf("tables %q, %v", tables, err)
		}
	})
}

// demoIndex is a data index set up as in the demo: core schema plus
// demo-init.
func demoIndex(t *testing.T, url string) *db.DB {
	t.Helper()
	d := testdb.Initialised(t, url)
	if _, err := runDemoInit(d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDetectDemo(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := demoIndex(t, url)
		s := loadSet(t)
		node := &db.StorageNode{Name: "demo_storage1", Root: new("/data")}
		for _, tc := range []struct{ path, acq, file string }{
			{"2025/02/21/meta.txt", "2025/02/21", "meta.txt"},
			{"2025/02/21/23/1324.dat", "2025/02/21", "23/1324.dat"},
			{"2025/02/26/01/0529.dat", "2025/02/26", "01/0529.dat"},
			{"2025/02/21/23/1324.dat.temp", "", ""},
			{"2025/02/21/23/.1324.dat", "", ""},
			{"2025/02/21/13/0000.dat", "", ""}, // the demo pattern skips hours 10-19
			{"2025/02/21/sub/meta.txt", "", ""},
			{"2025/13/01/meta.txt", "", ""},
			{"2025/02/31/meta.txt", "2025/02/31", "meta.txt"}, // no calendar check
			{"2025/02/21/meta_txt", "2025/02/21", "meta_txt"}, // unescaped dot
			{"2025/02/21/Meta.txt", "", ""},
			{"1999/02/21/meta.txt", "", ""},
			{"x/2025/02/21/meta.txt", "", ""},
			{"meta.txt", "", ""},
			{"2025/02/21", "", ""},
			{"ALPENHORN_NODE", "", ""},
		} {
			t.Run(tc.path, func(t *testing.T) {
				h := logtest.Capture(t)
				got, ok, err := s.Detect(context.Background(), d, tc.path, node)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (tc.acq != "") || got.Acq != tc.acq || got.File != tc.file || (ok && got.Data == nil) {
					t.Errorf("Detect = %+v, %v; want acq %q file %q", got, ok, tc.acq, tc.file)
				}
				if l := logtest.Text(h); l != "" {
					t.Errorf("logged %q", l)
				}
			})
		}
	})
}

func TestTypeOrder(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Initialised(t, url)
		if err := createTables(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		acqTypes := []AcqType{
			{Name: "day", Patterns: `["[0-9]{4}/[0-9]{2}/[0-9]{2}"]`},
			{Name: "also_day", Patterns: `["[0-9]{4}/[0-9]{2}/[0-9]{2}", "[0-9]{4}/[0-9]{2}"]`},
			{Name: "run", Patterns: `["runs", "runs/[a-z]+", "runs/[a-z]+/[0-9]+"]`},
		}
		fileTypes := []FileType{
			{Name: "any", Patterns: `[".*"]`},
			{Name: "data", Patterns: `["[^/]*\\.dat", "[0-9]+/[^/]*\\.dat"]`},
			{Name: "none", Patterns: `[]`},
		}
		if err := d.Gorm.Create(&acqTypes).Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Gorm.Create(&fileTypes).Error; err != nil {
			t.Fatal(err)
		}
		node := &db.StorageNode{Name: "n"}
		for _, tc := range []struct {
			path, acq, file   string
			acqType, fileType int64
		}{
			// First matching acq type; last matching file type.
			{"2025/02/21/x.dat", "2025/02/21", "x.dat", 1, 2},
			{"2025/02/21/x.txt", "2025/02/21", "x.txt", 1, 1},
			// Only also_day matches a month directory.
			{"2025/02/x.txt", "2025/02", "x.txt", 2, 1},
			// The deepest matching ancestor is the acquisition.
			{"runs/abc/12/x.dat", "runs/abc/12", "x.dat", 3, 2},
			{"runs/abc/x/12/x.dat", "runs/abc", "x/12/x.dat", 3, 1},
			{"runs/x.dat", "runs", "x.dat", 3, 2},
			{"2025/02/21/23/x.dat", "2025/02/21", "23/x.dat", 1, 2},
		} {
			t.Run(tc.path, func(t *testing.T) {
				got, err := detect(context.Background(), d, tc.path, node)
				if err != nil {
					t.Fatal(err)
				}
				if got.Acq != tc.acq || got.File != tc.file {
					t.Fatalf("detect = %+v; want acq %q file %q", got, tc.acq, tc.file)
				}
				newAcq, newFile := recordImport(t, d, tc.acq, tc.file)
				imp := extension.Imported{Detection: got, NewAcq: newAcq, NewFile: newFile}
				if err := recordTypes(context.Background(), d.Gorm, []extension.Imported{imp}); err != nil {
					t.Fatal(err)
				}
				// An acquisition seen in an earlier case keeps its first type.
				var acq db.ArchiveAcq
				var ad AcqData
				var fd FileData
				if err := d.Gorm.Where("name = ?", tc.acq).First(&acq).Error; err != nil {
					t.Fatal(err)
				}
				if err := d.Gorm.Where("acq_id = ?", acq.ID).First(&ad).Error; err != nil || *ad.TypeID != tc.acqType {
					t.Errorf("acqdata %+v, %v; want type %d", ad, err, tc.acqType)
				}
				if err := d.Gorm.Where("file_id = ?", newFile.ID).First(&fd).Error; err != nil || *fd.TypeID != tc.fileType {
					t.Errorf("filedata %+v, %v; want type %d", fd, err, tc.fileType)
				}
			})
		}
	})
}

// recordImport creates the acquisition (unless it exists) and file rows an
// import would, returning the acquisition only if it created it.
func recordImport(t *testing.T, d *db.DB, acqName, fileName string) (*db.ArchiveAcq, *db.ArchiveFile) {
	t.Helper()
	var acq db.ArchiveAcq
	var created *db.ArchiveAcq
	res := d.Gorm.Where("name = ?", acqName).Limit(1).Find(&acq)
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	if res.RowsAffected == 0 {
		acq = db.ArchiveAcq{Name: acqName}
		if err := d.Gorm.Create(&acq).Error; err != nil {
			t.Fatal(err)
		}
		created = &acq
	}
	file := db.ArchiveFile{AcqID: acq.ID, Name: fileName, Registered: db.Now()}
	if err := d.Gorm.Create(&file).Error; err != nil {
		t.Fatal(err)
	}
	return created, &file
}

func TestCallbackRecordsOnlyNewRows(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := demoIndex(t, url)
		s := loadSet(t)
		group := db.StorageGroup{Name: "demo_storage1"}
		if err := d.Gorm.Create(&group).Error; err != nil {
			t.Fatal(err)
		}
		node := db.StorageNode{Name: "demo_storage1", Root: new("/data"), GroupID: group.ID, StorageType: db.StorageArchive}
		if err := d.Gorm.Create(&node).Error; err != nil {
			t.Fatal(err)
		}
		importFile := func(path string, newAcq, newFile bool) {
			t.Helper()
			det, ok, err := s.Detect(ctx, d, path, &node)
			if err != nil || !ok {
				t.Fatalf("Detect(%q) = %v, %v", path, ok, err)
			}
			acq, file := recordImport(t, d, det.Acq, det.File)
			if !newFile {
				file = nil
			}
			if (acq != nil) != newAcq {
				t.Fatalf("%s: acquisition created %v", path, acq != nil)
			}
			fileID := int64(0)
			if file != nil {
				fileID = file.ID
			}
			cp := db.ArchiveFileCopy{FileID: fileID, NodeID: node.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, LastUpdate: db.Now()}
			imp := extension.Imported{Detection: det, Copy: &cp, NewFile: file, NewAcq: acq, Node: &node}
			h := logtest.Capture(t)
			s.Imported(ctx, d.Gorm, []extension.Imported{imp})
			if l := logtest.Text(h); l != "" {
				t.Errorf("logged %q", l)
			}
		}
		importFile("2025/02/21/meta.txt", true, true)
		importFile("2025/02/21/23/1324.dat", false, true)
		// A file registered before its import (e.g. by "file create").
		importFile("2025/02/21/23/1325.dat", false, false)

		var acqData []AcqData
		var fileData []FileData
		if err := d.Gorm.Order("id").Find(&acqData).Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Gorm.Order("id").Find(&fileData).Error; err != nil {
			t.Fatal(err)
		}
		var acq db.ArchiveAcq
		var files []db.ArchiveFile
		d.Gorm.First(&acq)
		d.Gorm.Order("id").Find(&files)
		if len(acqData) != 1 || acqData[0].AcqID != acq.ID || *acqData[0].TypeID != 1 {
			t.Errorf("acqdata %+v", acqData)
		}
		if len(fileData) != 2 || fileData[0].FileID != files[0].ID || *fileData[0].TypeID != 2 ||
			fileData[1].FileID != files[1].ID || *fileData[1].TypeID != 1 {
			t.Errorf("filedata %+v (files %+v)", fileData, files)
		}
	})
}

func TestBrokenTypesDecline(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Initialised(t, url)
		s := loadSet(t)
		node := &db.StorageNode{Name: "n"}

		// Before demo-init there are no types to read.
		h := logtest.Capture(t)
		if _, ok, err := s.Detect(ctx, d, "2025/02/21/meta.txt", node); ok || err != nil {
			t.Fatalf("without tables: %v, %v", ok, err)
		}
		if l := logtest.Text(h); !strings.HasPrefix(l, `ERROR Import detection by extension pattern_importer failed for "2025/02/21/meta.txt": reading types: `) {
			t.Errorf("logged %q", l)
		}

		if _, err := runDemoInit(d); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			table, patterns, path, log string
		}{
			{"acqtype", `not json`, "a/b/c",
				`acqtype broken: Invalid patterns: not json`},
			{"acqtype", `{"a": 1}`, "a/b/c",
				`acqtype broken: Value of patterns must be a JSON array literal.(Got "{"a": 1}")`},
			{"acqtype", `["x(?=y)"]`, "a/b/c",
				"acqtype broken: Invalid patterns: [\"x(?=y)\"]: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
			{"filetype", `[1]`, "2025/02/21/meta.txt",
				`filetype broken: Invalid patterns: [1]: 1 is not a string`},
		} {
			t.Run(tc.patterns, func(t *testing.T) {
				h := logtest.Capture(t)
				var row any = &AcqType{Name: "broken", Patterns: tc.patterns}
				if tc.table == "filetype" {
					row = &FileType{Name: "broken", Patterns: tc.patterns}
				}
				if err := d.Gorm.Create(row).Error; err != nil {
					t.Fatal(err)
				}
				defer d.Gorm.Exec("DELETE FROM " + tc.table + " WHERE name = 'broken'")
				if _, ok, err := s.Detect(ctx, d, tc.path, node); ok || err != nil {
					t.Fatalf("Detect = %v, %v", ok, err)
				}
				want := `ERROR Import detection by extension pattern_importer failed for "` + tc.path + `": ` + tc.log
				if l := logtest.Text(h); l != want {
					t.Errorf("logged\n%s\nwant\n%s", l, want)
				}
			})
		}
		// A broken type after the one that matches is never reached.
		if err := d.Gorm.Create(&AcqType{Name: "broken", Patterns: "not json"}).Error; err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Detect(ctx, d, "2025/02/21/meta.txt", node); !ok || err != nil {
			t.Errorf("Detect past a later broken acqtype = %v, %v", ok, err)
		}
	})
}

func TestChangedPatternsApply(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := demoIndex(t, url)
		node := &db.StorageNode{Name: "n"}
		if got, _ := detect(ctx, d, "2025/02/21/meta.json", node); got.Acq != "" {
			t.Fatalf("meta.json detected before the change: %+v", got)
		}
		if err := d.Gorm.Model(&FileType{}).Where("name = ?", "demo_meta").Update("patterns", `["meta\\.(txt|json)"]`).Error; err != nil {
			t.Fatal(err)
		}
		if got, _ := detect(ctx, d, "2025/02/21/meta.json", node); got.Acq != "2025/02/21" {
			t.Errorf("meta.json not detected after the change: %+v", got)
		}
	})
}
