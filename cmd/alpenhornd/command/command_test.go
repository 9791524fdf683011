package command

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/cli"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "alpenhorn.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDaemon(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("ALPENHORN_CONFIG_FILE", "")
	var stdout, stderr bytes.Buffer
	status := Run(append([]string{"--test-isolation"}, args...), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func TestCheckConfigValid(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	conf := writeConf(t, `
database: {url: "mysql://alpen@db/idx?connect_timeout=5", password_file: `+pw+`}
base: {hostname: alpenhost9}
daemon: {num_worker: 4, prom_client_port: 9100}
logging: {level: debug, file: {name: /tmp/alpenhornd-test.log}}
`)
	status, out, errs := runDaemon(t, "-c", conf, "--check-config")
	if status != 0 {
		t.Fatalf("status %d, stderr %s", status, errs)
	}
	for _, want := range []string{
		"# Read from: " + conf,
		"url: mysql://alpen@db/idx?connect_timeout=5",
		"password_file: " + pw,
		"prom_client_port: 9100",
		"#   daemon.num_workers: 0",
		"#   logging.stderr: false",
		"#   daemon.update_interval: 60",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(errs, "hunter2") {
		t.Errorf("the password was printed")
	}
	if !strings.Contains(errs, "unknown key daemon.num_worker ignored (did you mean daemon.num_workers?)") {
		t.Errorf("no warning for the typo: %q", errs)
	}
}

func TestCheckConfigInvalid(t *testing.T) {
	for text, want := range map[string]string{
		"database: {url: 'mysql://a:secret@db/idx?tls=true'}\n":                     `parameter "tls" is not supported`,
		"database: {url: 'sqlite:////tmp/x.db'}\ndaemon: {num_workers: many}\n":     "daemon.num_workers: integer expected",
		"database: {url: 'sqlite:////tmp/x.db'}\nlogging: {level: loud}\n":          "Log level LOUD",
		"database: {url: 'mysql://a:secret@db/idx', password_file: /nonexistent}\n": "database.password_file",
		"daemon: {num_workers: 2}\n":                                                "No database configured",
	} {
		conf := writeConf(t, text)
		status, out, errs := runDaemon(t, "-c", conf, "--check-config")
		if status != 1 || !strings.Contains(errs, want) {
			t.Errorf("%s: status %d, stderr %q, want 1 and %q", text, status, errs, want)
		}
		if out != "" || strings.Contains(errs, "secret") {
			t.Errorf("%s: stdout %q stderr %q", text, out, errs)
		}
		if want == "daemon.num_workers: integer expected" && !strings.Contains(errs, conf) {
			t.Errorf("the error does not name the file: %s", errs)
		}
	}
}

// A fatal start-up error goes to the log file too, and with a log file
// configured, nothing but that error and what preceded the file reaches
// standard error.
func TestFatalErrorInLogFile(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "alpenhornd.log")
	conf := writeConf(t, "database: {url: 'sqlite:///"+dir+"/missing/dir/index.db'}\nbase: {hostname: h}\nlogging: {file: {name: "+logFile+"}}\n")
	status, _, errs := runDaemon(t, "-c", conf, "--once")
	if status != 1 {
		t.Fatalf("status %d", status)
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, want := range []string{"Alpenhorn start.", "alpenhornd ", " on host h: data index sqlite:///", "0 workers, no metrics.", "CRITICAL >> [MainThread] "} {
		if !strings.Contains(log, want) {
			t.Errorf("log file lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(errs, "on host h: data index") {
		t.Errorf("stderr repeats the log file:\n%s", errs)
	}
	if !strings.Contains(errs, "Error: ") {
		t.Errorf("stderr lacks the fatal error:\n%s", errs)
	}
}

// Under systemd (Type=notify) the daemon says when it is ready and when it
// stops.
func TestNotifiesSystemd(t *testing.T) {
	dir := t.TempDir()
	conf := writeConf(t, "database: {url: 'sqlite:///"+dir+"/index.db'}\nbase: {hostname: h}\nlogging: {level: warning}\n")
	var out, errs bytes.Buffer
	if status := cli.Main([]string{"--test-isolation", "-c", conf, "db", "init"}, strings.NewReader(""), &out, &errs); status != 0 {
		t.Fatalf("db init: %d %s", status, errs.String())
	}
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	if status, _, errs := runDaemon(t, "-c", conf, "--once"); status != 0 {
		t.Fatalf("status %d: %s", status, errs)
	}
	var got []string
	buf := make([]byte, 1024)
	conn.SetReadDeadline(time.Now().Add(time.Second))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:n]))
	}
	want := []string{"READY=1\nSTATUS=host h, 0 workers", "STOPPING=1"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("notifications %q, want %q", got, want)
	}
}
