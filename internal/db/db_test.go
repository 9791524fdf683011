package db_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func initialised(t *testing.T, url string) *db.DB {
	t.Helper()
	d := testdb.Open(t, url)
	msg, err := d.Init(context.Background())
	if err != nil || msg != "Data Index version 2 initialised." {
		t.Fatalf("Init: %q, %v", msg, err)
	}
	return d
}

// TestSchemaMatchesReference compares the catalog db init creates with the
// reference DDL of the Python alpenhorn, table by table, column by column.
func TestSchemaMatchesReference(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := initialised(t, url)
		ctx := context.Background()
		if d.Engine == db.SQLite {
			want := readLines(t, "testdata/sqlite_master.sql")
			var got []string
			if err := d.Gorm.Raw(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid`).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			compareLines(t, got, want)
			return
		}
		want := showCreateByTable(t)
		for _, name := range db.TableNames() {
			var row struct {
				Table string `gorm:"column:Table"`
				SQL   string `gorm:"column:Create Table"`
			}
			if err := d.Gorm.WithContext(ctx).Raw("SHOW CREATE TABLE `" + name + "`").Scan(&row).Error; err != nil {
				t.Fatal(err)
			}
			compareLines(t, strings.Split(mariaToMySQL8(row.SQL), "\n"), strings.Split(want[name], "\n"))
		}
		// No SQL DEFAULT on any column: the schema has none.
		var withDefault []string
		d.Gorm.Raw(`SELECT CONCAT(table_name, '.', column_name) FROM information_schema.columns
			WHERE table_schema = DATABASE() AND column_default IS NOT NULL AND column_default <> 'NULL'`).Scan(&withDefault)
		if len(withDefault) > 0 {
			t.Errorf("columns with SQL defaults: %v", withDefault)
		}
	})
}

// mariaToMySQL8 rewrites MariaDB's SHOW CREATE TABLE notation into the
// MySQL 8 notation the reference is written in; the differences are only
// display widths, an explicit DEFAULT NULL on text, and table options.
func mariaToMySQL8(s string) string {
	s = regexp.MustCompile(`\b(int|bigint)\(\d+\)`).ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, " text DEFAULT NULL", " text")
	if i := strings.LastIndex(s, ")"); i >= 0 {
		s = s[:i+1]
	}
	return s
}

func showCreateByTable(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, stmt := range strings.Split(string(mustRead(t, "testdata/mysql_show_create.sql")), ";\n") {
		stmt = strings.TrimSpace(stmt)
		if stmt == "" {
			continue
		}
		name := regexp.MustCompile("CREATE TABLE `([a-z]+)`").FindStringSubmatch(stmt)[1]
		out[name] = mariaToMySQL8(stmt)
	}
	return out
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readLines(t *testing.T, p string) []string {
	return strings.Split(strings.TrimSpace(string(mustRead(t, p))), "\n")
}

func compareLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if strings.TrimSpace(got[i]) != strings.TrimSpace(want[i]) {
			t.Errorf("line %d:\n got: %s\nwant: %s", i+1, got[i], want[i])
		}
	}
}

func TestInitStates(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := initialised(t, url)
		if msg, err := d.Init(ctx); err != nil || msg != "Data Index already initialised." {
			t.Fatalf("second Init: %q, %v", msg, err)
		}
		if err := d.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
		d.Gorm.Exec("UPDATE dataindexversion SET version = 3")
		if _, err := d.Init(ctx); err == nil || err.Error() != "Data Index version 3 already present." {
			t.Fatalf("newer version: %v", err)
		}
		if err := d.CheckSchema(ctx); err == nil || err.Error() != "Data Index version mismatch:  wanted version 2; found version 3" {
			t.Fatalf("check newer: %v", err)
		}
		d.Gorm.Exec("DELETE FROM dataindexversion")
		if _, err := d.Init(ctx); !errors.Is(err, db.ErrPartialSchema) {
			t.Fatalf("half-initialised: %v", err)
		}
		if err := d.CheckSchema(ctx); err == nil || err.Error() != "Data Index version mismatch:  wanted version 2; no schema found" {
			t.Fatalf("check empty: %v", err)
		}
	})
}

func TestEmptyDatabaseHasNoSchema(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Open(t, url)
		v, err := d.SchemaVersion(context.Background(), db.Component)
		if err != nil || v != 0 {
			t.Fatalf("version %d, %v", v, err)
		}
	})
}

// TestTimestampsAsPythonWritesThem checks the stored text on SQLite and the
// round trip on both engines.
func TestTimestampsAsPythonWritesThem(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := initialised(t, url)
		acq := db.ArchiveAcq{Name: "2025/02/21"}
		if err := d.Gorm.Create(&acq).Error; err != nil {
			t.Fatal(err)
		}
		reg := db.NewTime(time.Date(2025, 2, 21, 23, 7, 7, 512345000, time.UTC))
		f := db.ArchiveFile{AcqID: acq.ID, Name: "meta.txt", Registered: reg}
		if err := d.Gorm.Create(&f).Error; err != nil {
			t.Fatal(err)
		}
		var back db.ArchiveFile
		if err := d.Gorm.First(&back, f.ID).Error; err != nil {
			t.Fatal(err)
		}
		if d.Engine == db.SQLite {
			var raw string
			d.Gorm.Raw(`SELECT registered || '' FROM archivefile`).Scan(&raw)
			if raw != "2025-02-21 23:07:07.512345" {
				t.Errorf("stored %q", raw)
			}
			if !back.Registered.Equal(reg.Time) {
				t.Errorf("read back %v", back.Registered)
			}
		} else if back.Registered.Truncate(time.Second) != reg.Truncate(time.Second) {
			// MariaDB's DATETIME has no fraction and truncates it.
			t.Errorf("read back %v", back.Registered)
		}
		if got := back.Registered.Ctime(); got != "Fri Feb 21 23:07:07 2025 UTC" {
			t.Errorf("ctime %q", got)
		}
		// A Python-written value without fraction reads too.
		d.Gorm.Exec(`UPDATE archivefile SET registered = '2025-05-07 21:00:55'`)
		d.Gorm.First(&back, f.ID)
		if got := back.Registered.Ctime(); got != "Wed May  7 21:00:55 2025 UTC" {
			t.Errorf("ctime %q", got)
		}
	})
}

// TestTimestampsStoredAsNumbers reads DATETIME columns that SQLite holds
// as numbers: the Python alpenhorn's peewee writes 0 as an integer, other
// tools write epoch seconds, whole or fractional.
func TestTimestampsStoredAsNumbers(t *testing.T) {
	d := initialised(t, testdb.SQLiteURL(t))
	acq := db.ArchiveAcq{Name: "acq"}
	if err := d.Gorm.Create(&acq).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		stored string
		ctime  string
	}{
		{"0", "-"},
		{"0.0", "-"},
		{"1740179227", "Fri Feb 21 23:07:07 2025 UTC"},
		{"1740179227.5", "Fri Feb 21 23:07:07 2025 UTC"},
	} {
		if err := d.Gorm.Exec(`DELETE FROM archivefile`).Error; err != nil {
			t.Fatal(err)
		}
		if err := d.Gorm.Exec(`INSERT INTO archivefile (acq_id, name, registered) VALUES (?, 'f', `+c.stored+`)`, acq.ID).Error; err != nil {
			t.Fatal(err)
		}
		var typ string
		d.Gorm.Raw(`SELECT typeof(registered) FROM archivefile`).Scan(&typ)
		if typ != "integer" && typ != "real" {
			t.Fatalf("%s stored as %s, not as a number", c.stored, typ)
		}
		var back db.ArchiveFile
		if err := d.Gorm.First(&back, "name = 'f'").Error; err != nil {
			t.Fatalf("%s: %v", c.stored, err)
		}
		if got := format.Ctime(&back.Registered.Time); got != c.ctime {
			t.Errorf("%s shown as %q, want %q", c.stored, got, c.ctime)
		}
	}
}

// TestArgumentsRoundTrip stores and finds again every kind of argument the
// data index is given (on MySQL the driver writes them into the statement
// text): text that needs escaping, bytes, NULL, timestamps, numbers and
// booleans.
func TestArgumentsRoundTrip(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := initialised(t, url)
		for _, text := range []string{`it's`, `back\slash\`, `"quoted" ? ; -- not a comment`, "line\nbreak\ttab", "é😀漢字", "\x5c'"} {
			if err := d.Gorm.Exec("INSERT INTO archiveacq (name, comment) VALUES (?, ?)", text, []byte(text)).Error; err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			var back []string
			if err := d.Gorm.Raw("SELECT comment FROM archiveacq WHERE name = ?", text).Scan(&back).Error; err != nil || len(back) != 1 || back[0] != text {
				t.Errorf("%q: read back %q, %v", text, back, err)
			}
		}
		var acq int64
		d.Gorm.Raw("SELECT id FROM archiveacq WHERE name = ?", "it's").Scan(&acq)
		reg := db.NewTime(time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC))
		size := int64(1) << 50
		err := d.Gorm.Exec("INSERT INTO archivefile (acq_id, name, size_b, md5sum, registered) VALUES (?, ?, ?, ?, ?)",
			acq, "f.dat", size, nil, reg).Error
		if err != nil {
			t.Fatal(err)
		}
		var f db.ArchiveFile
		if err := d.Gorm.Where("registered = ? AND size_b = ? AND md5sum IS NULL", reg, size).First(&f).Error; err != nil {
			t.Fatalf("file by timestamp and size: %v", err)
		}
		if !f.Registered.Equal(reg.Time) || f.MD5Sum != nil || *f.SizeB != size {
			t.Errorf("file read back as %+v", f)
		}

		g := db.StorageGroup{Name: "g"}
		if err := d.Gorm.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		avail := 73.99604034423828
		n := db.StorageNode{Name: "n", GroupID: g.ID, StorageType: "F", Active: true, AvailGB: &avail}
		if err := d.Gorm.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
		var count int64
		d.Gorm.Model(&db.StorageNode{}).Where("active = ? AND avail_gb = ?", true, avail).Count(&count)
		if count != 1 {
			t.Errorf("node by boolean and float: %d found", count)
		}
	})
}

func TestInvalidValuesRefused(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := initialised(t, url)
		g := db.StorageGroup{Name: "g"}
		if err := d.Gorm.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		bad := db.StorageNode{Name: "n", GroupID: g.ID, StorageType: "Q"}
		if err := d.Gorm.Create(&bad).Error; err == nil || !strings.Contains(err.Error(), `invalid value "Q" for storage_type`) {
			t.Fatalf("bad enum: %v", err)
		}
		if d.Engine == db.MySQL {
			long := db.StorageGroup{Name: strings.Repeat("x", 70)}
			if err := d.Gorm.Create(&long).Error; err == nil {
				t.Fatal("over-long name stored on MariaDB")
			}
		}
		if err := db.CheckLength("name", strings.Repeat("é", 65), db.MaxGroupName); err == nil {
			t.Fatal("CheckLength accepted 65 characters")
		}
	})
}

func TestNameLookupIgnoresCase(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		d := initialised(t, url)
		d.Gorm.Create(&db.StorageGroup{Name: "Demo_Storage1"})
		var n int64
		d.Gorm.Model(&db.StorageGroup{}).Where(d.NameEq("name"), "demo_storage1").Count(&n)
		if n != 1 {
			t.Fatalf("case-insensitive look-up found %d", n)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	for _, u := range []string{"", "postgres://x@y/z", "nonsense", "sqlite://", "mysql://u:p@/"} {
		if _, err := db.Open(u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	d, err := db.Open("mysql://alp:s3cret@127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.SchemaVersion(context.Background(), db.Component)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), "Database read error: ") {
		t.Fatalf("unreachable server: %v", err)
	}
}

func TestInvalidImportPath(t *testing.T) {
	for p, want := range map[string]string{
		"": "empty path", ".": "invalid path", "..": "invalid path", "/a": "invalid start", "./a": "invalid start",
		"../a": "invalid start", "a/": "invalid end", "a/.": "invalid end", "a/..": "invalid end", "a//b": "repeated /",
		"a/./b": `invalid path element "."`, "a/../b": `invalid path element ".."`, "2025/02/21": "", ".a/b c": "",
	} {
		if got := db.InvalidImportPath(p); got != want {
			t.Errorf("%q: %q, want %q", p, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := db.RedactURL("mysql://alp:pw@db:3306/x"); got != "mysql://alp:***@db:3306/x" {
		t.Error(got)
	}
}
