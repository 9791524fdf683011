package testdb_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// connect opens a database URL of the form mysql://user:pass@host:port/db.
func connect(t *testing.T, rawURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn(t, rawURL, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// dsn converts a database URL to a driver DSN, replacing the password if
// password is not empty.
func dsn(t *testing.T, rawURL, password string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "mysql" {
		t.Fatalf("scheme of %s is not mysql", rawURL)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	if password != "" {
		cfg.Passwd = password
	}
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
	cfg.Timeout = 10 * time.Second
	return cfg.FormatDSN()
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func TestSQLiteURL(t *testing.T) {
	u := testdb.SQLiteURL(t)
	path, ok := strings.CutPrefix(u, "sqlite:///")
	if !ok || !filepath.IsAbs(path) || filepath.Base(path) != "index.db" {
		t.Fatalf("SQLiteURL = %q, want sqlite:///<absolute dir>/index.db", u)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || !fi.IsDir() {
		t.Fatalf("directory of %s is not usable: %v", path, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists before use (err %v)", path, err)
	}
	if other := testdb.SQLiteURL(t); other == u {
		t.Fatalf("two calls returned the same URL %s", u)
	}
	if testdb.MemoryDir != "" && !strings.HasPrefix(path, testdb.MemoryDir+"/") {
		t.Errorf("%s is not in %s", path, testdb.MemoryDir)
	}
}

func TestSQLiteURLRemovedAfterTest(t *testing.T) {
	var dir string
	t.Run("uses", func(t *testing.T) {
		dir = filepath.Dir(strings.TrimPrefix(testdb.SQLiteURL(t), "sqlite:///"))
	})
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after its test ended (err %v)", dir, err)
	}
}

func TestMariaDB(t *testing.T) {
	urlA, urlB := testdb.MariaDB(t), testdb.MariaDB(t)
	nameA, nameB := dbName(t, urlA), dbName(t, urlB)
	if nameA == nameB || !strings.HasPrefix(nameA, "t_") || !strings.HasPrefix(nameB, "t_") {
		t.Fatalf("database names %q and %q: want two different t_ names", nameA, nameB)
	}
	a, b := connect(t, urlA), connect(t, urlB)

	var current string
	if err := a.QueryRow("SELECT DATABASE()").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != nameA {
		t.Fatalf("connected to database %q, want %q", current, nameA)
	}

	if _, err := a.Exec("CREATE TABLE acq (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("INSERT INTO acq VALUES (1, '12345678T000000Z_inst_zab')"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := a.QueryRow("SELECT name FROM acq WHERE id = 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "12345678T000000Z_inst_zab" {
		t.Fatalf("read back %q", name)
	}

	// The second database is separate from the first.
	var me *mysql.MySQLError
	_, err := b.Exec("SELECT id FROM acq")
	if !errors.As(err, &me) || me.Number != 1146 {
		t.Fatalf("table of database A visible in database B: err = %v", err)
	}

	// The server checks passwords.
	wrong, err := sql.Open("mysql", dsn(t, urlA, "not-the-password"))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	err = wrong.Ping()
	if !errors.As(err, &me) || me.Number != 1045 {
		t.Fatalf("connecting with a wrong password: err = %v, want access denied (1045)", err)
	}

	admin := connect(t, testdb.AdminURL(t))
	for _, want := range []string{nameA, nameB} {
		var n int
		if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", want).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("admin connection sees %d databases named %s, want 1", n, want)
		}
	}
}

// Parallel tests each get a database of their own: each writes its own row
// into a table of the same name and reads back only that row.
func TestMariaDBParallel(t *testing.T) {
	const tests = 6
	names := make(chan string, tests)
	t.Run("group", func(t *testing.T) {
		for i := range tests {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				u := testdb.MariaDB(t)
				db := connect(t, u)
				if _, err := db.Exec("CREATE TABLE acq (id INT PRIMARY KEY)"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec("INSERT INTO acq VALUES (?)", i); err != nil {
					t.Fatal(err)
				}
				var ids []int
				rows, err := db.Query("SELECT id FROM acq")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var id int
					if err := rows.Scan(&id); err != nil {
						t.Fatal(err)
					}
					ids = append(ids, id)
				}
				if len(ids) != 1 || ids[0] != i {
					t.Errorf("test %d reads ids %v", i, ids)
				}
				names <- dbName(t, u)
			})
		}
	})
	close(names)
	seen := map[string]bool{}
	for n := range names {
		seen[n] = true
	}
	if len(seen) != tests {
		t.Errorf("%d parallel tests were given %d databases", tests, len(seen))
	}
}

func TestMariaDBDroppedAfterTest(t *testing.T) {
	var name string
	t.Run("uses", func(t *testing.T) {
		name = dbName(t, testdb.MariaDB(t))
	})
	admin := connect(t, testdb.AdminURL(t))
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestRestartKeepsData(t *testing.T) {
	u := testdb.MariaDB(t)
	db := connect(t, u)
	if _, err := db.Exec("CREATE TABLE node (id INT PRIMARY KEY, name VARCHAR(64))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO node VALUES (7, 'node7')"); err != nil {
		t.Fatal(err)
	}

	testdb.Restart(t)

	// The same URL, and the same connection pool, reach the restarted server.
	var name string
	if err := db.QueryRow("SELECT name FROM node WHERE id = 7").Scan(&name); err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	if name != "node7" {
		t.Fatalf("after restart read %q, want node7", name)
	}
}

func TestStopMakesServerUnreachable(t *testing.T) {
	u := testdb.MariaDB(t)
	db := connect(t, u)

	testdb.Stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := db.PingContext(ctx)
	cancel()
	if err == nil {
		t.Fatal("ping succeeded while the server was stopped")
	}

	testdb.Restart(t)
	if err := db.Ping(); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}

func TestStoppedServerRestartsAfterTest(t *testing.T) {
	t.Run("stops", func(t *testing.T) {
		testdb.MariaDB(t)
		testdb.Stop(t)
	})
	db := connect(t, testdb.MariaDB(t))
	if err := db.Ping(); err != nil {
		t.Fatalf("server not back after the stopping test ended: %v", err)
	}
}

func TestEngines(t *testing.T) {
	got := map[string]string{}
	testdb.Engines(t, func(t *testing.T, u string) {
		got[t.Name()] = u
	})
	if u := got["TestEngines/sqlite"]; !strings.HasPrefix(u, "sqlite:///") {
		t.Errorf("sqlite subtest got URL %q", u)
	}
	u, ran := got["TestEngines/mariadb"]
	if ran != testdb.MariaDBAvailable() {
		t.Errorf("mariadb subtest ran: %v, MariaDB available: %v", ran, testdb.MariaDBAvailable())
	}
	if ran && !strings.HasPrefix(u, "mysql://") {
		t.Errorf("mariadb subtest got URL %q", u)
	}
}

// TestWithoutMariaDB runs TestMariaDB in a child test binary that is told
// MariaDB is not installed.
func TestWithoutMariaDB(t *testing.T) {
	run := func(require string) (stdout, stderr string, err error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMariaDB$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "ALPENHORN_TEST_MARIADBD=none", "ALPENHORN_TEST_REQUIRE_MARIADB="+require)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		return out.String(), errOut.String(), err
	}
	const message = "MariaDB tests SKIPPED: no mariadbd installed (apt-get install mariadb-server)"

	t.Run("skips loudly", func(t *testing.T) {
		stdout, stderr, err := run("")
		if err != nil {
			t.Fatalf("child failed: %v\n%s%s", err, stdout, stderr)
		}
		if !strings.Contains(stdout, "--- SKIP: TestMariaDB ") {
			t.Errorf("TestMariaDB not skipped:\n%s", stdout)
		}
		if !strings.Contains(stderr, message) {
			t.Errorf("stderr lacks %q:\n%s", message, stderr)
		}
	})

	t.Run("fails when required", func(t *testing.T) {
		stdout, stderr, err := run("1")
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("child did not fail (err %v):\n%s%s", err, stdout, stderr)
		}
		if !strings.Contains(stdout, "--- FAIL: TestMariaDB ") || !strings.Contains(stdout, "ALPENHORN_TEST_REQUIRE_MARIADB is set") {
			t.Errorf("missing failure report:\n%s", stdout)
		}
	})
}
