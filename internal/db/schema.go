package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CurrentVersion is the data index schema version this alpenhorn supports.
const CurrentVersion = 2

// Component is the dataindexversion component of the core schema.
const Component = "alpenhorn"

// Column is a column of a Table: its name, its type on each engine, and
// whether it is NOT NULL.
type Column struct {
	Name, MySQL, SQLite string
	NotNull             bool
}

// ForeignKey makes Column refer to the id of Table.
type ForeignKey struct{ Column, Table string }

// Index is an index of a Table, named after the table and its columns.
type Index struct {
	Unique  bool
	Columns []string
}

// Table describes a table for its DDL: an integer primary key "id", then
// Columns, ForeignKeys and Indexes. The data index's components (the core
// schema, our own tables, extensions') all render their DDL from it, in
// the style of the Python alpenhorn.
type Table struct {
	Name        string
	Columns     []Column
	ForeignKeys []ForeignKey
	Indexes     []Index
}

// tables is the core schema in creation order (the Python dependency sort).
// Both engines' DDL is rendered from it, so the two can never drift apart.
var tables = []Table{
	{"archiveacq", []Column{
		{"name", "VARCHAR(64)", "VARCHAR(64)", true},
		{"comment", "TEXT", "TEXT", false},
	}, nil, []Index{{true, []string{"name"}}}},
	{"archivefile", []Column{
		{"acq_id", "INTEGER", "INTEGER", true},
		{"name", "VARCHAR(255)", "VARCHAR(255)", true},
		{"size_b", "BIGINT", "INTEGER", false},
		{"md5sum", "VARCHAR(32)", "VARCHAR(32)", false},
		{"registered", "DATETIME", "DATETIME", true},
	}, []ForeignKey{{"acq_id", "archiveacq"}}, []Index{{false, []string{"acq_id"}}, {true, []string{"acq_id", "name"}}}},
	{"storagegroup", []Column{
		{"name", "VARCHAR(64)", "VARCHAR(64)", true},
		{"io_class", "VARCHAR(255)", "VARCHAR(255)", false},
		{"notes", "TEXT", "TEXT", false},
		{"io_config", "TEXT", "TEXT", false},
	}, nil, []Index{{true, []string{"name"}}}},
	{"storagenode", []Column{
		{"name", "VARCHAR(64)", "VARCHAR(64)", true},
		{"root", "VARCHAR(255)", "VARCHAR(255)", false},
		{"host", "VARCHAR(64)", "VARCHAR(64)", false},
		{"username", "VARCHAR(64)", "VARCHAR(64)", false},
		{"address", "VARCHAR(255)", "VARCHAR(255)", false},
		{"io_class", "VARCHAR(255)", "VARCHAR(255)", false},
		{"group_id", "INTEGER", "INTEGER", true},
		{"active", "BOOL", "INTEGER", true},
		{"auto_import", "BOOL", "INTEGER", true},
		{"auto_verify", "INTEGER", "INTEGER", true},
		{"storage_type", "enum('A', 'T', 'F')", "string(1)", true},
		{"max_total_gb", "FLOAT", "REAL", false},
		{"min_avail_gb", "FLOAT", "REAL", true},
		{"avail_gb", "FLOAT", "REAL", false},
		{"avail_gb_last_checked", "DATETIME", "DATETIME", false},
		{"notes", "TEXT", "TEXT", false},
		{"io_config", "TEXT", "TEXT", false},
	}, []ForeignKey{{"group_id", "storagegroup"}}, []Index{{true, []string{"name"}}, {false, []string{"group_id"}}}},
	{"archivefilecopy", []Column{
		{"file_id", "INTEGER", "INTEGER", true},
		{"node_id", "INTEGER", "INTEGER", true},
		{"has_file", "enum('N', 'Y', 'M', 'X')", "string(1)", true},
		{"wants_file", "enum('Y', 'M', 'N')", "string(1)", true},
		{"ready", "BOOL", "INTEGER", true},
		{"size_b", "BIGINT", "INTEGER", false},
		{"last_update", "DATETIME", "DATETIME", true},
	}, []ForeignKey{{"file_id", "archivefile"}, {"node_id", "storagenode"}},
		[]Index{{false, []string{"file_id"}}, {false, []string{"node_id"}}, {true, []string{"file_id", "node_id"}}}},
	{"archivefilecopyrequest", []Column{
		{"file_id", "INTEGER", "INTEGER", true},
		{"group_to_id", "INTEGER", "INTEGER", true},
		{"node_from_id", "INTEGER", "INTEGER", true},
		{"completed", "BOOL", "INTEGER", true},
		{"cancelled", "BOOL", "INTEGER", true},
		{"timestamp", "DATETIME", "DATETIME", false},
		{"transfer_started", "DATETIME", "DATETIME", false},
		{"transfer_completed", "DATETIME", "DATETIME", false},
	}, []ForeignKey{{"file_id", "archivefile"}, {"group_to_id", "storagegroup"}, {"node_from_id", "storagenode"}},
		[]Index{{false, []string{"file_id"}}, {false, []string{"group_to_id"}}, {false, []string{"node_from_id"}},
			{false, []string{"file_id", "group_to_id", "node_from_id"}}}},
	{"archivefileimportrequest", []Column{
		{"node_id", "INTEGER", "INTEGER", true},
		{"path", "VARCHAR(1024)", "VARCHAR(1024)", true},
		{"recurse", "BOOL", "INTEGER", true},
		{"register", "BOOL", "INTEGER", true},
		{"completed", "BOOL", "INTEGER", true},
		{"timestamp", "DATETIME", "DATETIME", false},
	}, []ForeignKey{{"node_id", "storagenode"}}, []Index{{false, []string{"node_id"}}}},
	{"dataindexversion", []Column{
		{"component", "VARCHAR(256)", "VARCHAR(256)", true},
		{"version", "INTEGER", "INTEGER", true},
	}, nil, []Index{{true, []string{"component"}}}},
	{"storagetransferaction", []Column{
		{"node_from_id", "INTEGER", "INTEGER", true},
		{"group_to_id", "INTEGER", "INTEGER", true},
		{"autosync", "BOOL", "INTEGER", true},
		{"autoclean", "BOOL", "INTEGER", true},
	}, []ForeignKey{{"node_from_id", "storagenode"}, {"group_to_id", "storagegroup"}},
		[]Index{{false, []string{"node_from_id"}}, {false, []string{"group_to_id"}}, {true, []string{"node_from_id", "group_to_id"}}}},
}

// TableNames lists the core tables in creation order.
func TableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	return names
}

// DDL renders the statements that create t on engine e, exactly as the
// Python alpenhorn sends them: the CREATE TABLE, then one CREATE INDEX per
// index.
func (t Table) DDL(e Engine) []string { return t.render(e, false) }

// RepeatableDDL renders statements creating t that may all be run again.
// MySQL has no CREATE INDEX IF NOT EXISTS, so there the indexes are part
// of the CREATE TABLE.
func (t Table) RepeatableDDL(e Engine) []string { return t.render(e, true) }

func (t Table) render(e Engine, repeatable bool) []string {
	q := func(s string) string {
		if e == MySQL {
			return "`" + s + "`"
		}
		return `"` + s + `"`
	}
	quoteAll := func(cols []string) string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = q(c)
		}
		return strings.Join(out, ", ")
	}
	defs := []string{q("id") + " INTEGER NOT NULL PRIMARY KEY"}
	if e == MySQL {
		defs[0] = q("id") + " INTEGER AUTO_INCREMENT NOT NULL PRIMARY KEY"
	}
	for _, c := range t.Columns {
		typ := c.SQLite
		if e == MySQL {
			typ = c.MySQL
		}
		d := q(c.Name) + " " + typ
		if c.NotNull {
			d += " NOT NULL"
		}
		defs = append(defs, d)
	}
	var indexes []string
	for _, ix := range t.Indexes {
		name, cols := q(t.Name+"_"+strings.Join(ix.Columns, "_")), quoteAll(ix.Columns)
		unique := ""
		if ix.Unique {
			unique = "UNIQUE "
		}
		switch {
		case e == MySQL && repeatable:
			defs = append(defs, fmt.Sprintf("%sKEY %s (%s)", unique, name, cols))
		case e == MySQL:
			indexes = append(indexes, fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", unique, name, q(t.Name), cols))
		default:
			indexes = append(indexes, fmt.Sprintf("CREATE %sINDEX IF NOT EXISTS %s ON %s (%s)", unique, name, q(t.Name), cols))
		}
	}
	for _, fk := range t.ForeignKeys {
		defs = append(defs, fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s)", q(fk.Column), q(fk.Table), q("id")))
	}
	return append([]string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", q(t.Name), strings.Join(defs, ", "))}, indexes...)
}

// SchemaDDL returns every statement of the core schema for engine e, in order.
func SchemaDDL(e Engine) []string {
	var out []string
	for _, t := range tables {
		out = append(out, t.DDL(e)...)
	}
	return out
}

// VersionMismatchError is returned when the data index is not at the wanted version.
type VersionMismatchError struct {
	Component string
	Wanted    int
	Found     int // 0: no schema found
}

func (e *VersionMismatchError) Error() string {
	found := "no schema found"
	if e.Found > 0 {
		found = fmt.Sprintf("found version %d", e.Found)
	}
	if e.Component == Component {
		return fmt.Sprintf("Data Index version mismatch:  wanted version %d; %s", e.Wanted, found)
	}
	return fmt.Sprintf("Schema version mismatch for Data Index component %q:  wanted version %d; %s", e.Component, e.Wanted, found)
}

// ListTables returns the names of the database's base tables, sorted.
func (d *DB) ListTables(ctx context.Context) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type='table' ORDER BY name`
	if d.Engine == MySQL {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type != 'VIEW' ORDER BY table_name`
	}
	var names []string
	err := d.Gorm.WithContext(ctx).Raw(query).Scan(&names).Error
	return names, err
}

// SchemaVersion reads the version of a component: 0 when there is no
// dataindexversion table or no row for the component.
func (d *DB) SchemaVersion(ctx context.Context, component string) (int, error) {
	var rows []DataIndexVersion
	err := d.Gorm.WithContext(ctx).Where("component = ?", component).Limit(1).Find(&rows).Error
	if err != nil {
		names, lerr := d.ListTables(ctx)
		if lerr != nil {
			return 0, fmt.Errorf("Database read error: %s", d.Redact(lerr.Error()))
		}
		for _, n := range names {
			if n == "dataindexversion" {
				return 0, fmt.Errorf("Unable to determine schema version: %s", d.Redact(err.Error()))
			}
		}
		return 0, nil
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return int(rows[0].Version), nil
}

// CheckSchema fails unless the core schema is at CurrentVersion.
func (d *DB) CheckSchema(ctx context.Context) error {
	return d.CheckComponent(ctx, Component, CurrentVersion)
}

// CheckComponent fails unless component is recorded at version wanted.
func (d *DB) CheckComponent(ctx context.Context, component string, wanted int) error {
	v, err := d.SchemaVersion(ctx, component)
	if err != nil {
		return err
	}
	if v != wanted {
		return &VersionMismatchError{Component: component, Wanted: wanted, Found: v}
	}
	return nil
}

// ErrPartialSchema is returned by Init when some tables exist but no version does.
var ErrPartialSchema = errors.New("Partially initialsed Data Index (or Data Index version 1) found.  Manual repair required.")

// Init creates the core schema. It returns the message to print on success:
// "Data Index version 2 initialised." or, when already done,
// "Data Index already initialised.".
func (d *DB) Init(ctx context.Context) (string, error) {
	v, err := d.SchemaVersion(ctx, Component)
	if err != nil {
		return "", err
	}
	if v == CurrentVersion {
		return "Data Index already initialised.", nil
	}
	if v > 0 {
		return "", fmt.Errorf("Data Index version %d already present.", v)
	}
	existing, err := d.ListTables(ctx)
	if err != nil {
		return "", fmt.Errorf("Database read error: %s", d.Redact(err.Error()))
	}
	ours := map[string]bool{}
	for _, n := range TableNames() {
		ours[n] = true
	}
	for _, n := range existing {
		if ours[n] {
			return "", ErrPartialSchema
		}
	}
	// DDL auto-commits on MySQL, so a transaction would not make this
	// atomic; a crash part-way is caught by the partial-schema check above.
	for _, stmt := range SchemaDDL(d.Engine) {
		if err := d.Gorm.WithContext(ctx).Exec(stmt).Error; err != nil {
			return "", fmt.Errorf("creating schema: %s", d.Redact(err.Error()))
		}
	}
	row := DataIndexVersion{Component: Component, Version: CurrentVersion}
	if err := d.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("recording schema version: %s", d.Redact(err.Error()))
	}
	return fmt.Sprintf("Data Index version %d initialised.", CurrentVersion), nil
}
