// Package testdb gives tests real databases to run against: a fresh SQLite
// file, or a fresh database on a real MariaDB server that the package starts
// for the test binary.
//
// Every test of the data index should run on both engines:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		testdb.Engines(t, func(t *testing.T, url string) { … })
//	}
//
// The MariaDB server is started on first use (one per test binary), with its
// own data directory, a password-protected user, TCP on 127.0.0.1 at a free
// port and a private socket. Main stops it and removes its files when the
// tests end; on Linux the server also dies with the test binary if that
// crashes.
//
// Galera returns a database on a three-node MariaDB Galera cluster instead
// (galera.go), started on first use in the same way, with URLs naming any
// of its nodes, and nodes that tests may kill and restart.
//
// Environment:
//
//	ALPENHORN_TEST_MARIADBD=none           behave as if MariaDB were not installed
//	ALPENHORN_TEST_MARIADBD=/path/mariadbd use this server binary
//	ALPENHORN_TEST_GALERA=none             behave as if galera-4 were not installed
//	ALPENHORN_TEST_GALERA=/path/libgalera_smm.so use this Galera provider
//	ALPENHORN_TEST_REQUIRE_MARIADB=1       fail, instead of skip, when MariaDB or galera-4 is missing
//
// Without MariaDB the MariaDB tests are skipped, and the binary says so on
// stderr.
package testdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/scratch"
)

// MemoryDir, when it is a directory the test binary can write to, holds
// the databases' files: the SQLite files and the MariaDB server's data
// directory. Both engines sync every commit and every step of a CREATE
// TABLE or CREATE INDEX to disk, and each test creates its schema afresh:
// on a RAM-backed filesystem that takes a fraction of the time. A killed
// server still keeps what it committed, which is all that outage tests
// need. Benchmarks, which measure the databases as they run in
// production, set it to "" before calling Main; the files then go to the
// system's temporary directory.
var MemoryDir = "/dev/shm"

// sqliteDirPrefix names the directories of SQLite files in MemoryDir.
const sqliteDirPrefix = "alpenhorn-sqlite-"

// SQLiteURL returns the URL of a new, empty SQLite data index, removed
// when the test ends.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if MemoryDir != "" {
		if d, err := scratch.Dir(MemoryDir, sqliteDirPrefix); err == nil {
			dir = d
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	// The path is absolute, so the URL has four slashes, as alpenhorn
	// expects for an absolute SQLite path.
	return "sqlite:///" + filepath.Join(dir, "index.db")
}

// Engines runs f once per database engine, as the subtests "sqlite" and
// "mariadb", each with the URL of a fresh, empty database.
func Engines(t *testing.T, f func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Helper()
		f(t, SQLiteURL(t))
	})
	t.Run("mariadb", func(t *testing.T) {
		t.Helper()
		f(t, MariaDB(t))
	})
}

// Open opens the data index at url for the test, and closes it when the
// test ends.
func Open(t testing.TB, url string) *db.DB {
	t.Helper()
	d, err := db.Create(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Initialised opens the data index at url as Open does, and creates the
// core schema in it.
func Initialised(t testing.TB, url string) *db.DB {
	t.Helper()
	d := Open(t, url)
	if _, err := d.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}
