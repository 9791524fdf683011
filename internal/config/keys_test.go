package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnknownKeysNamedWithSuggestion(t *testing.T) {
	sandbox(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "site.conf"), `
database: {url: "sqlite:////tmp/x.db"}
extensions: [pattern_importer]
pattern_importer: {anything: 1}
daemon: {num_worker: 4, update_interval: 5}
logging:
  level: info
  module_levels: {alpenhorn.db: debug}
  flie: {name: /tmp/x.log}
hostname: a
colour: blue
`)
	var log logRecorder
	if _, err := Load(Options{TestIsolation: true, ConfFile: path}, log.logf); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"WARNING config file " + path + ": unknown key colour ignored",
		"WARNING config file " + path + ": unknown key daemon.num_worker ignored (did you mean daemon.num_workers?)",
		"WARNING config file " + path + ": unknown key hostname ignored (did you mean base.hostname?)",
		"WARNING config file " + path + ": unknown key logging.flie ignored (did you mean logging.file?)",
	}
	var got []string
	for _, l := range log {
		if strings.HasPrefix(l, "WARNING") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A wrong type, or a section that is not a mapping, is an error naming
// the file and the key.
func TestWrongTypeNamesFileAndKey(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"daemon: {num_workers: four}\n", "invalid config value for daemon.num_workers: integer expected"},
		{"logging: {stderr: sometimes}\n", "invalid config value for logging.stderr: boolean expected"},
		{"daemon:\n  - num_workers: 4\n", "invalid config value for daemon: mapping expected"},
	} {
		c, path := loadYAML(t, tc.conf)
		_, err := c.Daemon()
		want := "config file " + path + ": " + tc.want
		if err == nil || err.Error() != want {
			t.Errorf("Daemon() error %v, want %s", err, want)
		}
	}
}

func TestStderrDefaultsOffWithLogFile(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want bool
	}{
		{"logging: {level: info}\n", true},
		{"logging: {file: {name: /tmp/a.log}}\n", false},
		{"logging: {stderr: true, file: {name: /tmp/a.log}}\n", true},
		{"logging: {stderr: false}\n", false},
	} {
		c, _ := loadYAML(t, tc.conf)
		l, err := c.Logging()
		if err != nil || l.Stderr != tc.want {
			t.Errorf("%q: Stderr %v (%v), want %v", tc.conf, l.Stderr, err, tc.want)
		}
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, filepath.Join(dir, "pw"), "s3cr:et@x\nignored\n")
	c, _ := loadYAML(t, "database: {url: 'mysql://alpen@db:3306/idx?ssl_ca=/ca.pem', password_file: "+pw+"}\n")
	u, err := c.DatabaseURL()
	if err != nil || u != "mysql://alpen:s3cr:et@x@db:3306/idx?ssl_ca=/ca.pem" {
		t.Errorf("DatabaseURL() = %q, %v", u, err)
	}
	if r := RedactURL(u); r != "mysql://alpen:***@db:3306/idx?ssl_ca=/ca.pem" {
		t.Errorf("RedactURL(%q) = %q", u, r)
	}

	c, path := loadYAML(t, "database: {url: 'mysql://alpen:pw@db/idx', password_file: "+pw+"}\n")
	_, err = c.DatabaseURL()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("URL with a password and a password file: %v", err)
	}
	c, _ = loadYAML(t, "database: {url: 'mysql://alpen@db/idx', password_file: "+filepath.Join(dir, "none")+"}\n")
	if _, err = c.DatabaseURL(); err == nil || !strings.Contains(err.Error(), "database.password_file") {
		t.Errorf("missing password file: %v", err)
	}
	empty := writeFile(t, filepath.Join(dir, "empty"), "\n")
	c, _ = loadYAML(t, "database: {url: 'mysql://alpen@db/idx', password_file: "+empty+"}\n")
	if _, err = c.DatabaseURL(); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Errorf("empty password file: %v", err)
	}
}

// The shipped example must be what the key list makes, and every key must
// be in it and in --help-config.
func TestExampleAndHelpCoverEveryKey(t *testing.T) {
	shipped, err := os.ReadFile("../../deploy/alpenhorn.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	if string(shipped) != Example() {
		t.Errorf("deploy/alpenhorn.conf.example is out of date: run make docs")
	}
	for _, k := range Keys {
		if !strings.Contains(HelpText, "  "+k.Path+"  [") {
			t.Errorf("--help-config lacks %s", k.Path)
		}
		last := k.Path[strings.LastIndexByte(k.Path, '.')+1:]
		if !strings.Contains(Example(), "#"+last+": ") {
			t.Errorf("example config lacks %s", k.Path)
		}
	}
	// The example, uncommented, is a config this code reads without
	// warnings.
	var lines []string
	for _, l := range strings.Split(Example(), "\n") {
		trimmed := strings.TrimLeft(l, " ")
		if strings.HasPrefix(trimmed, "#") && strings.Contains(trimmed, ": ") && !strings.HasPrefix(trimmed, "# ") {
			l = strings.Replace(l, "#", "", 1)
		}
		lines = append(lines, l)
	}
	c, _ := loadYAML(t, strings.Join(lines, "\n"))
	if w := c.Unknown(); len(w) > 0 {
		t.Errorf("the uncommented example has unknown keys: %v", w)
	}
	if _, err := c.Logging(); err == nil || !strings.Contains(err.Error(), "rotate and logging.file.watch") {
		// watch and rotate are both shown, set to false; the sample
		// is otherwise valid.
		if err != nil {
			t.Errorf("the uncommented example's logging section: %v", err)
		}
	}
}

func TestClosest(t *testing.T) {
	for in, want := range map[string]string{
		"daemon.num_worker":       "daemon.num_workers",
		"daemon.update_intervall": "daemon.update_interval",
		"logging.file.nmae":       "logging.file.name",
		"daemon.hostname":         "base.hostname",
		"zzzzzz":                  "",
	} {
		if got := closest(in); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
