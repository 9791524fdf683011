package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestGaleraCLIFailover: `db init` on a Galera cluster creates the file
// locks; a CLI whose URL names a dead database node first uses the next,
// saying so in one line on stderr, and its output is as usual.
func TestGaleraCLIFailover(t *testing.T) {
	g := testdb.Galera(t)
	url := g.URL()
	initIndex(t, url)
	if r := run(t, url, "", "group", "create", "g1"); r.code != 0 {
		t.Fatalf("group create: exit %d: %s", r.code, r.stderr)
	}
	want := run(t, url, "", "group", "list")
	if want.code != 0 || want.stderr != "" {
		t.Fatalf("group list: exit %d: %s", want.code, want.stderr)
	}
	d := testdb.Open(t, url)
	if err := d.Gorm.Exec("SELECT COUNT(*) FROM alpenhorn_filelock").Error; err != nil {
		t.Fatalf("db init made no file-lock table: %v", err)
	}
	d.Close()

	g.Kill(t, 0)
	r := run(t, url, "", "group", "list")
	if r.code != 0 || r.stdout != want.stdout {
		t.Fatalf("group list with the first host dead: exit %d\n%s\nwant\n%s\nstderr: %s", r.code, r.stdout, want.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Database server "+g.Addr(0)+" unavailable (") ||
		!strings.HasSuffix(lines[0], "): using "+g.Addr(1)+".") {
		t.Errorf("stderr: %q, want one line about the failover", r.stderr)
	}
	if pw := strings.SplitN(strings.SplitN(url, "@", 2)[0], ":", 3)[2]; strings.Contains(r.stderr, pw) {
		t.Error("password in stderr")
	}
}
