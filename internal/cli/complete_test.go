package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestCompletionFromIndex: node, group and acquisition names come from
// the data index the --conf given before the command word names; without
// a data index nothing is offered, quickly.
func TestCompletionFromIndex(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		x := newBulkIndex(t, url)
		conf := writeConfig(t, x.url)
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"node", "show", "N"}, "N1\nN2\nN3\n:4\n"},
			{[]string{"node", "sync", "N1", "G"}, "G1\nG2\nG3\nGA\n:4\n"},
			{[]string{"group", "show", "GA"}, "GA\n:4\n"},
			{[]string{"acq", "files", "ac"}, "acq2\n:4\n"},
			{[]string{"file", "state", "acq2/old.dat", "A"}, "A1\n:4\n"},
			{[]string{"file", "list", "--node", "N2"}, "N2\n:4\n"},
			{[]string{"file", "list", "--absent-group=G"}, "G1\nG2\nG3\nGA\n:4\n"},
			{[]string{"node", "create", "N"}, ":0\n"},
		} {
			args := append([]string{"__completeNoDesc", "--test-isolation", "--conf", conf}, c.args...)
			var out, errb strings.Builder
			Main(args, strings.NewReader(""), &out, &errb)
			if out.String() != c.want {
				t.Errorf("%v: %q, want %q", c.args, out.String(), c.want)
			}
		}
	})

	conf := writeConfig(t, "sqlite:////nonexistent/dir/index.db")
	start := time.Now()
	var out, errb strings.Builder
	Main([]string{"__completeNoDesc", "--test-isolation", "--conf", conf, "node", "show", ""}, strings.NewReader(""), &out, &errb)
	if out.String() != ":4\n" || time.Since(start) > completionLimit+time.Second {
		t.Errorf("without a data index: %q after %s", out.String(), time.Since(start))
	}
}
