package reliability

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// cliLimit bounds one CLI run; only a stuck command reaches it.
const cliLimit = 2 * time.Minute

// cli runs alpenhorn commands against one data index.
type cli struct {
	bin, conf string
}

// newCLI writes a config naming the data index at url.
func newCLI(t *testing.T, bin, url string) *cli {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "alpenhorn.conf")
	if err := os.WriteFile(conf, []byte("database:\n  url: "+url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cli{bin: bin, conf: conf}
}

// run is one finished invocation.
type run struct {
	args           []string
	start, end     time.Time
	code           int
	stdout, stderr string
}

// run executes alpenhorn with args and returns what it did.
func (c *cli) run(args ...string) run {
	ctx, cancel := context.WithTimeout(context.Background(), cliLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--test-isolation", "--conf", c.conf}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := run{args: args, start: time.Now()}
	err := cmd.Run()
	r.end = time.Now()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += err.Error()
	}
	return r
}
