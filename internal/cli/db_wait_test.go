package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWaitLimit: a command gives up on a data index that stays
// unreachable (all its hosts) within database.wait_limit, with one line,
// without the password.
func TestWaitLimit(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "alpenhorn.conf")
	text := "database:\n  url: mysql://alp:s3cret@127.0.0.1:1,127.0.0.1:2/x\n  wait_limit: 1\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main([]string{"--test-isolation", "--conf", conf, "group", "list"}, strings.NewReader(""), &out, &errb)
	took := time.Since(start)
	lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") || strings.Contains(errb.String(), "s3cret") {
		t.Fatalf("exit %d, stderr %q: want status 1 and one error line", code, errb.String())
	}
	if took > 10*time.Second {
		t.Fatalf("gave up after %v, want about a second", took)
	}
	t.Logf("gave up after %v: %s", took.Round(time.Millisecond), lines[0])
}
