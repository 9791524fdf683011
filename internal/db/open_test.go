package db_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Only CreateFile makes an SQLite file; Open names what is missing, and
// the first writer's open leaves the file in WAL mode.
func TestOpenSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.db")
	url := "sqlite:///" + path
	if _, err := db.Open(url); err == nil || err.Error() != "SQLite data index "+path+" does not exist (alpenhorn db init creates it)." {
		t.Errorf("Open of a missing file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open created %s", path)
	}
	nodir := filepath.Join(dir, "no", "index.db")
	for _, err := range []error{db.CreateFile("sqlite:///" + nodir), func() error { _, err := db.Open("sqlite:///" + nodir); return err }()} {
		if err == nil || !strings.HasSuffix(err.Error(), "directory "+filepath.Dir(nodir)+" does not exist.") {
			t.Errorf("missing directory: %v", err)
		}
	}
	if err := db.CreateFile(url); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var mode string
	if err := d.Gorm.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v); want wal", mode, err)
	}
	// CreateFile keeps an existing file.
	if err := db.CreateFile(url); err != nil {
		t.Errorf("CreateFile of an existing file: %v", err)
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := db.Open("sqlit:///x.db")
	if !errors.Is(err, db.ErrConnectFailed) || !strings.Contains(err.Error(), `"sqlit"`) {
		t.Errorf("Open(sqlit://…) = %v", err)
	}
}
