// Package execdetect is the exec_detect extension: an import detector that
// asks an outside program about each candidate file, so that sites can
// write detection logic in any language without rebuilding alpenhorn.
//
// Configuration (its own top-level section):
//
//	extensions:
//	  - exec_detect
//	exec_detect:
//	  command: [/usr/local/bin/alpenhorn-detect, --strict]
//	  timeout: 10s
//
// command is the program and its arguments; it is run directly, never
// through a shell (a single string is the program with no arguments).
// timeout bounds each run: a Go duration ("10s", "1m30s") or a number of
// seconds; the default is 10s.
//
// For every candidate file the program is started once, gets on stdin one
// JSON object
//
//	{"path": "2025/02/21/meta.txt", "node": "demo_storage1", "root": "/data"}
//
// (path relative to the node root, the node's name and root directory) and
// must print on stdout one JSON object:
//
//	{"accept": true, "acq": "2025/02/21", "file": "meta.txt"}
//	{"accept": false}
//
// acq must be a parent directory of path; file, when given, must be the
// rest of path. A program that fails, times out, or prints anything else is
// logged and the file is not imported. See example/detect.sh.
package execdetect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
)

// Name is the extension's name in the config's extensions list, and the
// name of its config section.
const Name = "exec_detect"

const (
	defaultTimeout = 10 * time.Second
	// maxOutput bounds what is kept of the program's stdout and stderr; a
	// verdict is a few hundred bytes.
	maxOutput = 64 << 10
	// waitDelay bounds the wait for the program's pipes to close after it
	// has been killed, in case something it started escaped the kill.
	waitDelay = 5 * time.Second
	// maxQuoted bounds how much of the program's output a log line quotes.
	maxQuoted = 500
)

func init() {
	extension.Register(extension.Extension{Name: Name, Configure: configure})
}

// detector runs one configured program.
type detector struct {
	argv    []string
	timeout time.Duration
}

func configure(section map[string]any) (extension.Capabilities, error) {
	argv, err := commandOf(section["command"])
	if err != nil {
		return extension.Capabilities{}, err
	}
	// Checked now so that a typo fails start-up rather than every import.
	if _, err := exec.LookPath(argv[0]); err != nil {
		return extension.Capabilities{}, fmt.Errorf("%s.command: %w", Name, err)
	}
	timeout := defaultTimeout
	if v, ok := section["timeout"]; ok && v != nil {
		if timeout, err = durationOf(v); err != nil {
			return extension.Capabilities{}, err
		}
	}
	d := &detector{argv: argv, timeout: timeout}
	return extension.Capabilities{ImportDetect: d.detect}, nil
}

func commandOf(v any) ([]string, error) {
	switch c := v.(type) {
	case nil:
		return nil, fmt.Errorf("no command configured (set %s.command)", Name)
	case string:
		if c != "" {
			return []string{c}, nil
		}
	case []any:
		argv := make([]string, len(c))
		for i, a := range c {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("invalid config value for %s.command: argument %d is not a string", Name, i+1)
			}
			argv[i] = s
		}
		if len(argv) > 0 && argv[0] != "" {
			return argv, nil
		}
	default:
		return nil, fmt.Errorf("invalid config value for %s.command: sequence expected", Name)
	}
	return nil, fmt.Errorf("invalid config value for %s.command: empty command", Name)
}

func durationOf(v any) (time.Duration, error) {
	var d time.Duration
	switch t := v.(type) {
	case int:
		d = time.Duration(t) * time.Second
	case float64:
		d = time.Duration(t * float64(time.Second))
	case string:
		var err error
		if d, err = time.ParseDuration(t); err != nil {
			f, ferr := strconv.ParseFloat(t, 64)
			if ferr != nil {
				return 0, fmt.Errorf("invalid config value for %s.timeout: %q is not a duration", Name, t)
			}
			d = time.Duration(f * float64(time.Second))
		}
	default:
		return 0, fmt.Errorf("invalid config value for %s.timeout: duration expected", Name)
	}
	if d <= 0 {
		return 0, fmt.Errorf("invalid config value for %s.timeout: must be positive", Name)
	}
	return d, nil
}

type request struct {
	Path string `json:"path"`
	Node string `json:"node"`
	Root string `json:"root"`
}

type verdict struct {
	Accept *bool  `json:"accept"`
	Acq    string `json:"acq"`
	File   string `json:"file"`
}

// detect runs the program for one path. Every failure of the program
// declines the file; only the end of the daemon's own context is returned
// as an error, so that shutting down does not log spurious failures.
func (d *detector) detect(ctx context.Context, _ *db.DB, p string, node *db.StorageNode) (extension.Detection, error) {
	req := request{Path: p, Node: node.Name}
	if node.Root != nil {
		req.Root = *node.Root
	}
	in, err := json.Marshal(req)
	if err != nil {
		return extension.Detection{}, extension.Decline(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, d.argv[0], d.argv[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr capped
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return extension.Detection{}, ctx.Err()
	}
	if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s timed out after %s", d.argv[0], d.timeout))
	}
	if runErr != nil {
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: %v%s", d.argv[0], runErr, stderr.suffix()))
	}
	if stdout.over {
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: output longer than %d bytes", d.argv[0], maxOutput))
	}
	var v verdict
	dec := json.NewDecoder(bytes.NewReader(stdout.buf.Bytes()))
	if err := dec.Decode(&v); err != nil {
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: unreadable verdict %q: %v", d.argv[0], stdout.String(), err))
	}
	if dec.More() {
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: unreadable verdict %q: more than one JSON value", d.argv[0], stdout.String()))
	}
	switch {
	case v.Accept == nil:
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: verdict %q has no \"accept\"", d.argv[0], stdout.String()))
	case !*v.Accept:
		return extension.Detection{}, nil
	case v.Acq == "":
		return extension.Detection{}, extension.Decline(fmt.Errorf("%s: verdict %q accepts without an \"acq\"", d.argv[0], stdout.String()))
	}
	return extension.Detection{Acq: v.Acq, File: v.File}, nil
}

// capped keeps the first maxOutput bytes written to it and drops the rest,
// still reporting success so that a chatty program is not killed by a
// broken pipe before its exit status can be read.
type capped struct {
	buf  bytes.Buffer
	over bool
}

func (c *capped) Write(b []byte) (int, error) {
	room := maxOutput - c.buf.Len()
	if len(b) > room {
		c.over = true
		c.buf.Write(b[:room])
	} else {
		c.buf.Write(b)
	}
	return len(b), nil
}

// String returns what was captured, trimmed and shortened to fit a log line.
func (c *capped) String() string {
	s := strings.TrimSpace(c.buf.String())
	if len(s) > maxQuoted {
		s = strings.ToValidUTF8(s[:maxQuoted], "") + "..."
	}
	return s
}

// suffix renders captured stderr for an error message.
func (c *capped) suffix() string {
	if s := c.String(); s != "" {
		return ": " + s
	}
	return ""
}
