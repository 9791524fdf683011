package patternimporter

import (
	"context"
	"fmt"
	"slices"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// tableDDL is the statements creating one of the extension's tables: the
// table first, then its indexes.
type tableDDL struct {
	name  string
	stmts []string
}

// schemaDDL returns the extension's tables in creation order, with the
// statements the Python extension sends, so that both create the same
// catalog.
func schemaDDL(e db.Engine) []tableDDL {
	q := func(s string) string { return `"` + s + `"` }
	id := q("id") + " INTEGER NOT NULL PRIMARY KEY"
	createIndex := "INDEX IF NOT EXISTS"
	if e == db.MySQL {
		q = func(s string) string { return "`" + s + "`" }
		id = q("id") + " INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY"
		// MySQL has no IF NOT EXISTS for indexes; createTables skips a
		// table that exists together with its indexes instead.
		createIndex = "INDEX"
	}
	index := func(unique bool, table, column string) string {
		kind := createIndex
		if unique {
			kind = "UNIQUE " + kind
		}
		return fmt.Sprintf("CREATE %s %s ON %s (%s)", kind, q(table+"_"+column), q(table), q(column))
	}
	typeTable := func(name string) tableDDL {
		return tableDDL{name, []string{
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s, %s VARCHAR(64) NOT NULL, %s TEXT NOT NULL, %s TEXT)",
				q(name), id, q("name"), q("patterns"), q("notes")),
			index(true, name, "name"),
		}}
	}
	dataTable := func(name, column, target, typeTable string) tableDDL {
		return tableDDL{name, []string{
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s, %s INTEGER NOT NULL, %s INTEGER, FOREIGN KEY (%s) REFERENCES %s (%s), FOREIGN KEY (%s) REFERENCES %s (%s))",
				q(name), id, q(column), q("type_id"), q(column), q(target), q("id"), q("type_id"), q(typeTable), q("id")),
			index(true, name, column),
			index(false, name, "type_id"),
		}}
	}
	return []tableDDL{
		typeTable("acqtype"),
		dataTable("acqdata", "acq_id", "archiveacq", "acqtype"),
		typeTable("filetype"),
		dataTable("filedata", "file_id", "archivefile", "filetype"),
	}
}

// createTables creates whichever of the extension's tables are missing.
// The data tables refer to alpenhorn's, so the core schema must exist.
func createTables(ctx context.Context, d *db.DB) error {
	existing, err := d.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("listing tables: %s", d.Redact(err.Error()))
	}
	for _, t := range schemaDDL(d.Engine) {
		if d.Engine == db.MySQL && slices.Contains(existing, t.name) {
			continue
		}
		for _, stmt := range t.stmts {
			if err := d.Gorm.WithContext(ctx).Exec(stmt).Error; err != nil {
				return fmt.Errorf("creating table %s: %s", t.name, d.Redact(err.Error()))
			}
		}
	}
	return nil
}
