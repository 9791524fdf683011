package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// The file locks: a table of our own, one row per file whose copies'
// deletion was ever decided on MySQL, which every such decision writes.
//
// Row locks (SELECT ... FOR UPDATE) serialise two deletions of a file's
// copies on one MySQL server, but on a Galera cluster they hold only on
// the database node that took them: two daemons on two nodes that each
// count enough archive copies, and each write only their own copy's row,
// both commit. Writing one common row makes their write sets conflict, so
// that certification aborts one of them (error 1213 at COMMIT), which
// db.Transaction runs again; the second run counts what the first left.
//
// Like the sneakernet tables it lies beside the core schema, which stays
// the Python alpenhorn's, and has no foreign key into it. `db init`
// creates it (on MySQL); a data index created by the Python alpenhorn gets
// it on the first deletion that needs it. A Python daemon never writes it, so on
// Galera its deletions are not serialised with ours (nor with each
// other's); on one server the row locks still serialise them.

var fileLockTable = db.Table{Name: "alpenhorn_filelock", Columns: []db.Column{
	{Name: "file_id", MySQL: "INTEGER", SQLite: "INTEGER", NotNull: true},
	// How many deletion decisions wrote the row: written, never read.
	{Name: "claims", MySQL: "BIGINT", SQLite: "INTEGER", NotNull: true},
}, Indexes: []db.Index{{Unique: true, Columns: []string{"file_id"}}}}

// SetupFileLocks creates the file-lock table on MySQL if it is missing
// (SQLite needs none: a transaction there holds the whole database's
// write lock). Run it outside any transaction (DDL commits on MySQL);
// processes racing through it end up with one table. The table holds
// nothing that must be kept (it may be emptied or dropped at any time,
// and is created again when needed), so it has no version row.
func SetupFileLocks(ctx context.Context, d *db.DB) error {
	if d.Engine != db.MySQL {
		return nil
	}
	for _, stmt := range fileLockTable.RepeatableDDL(d.Engine) {
		if err := d.Retry(ctx, func(g *gorm.DB) error { return g.Exec(stmt).Error }); err != nil {
			return fmt.Errorf("creating the file-lock table: %s", d.Redact(err.Error()))
		}
	}
	return nil
}

// lockFile writes file's row of the file-lock table in tx (MySQL only):
// on one server it waits for, and then holds back, any other transaction
// deciding on the same file; on Galera it makes two such transactions on
// different nodes conflict at certification.
func lockFile(tx *gorm.DB, fileID int64) error {
	return tx.Exec("INSERT INTO alpenhorn_filelock (file_id, claims) VALUES (?, 1) ON DUPLICATE KEY UPDATE claims = claims + 1", fileID).Error
}

// withFileLocks runs fn, and if it failed for want of the file-lock table
// (a data index made by the Python alpenhorn, or one whose table was
// dropped), creates the table and runs
// fn again.
func withFileLocks(ctx context.Context, d *db.DB, fn func() error) error {
	err := fn()
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1146 { // no such table
		return err
	}
	if err := SetupFileLocks(ctx, d); err != nil {
		return err
	}
	return fn()
}
