package execdetect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/logtest"
)

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// load loads exec_detect as a config would, with the given section.
func load(t *testing.T, section map[string]any) (*extension.Set, error) {
	t.Helper()
	return extension.Load(context.Background(), []string{Name}, map[string]any{Name: section})
}

var demoNode = &db.StorageNode{Name: "demo_storage1", Root: new("/data")}

func TestExampleScript(t *testing.T) {
	example, err := filepath.Abs("example/detect.sh")
	if err != nil {
		t.Fatal(err)
	}
	s, err := load(t, map[string]any{"command": []any{example}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, acq, file string }{
		{"2025/02/21/meta.txt", "2025/02/21", "meta.txt"},
		{"2025/02/21/23/1324.dat", "2025/02/21", "23/1324.dat"},
		{"2025/02/26/01/0529.dat", "2025/02/26", "01/0529.dat"},
		{"2025/02/21/23/1324.dat.temp", "", ""},
		{"2025/02/21/sub/meta.txt", "", ""},
		{"2025/13/01/meta.txt", "", ""},
		{"meta.txt", "", ""},
		{`2025/02/21/say "hi"`, "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h := logtest.Capture(t)
			got, ok, err := s.Detect(context.Background(), nil, tc.path, demoNode)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.acq != "") || got.Acq != tc.acq || got.File != tc.file {
				t.Errorf("Detect = %+v, %v; want acq %q file %q", got, ok, tc.acq, tc.file)
			}
			if l := logtest.Text(h); l != "" {
				t.Errorf("logged %q", l)
			}
		})
	}
}

func TestProtocol(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "request.json")
	recorder := script(t, dir, "recorder", `cat > "$1"; echo '{"accept": true, "acq": "2025/02/21"}'`)
	s, err := load(t, map[string]any{"command": []any{recorder, reqFile}, "timeout": 5})
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Detect(context.Background(), nil, "2025/02/21/23/1324.dat", demoNode)
	if err != nil || !ok || got.Acq != "2025/02/21" || got.File != "23/1324.dat" {
		t.Fatalf("Detect = %+v, %v, %v", got, ok, err)
	}
	req, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"path":"2025/02/21/23/1324.dat","node":"demo_storage1","root":"/data"}`; string(req) != want {
		t.Errorf("request %s, want %s", req, want)
	}
}

func TestFailuresDecline(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, log string
	}{
		{"reject", `echo '{"accept": false}'`, ""},
		{"reject-with-extras", `echo '{"accept": false, "acq": "2025/02/21", "why": "no"}'`, ""},
		{"garbage", `echo 'this is not JSON'`,
			`"this is not JSON": invalid character 'h' in literal true (expecting 'r')`},
		{"empty", `true`, `"": EOF`},
		{"two-values", `echo '{"accept": false} {"accept": true}'`,
			`"{\"accept\": false} {\"accept\": true}": more than one JSON value`},
		{"no-accept", `echo '{"acq": "2025/02/21"}'`,
			`verdict "{\"acq\": \"2025/02/21\"}" has no "accept"`},
		{"accept-string", `echo '{"accept": "yes"}'`,
			`"{\"accept\": \"yes\"}": json: cannot unmarshal string into Go struct field verdict.accept of type bool`},
		{"no-acq", `echo '{"accept": true}'`,
			`verdict "{\"accept\": true}" accepts without an "acq"`},
		{"exit-status", `echo '{"accept": true, "acq": "2025/02/21"}'; echo 'cannot read index' >&2; exit 3`,
			`exit status 3: cannot read index`},
		{"not-parent", `echo '{"accept": true, "acq": "2025/03"}'`, ""},
		{"wrong-file", `echo '{"accept": true, "acq": "2025/02/21", "file": "meta.txt"}'`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := script(t, dir, tc.name, tc.body)
			s, err := load(t, map[string]any{"command": []any{prog}})
			if err != nil {
				t.Fatal(err)
			}
			h := logtest.Capture(t)
			got, ok, err := s.Detect(context.Background(), nil, "2025/02/21/23/1324.dat", demoNode)
			if ok || err != nil {
				t.Fatalf("Detect = %+v, %v, %v", got, ok, err)
			}
			want := ""
			switch {
			case tc.log != "":
				want = `ERROR Import detection by extension exec_detect failed for "2025/02/21/23/1324.dat": ` + prog + ": "
				if !strings.HasPrefix(tc.log, "verdict") && !strings.HasPrefix(tc.log, "exit") {
					want += "unreadable verdict "
				}
				want += tc.log
			case tc.name == "not-parent":
				want = `ERROR Import detection by extension exec_detect failed for "2025/02/21/23/1324.dat": acquisition "2025/03" is not a parent directory of the path`
			case tc.name == "wrong-file":
				want = `ERROR Import detection by extension exec_detect failed for "2025/02/21/23/1324.dat": acquisition "2025/02/21" and file "meta.txt" do not make up the path`
			}
			if l := logtest.Text(h); l != want {
				t.Errorf("logged\n%s\nwant\n%s", l, want)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	dir := t.TempDir()
	// The script's child holds the output pipe open; the run must end at
	// the timeout all the same.
	prog := script(t, dir, "slow", `sleep 600 & wait`)
	s, err := load(t, map[string]any{"command": prog, "timeout": "300ms"})
	if err != nil {
		t.Fatal(err)
	}
	h := logtest.Capture(t)
	if got, ok, err := s.Detect(context.Background(), nil, "2025/02/21/meta.txt", demoNode); ok || err != nil {
		t.Fatalf("Detect = %+v, %v, %v", got, ok, err)
	}
	want := `ERROR Import detection by extension exec_detect failed for "2025/02/21/meta.txt": ` + prog + " timed out after 300ms"
	if l := logtest.Text(h); l != want {
		t.Errorf("logged\n%s\nwant\n%s", l, want)
	}
}

func TestShutdownIsNotADetectionFailure(t *testing.T) {
	prog := script(t, t.TempDir(), "slow", `sleep 600`)
	s, err := load(t, map[string]any{"command": prog})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := logtest.Capture(t)
	if _, ok, err := s.Detect(ctx, nil, "2025/02/21/meta.txt", demoNode); ok || err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Detect after cancel = %v, %v", ok, err)
	}
	if l := logtest.Text(h); l != "" {
		t.Errorf("logged %q", l)
	}
}

func TestConfigErrors(t *testing.T) {
	prog := script(t, t.TempDir(), "prog", `echo '{"accept": false}'`)
	for _, tc := range []struct {
		name    string
		section map[string]any
		want    string
	}{
		{"no-section", nil, "extension exec_detect: no command configured (set exec_detect.command)"},
		{"empty-list", map[string]any{"command": []any{}}, "extension exec_detect: invalid config value for exec_detect.command: empty command"},
		{"empty-string", map[string]any{"command": ""}, "extension exec_detect: invalid config value for exec_detect.command: empty command"},
		{"number-arg", map[string]any{"command": []any{prog, 3}}, "extension exec_detect: invalid config value for exec_detect.command: argument 2 is not a string"},
		{"mapping", map[string]any{"command": map[string]any{}}, "extension exec_detect: invalid config value for exec_detect.command: sequence expected"},
		{"missing-program", map[string]any{"command": []any{"/nonexistent/detector"}},
			`extension exec_detect: exec_detect.command: exec: "/nonexistent/detector": stat /nonexistent/detector: no such file or directory`},
		{"bad-timeout", map[string]any{"command": prog, "timeout": "soon"}, `extension exec_detect: invalid config value for exec_detect.timeout: "soon" is not a duration`},
		{"zero-timeout", map[string]any{"command": prog, "timeout": 0}, "extension exec_detect: invalid config value for exec_detect.timeout: must be positive"},
		{"list-timeout", map[string]any{"command": prog, "timeout": []any{1}}, "extension exec_detect: invalid config value for exec_detect.timeout: duration expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(t, tc.section); err == nil || err.Error() != tc.want {
				t.Errorf("Load: %v\nwant %s", err, tc.want)
			}
		})
	}
	for _, timeout := range []any{2, 1.5, "2.5", "1m"} {
		if _, err := load(t, map[string]any{"command": prog, "timeout": timeout}); err != nil {
			t.Errorf("timeout %v: %v", timeout, err)
		}
	}
}
