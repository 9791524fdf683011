package sneakernet

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// coreSchema renders the definitions of the core tables as the engine
// reports them.
func coreSchema(t *testing.T, d *db.DB) string {
	t.Helper()
	var out []string
	for _, name := range db.TableNames() {
		if d.Engine == db.SQLite {
			var sql []string
			if err := d.Gorm.Raw(`SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY rowid`, name).Scan(&sql).Error; err != nil {
				t.Fatal(err)
			}
			out = append(out, sql...)
			continue
		}
		var row struct {
			SQL string `gorm:"column:Create Table"`
		}
		if err := d.Gorm.Raw("SHOW CREATE TABLE `" + name + "`").Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		// The counter of the next id is data, not schema.
		out = append(out, autoIncrement.ReplaceAllString(row.SQL, ""))
	}
	return strings.Join(out, "\n")
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=[0-9]+`)

func TestSetup(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Initialised(t, url)
		core := coreSchema(t, d)
		if _, err := Identity(ctx, d); !errors.Is(err, ErrNotSetUp) {
			t.Errorf("Identity before Setup: %v", err)
		}
		// Several processes at once agree on one identity.
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				other, err := db.Open(url)
				if err != nil {
					t.Error(err)
					return
				}
				defer other.Close()
				if ids[i], err = Setup(ctx, other); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		id, err := Identity(ctx, d)
		if err != nil || !validUUID(id) {
			t.Fatalf("Identity = %q, %v", id, err)
		}
		for _, got := range ids {
			if got != id {
				t.Errorf("Setup returned %q, identity is %q", got, id)
			}
		}
		if again, err := Setup(ctx, d); err != nil || again != id {
			t.Errorf("second Setup: %q, %v", again, err)
		}
		// The core schema is exactly what it was; ours is beside it.
		if got := coreSchema(t, d); got != core {
			t.Errorf("core schema changed:\n%s\nwas\n%s", got, core)
		}
		tables, err := d.ListTables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range TableNames() {
			if !slices.Contains(tables, name) {
				t.Errorf("no table %s in %v", name, tables)
			}
		}
		var versions []string
		d.Gorm.Raw(`SELECT component FROM dataindexversion ORDER BY id`).Scan(&versions)
		if strings.Join(versions, ",") != "alpenhorn,sneakernet" {
			t.Errorf("dataindexversion components: %v", versions)
		}
		if err := d.CheckSchema(ctx); err != nil {
			t.Errorf("core schema check: %v", err)
		}

		// Another version of our tables is not ours to use.
		d.Gorm.Exec(`UPDATE dataindexversion SET version = 2 WHERE component = ?`, Component)
		var vm *db.VersionMismatchError
		if _, err := Setup(ctx, d); !errors.As(err, &vm) || vm.Found != 2 {
			t.Errorf("Setup with version 2: %v", err)
		}
		if _, err := ConfirmedRemoteCopies(d.Gorm, []int64{1}); !errors.As(err, &vm) {
			t.Errorf("ConfirmedRemoteCopies with version 2: %v", err)
		}
	})
}

func TestConfirmedRemoteCopies(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testdb.Initialised(t, url)
		// Never used: no tables, no copies, no error.
		got, err := ConfirmedRemoteCopies(d.Gorm, []int64{1, 2, 3})
		if err != nil || len(got) != 0 {
			t.Fatalf("before Setup: %v, %v", got, err)
		}
		if _, err := Setup(ctx, d); err != nil {
			t.Fatal(err)
		}
		m := NewManifest(NewUUID(), "t1", "")
		if err := d.Gorm.Transaction(func(tx *gorm.DB) error { return RecordManifest(tx, m, 1, nil, false, nil) }); err != nil {
			t.Fatal(err)
		}
		rec, err := LoadManifest(d.Gorm, m.ID)
		if err != nil || rec == nil {
			t.Fatalf("LoadManifest: %v, %v", rec, err)
		}
		siteB, siteC := NewUUID(), NewUUID()
		// Many files, to cross the chunk size.
		var many []int64
		for id := int64(1); id <= 1200; id++ {
			many = append(many, id)
		}
		confirm := func(site string, ids []int64) int {
			var n int
			err := d.Transaction(ctx, func(tx *gorm.DB) error {
				var err error
				n, err = Confirm(tx, rec.ID, site, ids)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := confirm(siteB, many); n != 1200 {
			t.Errorf("confirmed %d", n)
		}
		if n := confirm(siteB, []int64{5, 5, 1300}); n != 1 {
			t.Errorf("confirmed again: %d new", n)
		}
		confirm(siteC, []int64{5, 7})
		got, err = ConfirmedRemoteCopies(d.Gorm, append(many, 1300, 1400))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1201 || got[1] != 1 || got[5] != 2 || got[7] != 2 || got[1300] != 1 || got[1400] != 0 {
			t.Errorf("ConfirmedRemoteCopies: %d files, 1:%d 5:%d 7:%d 1300:%d", len(got), got[1], got[5], got[7], got[1300])
		}
		if got, err := ConfirmedRemoteCopies(d.Gorm, nil); err != nil || len(got) != 0 {
			t.Errorf("no files: %v, %v", got, err)
		}
		if rec, err := LoadManifest(d.Gorm, NewUUID()); rec != nil || err != nil {
			t.Errorf("unknown manifest: %v, %v", rec, err)
		}
	})
}

func TestDDLRepeatable(t *testing.T) {
	for _, e := range []db.Engine{db.SQLite, db.MySQL} {
		for _, stmt := range DDL(e) {
			if !strings.Contains(stmt, "IF NOT EXISTS") {
				t.Errorf("%s: %s cannot be repeated", e, stmt)
			}
			for _, core := range db.TableNames() {
				if strings.Contains(stmt, "REFERENCES `"+core+"`") || strings.Contains(stmt, `REFERENCES "`+core+`"`) {
					t.Errorf("%s: %s refers to core table %s", e, stmt, core)
				}
			}
		}
	}
}
