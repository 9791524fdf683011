package cli

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
)

// Some tests run the real alpenhorn binary (daemontest.Build), which
// daemontest.Main removes at the end.
func TestMain(m *testing.M) { daemontest.Main(m) }

// result is what one alpenhorn invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// writeConfig writes a configuration file naming the data index at url.
func writeConfig(t testing.TB, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alpenhorn.conf")
	if err := os.WriteFile(path, []byte("database:\n  url: "+url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the alpenhorn command against the data index at url, isolated
// from the host's configuration files, with stdin as its input.
func run(t testing.TB, url, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--test-isolation", "--conf", writeConfig(t, url)}, args...)
	code := Main(full, strings.NewReader(stdin), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// initIndex creates an empty data index at url.
func initIndex(t testing.TB, url string) {
	t.Helper()
	if r := run(t, url, "", "db", "init"); r.code != 0 {
		t.Fatalf("db init: exit %d: %s", r.code, r.stderr)
	}
}

// scanValues scans the current row into one value per column.
func scanValues(r *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, r.Scan(ptrs...)
}

// fatalIf returns a function that fails the test on any error it is
// given, for fixtures that make many rows.
func fatalIf(t testing.TB) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot renders every row of every data-index table, so that a test can
// show that a failed command changed nothing.
func snapshot(t testing.TB, d *db.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range db.TableNames() {
		rows, err := d.Gorm.Table(table).Order("id").Rows()
		if err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals, err := scanValues(rows, len(cols))
			if err != nil {
				rows.Close()
				t.Fatalf("reading %s: %v", table, err)
			}
			b.WriteString(table)
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", cols[i], v)
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
