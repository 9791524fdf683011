// Package sneakernet carries files between data indexes that share no
// database, on storage that travels by hand (a transport node's device):
// the manifest written at the source, the receipt written at the
// destination, and the tables of our own in which each data index keeps
// its identity, the manifests it made and the copies confirmed held
// elsewhere.
//
// The core schema stays exactly as the Python alpenhorn defines it. Our
// tables are created beside it on first use, recorded in dataindexversion
// as component "sneakernet", and have no foreign keys into the core
// tables, so a Python alpenhorn sharing the database neither sees nor is
// hindered by them.
package sneakernet

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Component is the dataindexversion component of our tables.
const Component = "sneakernet"

// SchemaVersion is the version of our tables this alpenhorn uses.
const SchemaVersion = 1

// tables are ours, in creation order. Their foreign keys only ever refer to
// our own tables.
var tables = []db.Table{
	// One row (id 1): the identity of this data index.
	{Name: "sneakernet_dataindex", Columns: []db.Column{
		{Name: "uuid", MySQL: "VARCHAR(36)", SQLite: "VARCHAR(36)", NotNull: true},
		{Name: "created", MySQL: "DATETIME", SQLite: "DATETIME", NotNull: true},
	}},
	// Every manifest written here; destination is --destination.
	{Name: "sneakernet_manifest", Columns: []db.Column{
		{Name: "uuid", MySQL: "VARCHAR(36)", SQLite: "VARCHAR(36)", NotNull: true},
		{Name: "node_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "destination", MySQL: "VARCHAR(64)", SQLite: "VARCHAR(64)"},
		{Name: "created", MySQL: "DATETIME", SQLite: "DATETIME", NotNull: true},
	}, Indexes: []db.Index{{Unique: true, Columns: []string{"uuid"}}}},
	// The entries of each manifest: the files (with a destination: the
	// outgoing files) and the copies they were listed from; unavailable
	// records that --mark-unavailable cleared the copy's ready bit.
	{Name: "sneakernet_manifest_file", Columns: []db.Column{
		{Name: "manifest_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "file_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "copy_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "unavailable", MySQL: "BOOL", SQLite: "INTEGER", NotNull: true},
	}, ForeignKeys: []db.ForeignKey{{Column: "manifest_id", Table: "sneakernet_manifest"}},
		Indexes: []db.Index{{Unique: true, Columns: []string{"manifest_id", "file_id"}}, {Columns: []string{"file_id"}}}},
	// Files another data index (dataindex: its identity) reported holding.
	{Name: "sneakernet_confirmation", Columns: []db.Column{
		{Name: "file_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "dataindex", MySQL: "VARCHAR(36)", SQLite: "VARCHAR(36)", NotNull: true},
		{Name: "manifest_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
		{Name: "confirmed", MySQL: "DATETIME", SQLite: "DATETIME", NotNull: true},
	}, ForeignKeys: []db.ForeignKey{{Column: "manifest_id", Table: "sneakernet_manifest"}},
		Indexes: []db.Index{{Unique: true, Columns: []string{"file_id", "dataindex"}}}},
}

// TableNames lists our tables in creation order.
func TableNames() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.Name
	}
	return out
}

// DDL returns every statement creating our tables on engine e, in order.
// Every statement may be repeated.
func DDL(e db.Engine) []string {
	var out []string
	for _, t := range tables {
		out = append(out, t.RepeatableDDL(e)...)
	}
	return out
}

// ErrNotSetUp is returned when this data index has never used sneakernet:
// it has no identity and has made no manifest.
var ErrNotSetUp = errors.New("this data index has never written or ingested a sneakernet manifest")

// installed reports whether our tables are recorded at SchemaVersion, and
// fails when they are recorded at another version.
func installed(ctx context.Context, d *db.DB) (bool, error) {
	v, err := d.SchemaVersion(ctx, Component)
	if err != nil {
		return false, err
	}
	switch v {
	case 0:
		return false, nil
	case SchemaVersion:
		return true, nil
	}
	return false, &db.VersionMismatchError{Component: Component, Wanted: SchemaVersion, Found: v}
}

// Setup creates our tables if they are missing and returns this data
// index's identity, created on first use. Run it outside any transaction:
// DDL commits on MySQL. Processes racing through Setup end up with the
// same tables and the same identity.
func Setup(ctx context.Context, d *db.DB) (string, error) {
	ok, err := installed(ctx, d)
	if err != nil {
		return "", err
	}
	if !ok {
		for _, stmt := range DDL(d.Engine) {
			if err := d.Retry(ctx, func(g *gorm.DB) error { return g.Exec(stmt).Error }); err != nil {
				return "", fmt.Errorf("creating the sneakernet tables: %s", d.Redact(err.Error()))
			}
		}
		row := db.DataIndexVersion{Component: Component, Version: SchemaVersion}
		if err := d.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
			// Another process may have recorded it first (unique component).
			if ok, cerr := installed(ctx, d); cerr != nil || !ok {
				return "", fmt.Errorf("recording the sneakernet schema version: %s", d.Redact(err.Error()))
			}
		}
	}
	return identity(ctx, d, true)
}

// Identity returns this data index's identity, or ErrNotSetUp.
func Identity(ctx context.Context, d *db.DB) (string, error) {
	ok, err := installed(ctx, d)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrNotSetUp
	}
	return identity(ctx, d, false)
}

type identityRow struct {
	ID      int64   `gorm:"column:id;primaryKey"`
	UUID    string  `gorm:"column:uuid"`
	Created db.Time `gorm:"column:created"`
}

func (identityRow) TableName() string { return "sneakernet_dataindex" }

// identity reads the identity row, creating it when create is set. The
// row always has id 1, so of two processes creating it the second fails
// on the primary key and reads the first one's.
func identity(ctx context.Context, d *db.DB, create bool) (string, error) {
	read := func() (string, error) {
		var rows []identityRow
		err := d.Retry(ctx, func(g *gorm.DB) error {
			rows = nil
			return g.Where("id = ?", 1).Find(&rows).Error
		})
		if err != nil || len(rows) == 0 {
			return "", err
		}
		return rows[0].UUID, nil
	}
	id, err := read()
	if err != nil || id != "" {
		return id, err
	}
	if !create {
		return "", ErrNotSetUp
	}
	row := identityRow{ID: 1, UUID: NewUUID(), Created: db.Now()}
	if cerr := d.Gorm.WithContext(ctx).Create(&row).Error; cerr == nil {
		return row.UUID, nil
	} else if id, err = read(); err == nil && id == "" {
		err = fmt.Errorf("creating the data index identity: %s", d.Redact(cerr.Error()))
	}
	return id, err
}
