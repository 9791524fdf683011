package patternimporter

import (
	"context"
	"fmt"
	"slices"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// tables are the extension's tables in creation order, rendered as the
// Python extension creates them, so that both make the same catalog.
var tables = []db.Table{
	typeTable("acqtype"),
	dataTable("acqdata", "acq_id", "archiveacq", "acqtype"),
	typeTable("filetype"),
	dataTable("filedata", "file_id", "archivefile", "filetype"),
}

// typeTable is a table of named pattern lists.
func typeTable(name string) db.Table {
	return db.Table{Name: name, Columns: []db.Column{
		{Name: "name", MySQL: "VARCHAR(64)", SQLite: "VARCHAR(64)", NotNull: true},
		{Name: "patterns", MySQL: "TEXT", SQLite: "TEXT", NotNull: true},
		{Name: "notes", MySQL: "TEXT", SQLite: "TEXT"},
	}, Indexes: []db.Index{{Unique: true, Columns: []string{"name"}}}}
}

// dataTable records the type (a row of typeTable) of each row of target,
// which column refers to.
func dataTable(name, column, target, typeTable string) db.Table {
	return db.Table{Name: name, Columns: []db.Column{
		{Name: column, MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "type_id", MySQL: "INTEGER", SQLite: "INTEGER"},
	}, ForeignKeys: []db.ForeignKey{{Column: column, Table: target}, {Column: "type_id", Table: typeTable}},
		Indexes: []db.Index{{Unique: true, Columns: []string{column}}, {Columns: []string{"type_id"}}}}
}

// createTables creates whichever of the extension's tables are missing.
// The data tables refer to alpenhorn's, so the core schema must exist.
func createTables(ctx context.Context, d *db.DB) error {
	existing, err := d.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("listing tables: %s", d.Redact(err.Error()))
	}
	for _, t := range tables {
		// MySQL has no IF NOT EXISTS for indexes: a table that exists is
		// skipped together with its indexes instead.
		if d.Engine == db.MySQL && slices.Contains(existing, t.Name) {
			continue
		}
		for _, stmt := range t.DDL(d.Engine) {
			if err := d.Gorm.WithContext(ctx).Exec(stmt).Error; err != nil {
				return fmt.Errorf("creating table %s: %s", t.Name, d.Redact(err.Error()))
			}
		}
	}
	return nil
}
