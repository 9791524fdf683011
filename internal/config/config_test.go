package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// logRecorder collects what Load reports through logf.
type logRecorder []string

func (r *logRecorder) logf(level, format string, args ...any) {
	*r = append(*r, level+" "+fmt.Sprintf(format, args...))
}

// sandbox points every discovery location into a fresh directory: the two
// system paths (spelled with a variable, which Load must expand), HOME and
// ALPENHORN_CONFIG_FILE.
func sandbox(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("ALPTEST_ROOT", dir)
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv(EnvConfigFile, "")
	saved := standardPaths
	standardPaths = []string{
		"$ALPTEST_ROOT/etc/alpenhorn/alpenhorn.conf",
		"${ALPTEST_ROOT}/etc/xdg/alpenhorn/alpenhorn.conf",
		"~/.config/alpenhorn/alpenhorn.conf",
	}
	t.Cleanup(func() { standardPaths = saved })
	return dir
}

// loadYAML loads a single --conf file holding content.
func loadYAML(t *testing.T, content string) (*Config, string) {
	t.Helper()
	sandbox(t)
	path := writeFile(t, filepath.Join(t.TempDir(), "test.conf"), content)
	c, err := Load(Options{TestIsolation: true, ConfFile: path}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, path
}

func TestDiscoveryOrderAndPrecedence(t *testing.T) {
	dir := sandbox(t)
	etc := writeFile(t, filepath.Join(dir, "etc/alpenhorn/alpenhorn.conf"),
		"base: {hostname: etc}\nextensions: [e1]\ndaemon: {num_workers: 1, update_interval: 11}\n")
	xdg := writeFile(t, filepath.Join(dir, "etc/xdg/alpenhorn/alpenhorn.conf"),
		"base: {hostname: xdg}\nextensions: [e2]\ndaemon: {num_workers: 2}\n")
	home := writeFile(t, filepath.Join(dir, "home/.config/alpenhorn/alpenhorn.conf"),
		"base: {hostname: home}\nextensions: [e3]\ndaemon: {auto_verify_min_days: 3}\n")
	env := writeFile(t, filepath.Join(dir, "env.conf"), "base: {hostname: env}\nextensions: [e4]\n")
	conf := writeFile(t, filepath.Join(dir, "cli.conf"), "extensions: [e5]\ndaemon: {serial_io_timeout: 5}\n")
	t.Setenv(EnvConfigFile, env)

	tests := []struct {
		name      string
		opts      Options
		files     []string
		logged    []string
		hostname  string
		exts      []string
		workers   int
		interval  int
		verifyMin int
		serialIO  int
	}{
		{
			name:  "all five",
			opts:  Options{ConfFile: conf},
			files: []string{etc, xdg, home, env, conf},
			logged: []string{
				"INFO Loading config file $ALPTEST_ROOT/etc/alpenhorn/alpenhorn.conf",
				"INFO Loading config file ${ALPTEST_ROOT}/etc/xdg/alpenhorn/alpenhorn.conf",
				"INFO Loading config file ~/.config/alpenhorn/alpenhorn.conf",
				"INFO Loading config file " + env,
				"INFO Loading config file " + conf,
			},
			hostname: "env", exts: []string{"e1", "e2", "e3", "e4", "e5"},
			workers: 2, interval: 11, verifyMin: 3, serialIO: 5,
		},
		{
			name:     "test isolation skips the standard paths",
			opts:     Options{TestIsolation: true, ConfFile: conf},
			files:    []string{env, conf},
			logged:   []string{"INFO Loading config file " + env, "INFO Loading config file " + conf},
			hostname: "env", exts: []string{"e4", "e5"},
			workers: DefaultNumWorkers, interval: DefaultUpdateInterval,
			verifyMin: DefaultAutoVerifyMinDays, serialIO: 5,
		},
		{
			name:     "without --conf",
			opts:     Options{},
			files:    []string{etc, xdg, home, env},
			logged:   nil, // checked by length below
			hostname: "env", exts: []string{"e1", "e2", "e3", "e4"},
			workers: 2, interval: 11, verifyMin: 3, serialIO: DefaultSerialIOTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec logRecorder
			c, err := Load(tt.opts, rec.logf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Files, tt.files) {
				t.Errorf("Files = %q, want %q", c.Files, tt.files)
			}
			if tt.logged != nil && !reflect.DeepEqual([]string(rec), tt.logged) {
				t.Errorf("logged %q, want %q", rec, tt.logged)
			}
			if len(rec) != len(tt.files) {
				t.Errorf("logged %d lines for %d files: %q", len(rec), len(tt.files), rec)
			}
			d, err := c.Daemon()
			if err != nil {
				t.Fatal(err)
			}
			if d.Hostname != tt.hostname {
				t.Errorf("hostname %q, want %q", d.Hostname, tt.hostname)
			}
			if !reflect.DeepEqual(d.Extensions, tt.exts) {
				t.Errorf("extensions %q, want %q", d.Extensions, tt.exts)
			}
			got := []int{d.NumWorkers, d.UpdateInterval, d.AutoVerifyMinDays, d.SerialIOTimeout}
			want := []int{tt.workers, tt.interval, tt.verifyMin, tt.serialIO}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("workers/interval/verify/serial = %v, want %v", got, want)
			}
		})
	}
}

func TestMissingFiles(t *testing.T) {
	dir := sandbox(t)
	missingEnv := filepath.Join(dir, "nope", "env.conf")
	missingConf := filepath.Join(dir, "nope", "cli.conf")
	t.Setenv(EnvConfigFile, missingEnv)

	var rec logRecorder
	_, err := Load(Options{ConfFile: missingConf}, rec.logf)
	if err == nil || err.Error() != "No configuration files available.  See --help-config for more details." {
		t.Fatalf("error %v", err)
	}
	if !errors.Is(err, ErrNoConfig) {
		t.Errorf("error is not ErrNoConfig")
	}
	want := logRecorder{
		"WARNING Config file " + missingEnv + " defined by ALPENHORN_CONFIG_FILE not found.",
		"WARNING Config file " + missingConf + " defined on command line not found.",
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("logged %q, want %q", rec, want)
	}

	// The warning names the absolute path even if the variable is relative.
	t.Chdir(dir)
	t.Setenv(EnvConfigFile, "rel.conf")
	rec = nil
	if _, err := Load(Options{TestIsolation: true}, rec.logf); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("error %v", err)
	}
	if len(rec) != 1 || rec[0] != "WARNING Config file "+filepath.Join(dir, "rel.conf")+" defined by ALPENHORN_CONFIG_FILE not found." {
		t.Errorf("logged %q", rec)
	}

	// An empty file is a config file found.
	empty := writeFile(t, filepath.Join(dir, "empty.conf"), "# nothing here\n")
	c, err := Load(Options{TestIsolation: true, ConfFile: empty}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Raw()) != 0 || !reflect.DeepEqual(c.Files, []string{empty}) {
		t.Errorf("empty file gave %v from %v", c.Raw(), c.Files)
	}
}

func TestNoFilesAtAll(t *testing.T) {
	sandbox(t)
	var rec logRecorder
	_, err := Load(Options{}, rec.logf)
	if !errors.Is(err, ErrNoConfig) {
		t.Fatalf("error %v", err)
	}
	if len(rec) != 0 {
		t.Errorf("standard paths must be skipped silently, logged %q", rec)
	}
}

func TestMerge(t *testing.T) {
	dir := sandbox(t)
	a := writeFile(t, filepath.Join(dir, "a.conf"), `
database: {url: "sqlite:///a.db", options: {timeout: 5, keep: yes}}
extensions: [x, y]
logging:
  level: debug
  module_levels: {alpenhorn.db: info}
daemon: {num_workers: [1], update_interval: 5}
only_a: 1
`)
	b := writeFile(t, filepath.Join(dir, "b.conf"), `
database: {url: "sqlite:///b.db", options: {timeout: 7}}
extensions: [y, z]
logging:
  module_levels: {peewee: warning}
daemon: {num_workers: 3, update_interval: [5]}
only_b: two
`)
	t.Setenv(EnvConfigFile, a)
	c, err := Load(Options{TestIsolation: true, ConfFile: b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"database":   map[string]any{"url": "sqlite:///b.db", "options": map[string]any{"timeout": 7, "keep": true}},
		"extensions": []any{"x", "y", "y", "z"},
		"logging": map[string]any{
			"level":         "debug",
			"module_levels": map[string]any{"alpenhorn.db": "info", "peewee": "warning"},
		},
		"daemon": map[string]any{"num_workers": 3, "update_interval": []any{5}},
		"only_a": 1,
		"only_b": "two",
	}
	if got := c.Raw(); !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%#v\nwant\n%#v", got, want)
	}
	// A list replacing a scalar is blamed on its own file only.
	_, err = c.Daemon()
	if err == nil || err.Error() != "config file "+b+": invalid config value for daemon.update_interval: scalar expected" {
		t.Errorf("error %v", err)
	}
	// Raw is a copy.
	c.Raw()["only_a"] = 2
	if c.Raw()["only_a"] != 1 {
		t.Error("Raw returned the config itself")
	}
}

func TestErrorNamesEveryContributingFile(t *testing.T) {
	dir := sandbox(t)
	a := writeFile(t, filepath.Join(dir, "a.conf"), "extensions: [good]\n")
	b := writeFile(t, filepath.Join(dir, "b.conf"), "extensions: [7]\n")
	t.Setenv(EnvConfigFile, a)
	c, err := Load(Options{TestIsolation: true, ConfFile: b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Extensions()
	want := "config files " + a + ", " + b + ": invalid config value for extensions[1]: string expected"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	var cerr *Error
	if !errors.As(err, &cerr) || !reflect.DeepEqual(cerr.Files, []string{a, b}) {
		t.Errorf("Error.Files wrong: %#v", err)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"syntax", "daemon: {num_workers: 2\n", "yaml: line 1: did not find expected ',' or '}'"},
		{"tab indent", "daemon:\n\tnum_workers: 2\n", "yaml: line 2: found character that cannot start any token"},
		{"two documents", "a: 1\n---\nb: 2\n", "yaml: line 2: expected a single document in the stream"},
		{"top-level list", "- a\n- b\n", "the file must hold a YAML mapping (key: value pairs)"},
		{"top-level scalar", "hello\n", "the file must hold a YAML mapping (key: value pairs)"},
		{"unknown tag", "a: !!python/object foo\n", "yaml: line 1: unsupported tag !!python/object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox(t)
			path := writeFile(t, filepath.Join(t.TempDir(), "bad.conf"), tt.content)
			_, err := Load(Options{TestIsolation: true, ConfFile: path}, nil)
			want := "config file " + path + ": " + tt.want
			if err == nil || err.Error() != want {
				t.Errorf("error %v\nwant %s", err, want)
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		sandbox(t)
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "a.conf"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Load(Options{TestIsolation: true, ConfFile: filepath.Join(dir, "a.conf")}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "config file "+filepath.Join(dir, "a.conf")+": ") {
			t.Errorf("error %v", err)
		}
	})
}

func TestDefaults(t *testing.T) {
	c, _ := loadYAML(t, "database: {url: 'mysql://root@alpendb/alpenhorn_db'}\n")
	d, err := c.Daemon()
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	want := Daemon{
		Hostname:            host,
		Database:            map[string]any{"url": "mysql://root@alpendb/alpenhorn_db"},
		Extensions:          []string{},
		NumWorkers:          0,
		UpdateInterval:      60,
		AutoImportInterval:  30,
		AutoVerifyMinDays:   7,
		SerialIOTimeout:     900,
		PullTimeoutBase:     300,
		PullBytesPerSecond:  20000000,
		SSHShareConnections: true,
		WakeOnRequests:      false,
		PromClientPort:      0,
		PromClientAddress:   "127.0.0.1",
		Logging:             Logging{Level: "INFO", ModuleLevels: map[string]string{}, Stderr: true},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Daemon()\n%#v\nwant\n%#v", d, want)
	}
	url, err := c.DatabaseURL()
	if err != nil || url != "mysql://root@alpendb/alpenhorn_db" {
		t.Errorf("DatabaseURL = %q, %v", url, err)
	}
}

func TestDaemonValues(t *testing.T) {
	home := t.TempDir()
	c, _ := loadYAML(t, `
base: {hostname: alpenhost1}
extensions: [pattern_importer]
daemon:
  num_workers: "2"
  update_interval: 10.9
  auto_import_interval: true
  auto_verify_min_days: 0
  serial_io_timeout: 1_000
  pull_timeout_base: "12.5"
  pull_bytes_per_second: 0
  ssh_share_connections: no
  wake_on_requests: true
  prom_client_port: 8080
logging:
  level: warning
  module_levels: {alpenhorn.db: Debug, peewee: error}
  syslog: {address: /dev/log, port: 0, facility: LOCAL3}
  file: {name: ~/alpenhornd.log, rotate: on, backup_count: 3, max_bytes: 1.5k}
`)
	t.Setenv("HOME", home)
	d, err := c.Daemon()
	if err != nil {
		t.Fatal(err)
	}
	want := Daemon{
		Hostname:           "alpenhost1",
		Database:           map[string]any{},
		Extensions:         []string{"pattern_importer"},
		NumWorkers:         2,
		UpdateInterval:     10,
		AutoImportInterval: 1,
		AutoVerifyMinDays:  0,
		SerialIOTimeout:    1000,
		PullTimeoutBase:    12.5,
		PullBytesPerSecond: 0,
		WakeOnRequests:     true,
		PromClientPort:     8080,
		PromClientAddress:  "127.0.0.1",
		Logging: Logging{
			Level:        "WARNING",
			ModuleLevels: map[string]string{"alpenhorn.db": "DEBUG", "peewee": "ERROR"},
			Syslog:       &Syslog{Address: "/dev/log", Port: 0, Facility: "local3", FacilityCode: 19},
			File:         &LogFile{Name: filepath.Join(home, "alpenhornd.log"), Rotate: true, BackupCount: 3, MaxBytes: 1536},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Daemon()\n%#v\nwant\n%#v", d, want)
	}
}

func TestLoggingSections(t *testing.T) {
	tests := []struct {
		name    string
		content string
		syslog  *Syslog
		file    *LogFile
	}{
		{"absent", "logging: {level: info}\n", nil, nil},
		{"empty sections", "logging: {syslog: {}, file: {}}\n", nil, nil},
		{"syslog defaults", "logging: {syslog: {enable: true}}\n",
			&Syslog{Address: "localhost", Port: 514, Facility: "user", FacilityCode: 1}, nil},
		{"syslog disabled", "logging: {syslog: {enable: false, facility: bogus}}\n", nil, nil},
		{"syslog tcp", "logging: {syslog: {address: loghost, port: 601, use_tcp: true, facility: daemon}}\n",
			&Syslog{Address: "loghost", Port: 601, Facility: "daemon", FacilityCode: 3, UseTCP: true}, nil},
		{"plain file", "logging: {file: {name: /var/log/a.log}}\n", nil,
			&LogFile{Name: "/var/log/a.log"}},
		{"watched file, rotation keys ignored", "logging: {file: {name: a.log, watch: true, max_bytes: junk}}\n", nil,
			&LogFile{Name: "a.log", Watch: true}},
		{"rotated file defaults", "logging: {file: {name: a.log, rotate: true}}\n", nil,
			&LogFile{Name: "a.log", Rotate: true, BackupCount: 10, MaxBytes: 4 << 20}},
		{"logging not a mapping", "logging: 5\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := loadYAML(t, tt.content)
			l, err := c.Logging()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.Syslog, tt.syslog) {
				t.Errorf("syslog %#v, want %#v", l.Syslog, tt.syslog)
			}
			if !reflect.DeepEqual(l.File, tt.file) {
				t.Errorf("file %#v, want %#v", l.File, tt.file)
			}
		})
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		content string
		want    string
	}{
		{"daemon: {num_workers: abc}", "invalid config value for daemon.num_workers: integer expected"},
		{"daemon: {num_workers: '2.7'}", "invalid config value for daemon.num_workers: integer expected"},
		{"daemon: {num_workers: '0x10'}", "invalid config value for daemon.num_workers: integer expected"},
		{"daemon: {num_workers: }", "invalid config value for daemon.num_workers: integer expected"},
		{"daemon: {num_workers: [1]}", "invalid config value for daemon.num_workers: scalar expected"},
		{"daemon: {num_workers: -1}", `config parameter "daemon.num_workers" too small: -1 < 0`},
		{"daemon: {update_interval: -0.5}", ""},
		{"daemon: {update_interval: -1.5}", `config parameter "daemon.update_interval" too small: -1 < 0`},
		{"daemon: {auto_import_interval: 0}", `config parameter "daemon.auto_import_interval" too small: 0 < 1`},
		{"daemon: {auto_verify_min_days: {a: 1}}", "invalid config value for daemon.auto_verify_min_days: scalar expected"},
		{"daemon: {serial_io_timeout: -5}", `config parameter "daemon.serial_io_timeout" too small: -5 < 0`},
		{"daemon: {pull_timeout_base: fast}", "invalid config value for daemon.pull_timeout_base: float expected"},
		{"daemon: {pull_bytes_per_second: [1]}", "invalid config value for daemon.pull_bytes_per_second: scalar expected"},
		{"daemon: {pull_bytes_per_second: }", "invalid config value for daemon.pull_bytes_per_second: float expected"},
		{"daemon: {prom_client_port: 0}", `config parameter "daemon.prom_client_port" too small: 0 < 1`},
		{"daemon: {prom_client_port: 65536}", `config parameter "daemon.prom_client_port" too large: 65536 > 65535`},
		{"daemon: {prom_client_port: }", "invalid config value for daemon.prom_client_port: integer expected"},
		{"base: {hostname: [a]}", "invalid config value for base.hostname: scalar expected"},
		{"base: {hostname: }", "invalid config value for base.hostname: string expected"},
		{"database: mysql://u@h/db", "invalid config value for database: mapping expected"},
		{"database: ", "invalid config value for database: mapping expected"},
		{"extensions: pattern_importer", "invalid config value for extensions: sequence expected"},
		{"extensions: [a, {b: c}]", "invalid config value for extensions[1]: string expected"},
		{"logging: {level: verbose}", "Log level VERBOSE defined by logging.level is not valid"},
		{"logging: {level: warn}", "Log level WARN defined by logging.level is not valid"},
		{"logging: {level: [info]}", "invalid config value for logging.level: scalar expected"},
		{"logging: {module_levels: [a]}", "invalid config value for logging.module_levels: mapping expected"},
		{"logging: {module_levels: {alpenhorn.db: loud}}", "Log level LOUD defined by logging.module_levels.alpenhorn.db is not valid"},
		{"logging: {module_levels: {peewee: {a: 1}}}", "invalid config value for logging.module_levels.peewee: scalar expected"},
		{"logging: {syslog: }", "invalid config value for logging.syslog: mapping expected"},
		{"logging: {syslog: [a]}", "invalid config value for logging.syslog: mapping expected"},
		{"logging: {syslog: {enable: 1}}", "invalid config value for logging.syslog.enable: boolean expected"},
		{"logging: {syslog: {enable: 'yes'}}", "invalid config value for logging.syslog.enable: boolean expected"},
		{"logging: {syslog: {address: [a]}}", "invalid config value for logging.syslog.address: scalar expected"},
		{"logging: {syslog: {port: -1}}", `config parameter "logging.syslog.port" too small: -1 < 0`},
		{"logging: {syslog: {port: 70000}}", `config parameter "logging.syslog.port" too large: 70000 > 65535`},
		{"logging: {syslog: {use_tcp: maybe}}", "invalid config value for logging.syslog.use_tcp: boolean expected"},
		{"logging: {syslog: {facility: bogus}}", "unknown facility bogus in logging.syslog.facility"},
		{"logging: {syslog: {facility: LOCAL8}}", "unknown facility local8 in logging.syslog.facility"},
		{"logging: {file: }", "invalid config value for logging.file: mapping expected"},
		{"logging: {file: {watch: true}}", "missing config value: logging.file.name"},
		{"logging: {file: {name: [a]}}", "invalid config value for logging.file.name: scalar expected"},
		{"logging: {file: {name: a, watch: 0}}", "invalid config value for logging.file.watch: boolean expected"},
		{"logging: {file: {name: a, rotate: 'true'}}", "invalid config value for logging.file.rotate: boolean expected"},
		{"logging: {file: {name: a, watch: true, rotate: true}}", "logging.file.rotate and logging.file.watch both true in config"},
		{"logging: {file: {name: a, rotate: true, backup_count: 0}}", `config parameter "logging.file.backup_count" too small: 0 < 1`},
		{"logging: {file: {name: a, rotate: true, backup_count: x}}", "invalid config value for logging.file.backup_count: integer expected"},
		{"logging: {file: {name: a, rotate: true, max_bytes: 0}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: 0.5}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: -1k}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: 4m}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: M}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: }}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: .inf}}", `invalid value for "logging.file.max_bytes"`},
		{"logging: {file: {name: a, rotate: true, max_bytes: [1]}}", "invalid config value for logging.file.max_bytes: scalar expected"},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			c, path := loadYAML(t, tt.content+"\n")
			_, err := c.Daemon()
			if tt.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			want := "config file " + path + ": " + tt.want
			if err == nil || err.Error() != want {
				t.Errorf("error %v\nwant  %s", err, want)
			}
		})
	}
}

func TestByteSizes(t *testing.T) {
	tests := []struct {
		value string
		want  int64
	}{
		{"4M", 4 << 20},
		{"1.5k", 1536},
		{"2G", 2 << 30},
		{"1000", 1000},
		{"'1000'", 1000},
		{"1.9", 1},
		{"1e3k", 1024000},
		{"' 2 M'", 2 << 20},
		{"1_024", 1024},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, _ := loadYAML(t, "logging: {file: {name: a, rotate: true, max_bytes: "+tt.value+"}}\n")
			l, err := c.Logging()
			if err != nil {
				t.Fatal(err)
			}
			if l.File.MaxBytes != tt.want {
				t.Errorf("max_bytes %s = %d, want %d", tt.value, l.File.MaxBytes, tt.want)
			}
		})
	}
}

func TestDatabaseAndExtensions(t *testing.T) {
	tests := []struct {
		content string
		url     string
		db      map[string]any
		exts    []string
		urlErr  string
	}{
		{"{}", "", map[string]any{}, []string{}, ""},
		{"database: {}\nextensions: []", "", map[string]any{}, []string{}, ""},
		{"database: {url: 'sqlite:///x.db', pool: 3}\nextensions: [a, b]", "sqlite:///x.db",
			map[string]any{"url": "sqlite:///x.db", "pool": 3}, []string{"a", "b"}, ""},
		{"database: {url: 5}", "", map[string]any{"url": 5}, []string{}, "invalid config value for database.url: string expected"},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			c, path := loadYAML(t, tt.content+"\n")
			url, err := c.DatabaseURL()
			if tt.urlErr != "" {
				if err == nil || err.Error() != "config file "+path+": "+tt.urlErr {
					t.Errorf("DatabaseURL error %v", err)
				}
			} else if err != nil || url != tt.url {
				t.Errorf("DatabaseURL = %q, %v", url, err)
			}
			db, err := c.Database()
			if err != nil || !reflect.DeepEqual(db, tt.db) {
				t.Errorf("Database = %v, %v", db, err)
			}
			exts, err := c.Extensions()
			if err != nil || !reflect.DeepEqual(exts, tt.exts) {
				t.Errorf("Extensions = %q, %v", exts, err)
			}
		})
	}
}

func TestPasswordsNeverPrinted(t *testing.T) {
	if got := MaskPassword("Unable to connect: mysql://alp:s3cr:et@db:3306/x and postgres://u:p@h/d"); got != "Unable to connect: mysql://alp:***@db:3306/x and postgres://u:***@h/d" {
		t.Errorf("MaskPassword gave %q", got)
	}
	if got := MaskPassword("mysql://root@alpendb/alpenhorn_db"); got != "mysql://root@alpendb/alpenhorn_db" {
		t.Errorf("MaskPassword changed a URL without password: %q", got)
	}
	err := &Error{Files: []string{"/etc/alpenhorn/alpenhorn.conf"}, Msg: "cannot use mysql://alp:hunter2@db/x"}
	if got := err.Error(); got != "config file /etc/alpenhorn/alpenhorn.conf: cannot use mysql://alp:***@db/x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestFromMap(t *testing.T) {
	c, err := FromMap(map[string]any{
		"base":       map[string]string{"hostname": "alpenhost2"},
		"extensions": []string{"pattern_importer"},
		"daemon":     map[string]any{"num_workers": int64(2), "pull_timeout_base": float32(1.5), "prom_client_port": uint16(9000)},
		"logging":    map[string]any{"module_levels": map[string]any{"peewee": "info"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Daemon()
	if err != nil {
		t.Fatal(err)
	}
	if d.Hostname != "alpenhost2" || d.NumWorkers != 2 || d.PullTimeoutBase != 1.5 || d.PromClientPort != 9000 ||
		!reflect.DeepEqual(d.Extensions, []string{"pattern_importer"}) || d.Logging.ModuleLevels["peewee"] != "INFO" {
		t.Errorf("Daemon() = %#v", d)
	}
	if len(c.Files) != 0 {
		t.Errorf("Files = %q", c.Files)
	}
	// Errors carry no file prefix.
	c, err = FromMap(map[string]any{"daemon": map[string]any{"num_workers": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Daemon(); err == nil || err.Error() != "invalid config value for daemon.num_workers: integer expected" {
		t.Errorf("error %v", err)
	}
	if _, err := FromMap(map[string]any{"daemon": map[string]any{"x": struct{}{}}}); err == nil ||
		err.Error() != "config value daemon.x: unsupported type struct {}" {
		t.Errorf("error %v", err)
	}
	if _, err := FromMap(map[string]any{"a": map[int]any{1: 2}}); err == nil {
		t.Error("non-string keys accepted")
	}
}

// YAML 1.1 plain scalars keep their meaning.
func TestYAMLScalars(t *testing.T) {
	doc := `
bools: [yes, No, TRUE, off, On, y, n]
quoted: ['yes', "on", '5']
ints: [0, -12, +7, 1_000, 0755, 0b101, 0x1F, 1:30, 08]
floats: [1.5, -.5, .5, 1.e+2, 6.8523015e+5, 190:20:30.15, .inf, -.Inf]
nulls: [~, null, NULL]
empty:
strings: [1e3, abc, 2025-02-21, 12ab]
tagged: [!!str 12, !!float 3, !!int "42"]
base: &base {a: 1, b: 2}
merged: {<<: *base, b: 3}
multi: {<<: [{x: 1}, {x: 2, y: 2}], z: 0}
alias: *base
`
	v, err := parseYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	want := map[string]any{
		"bools":   []any{true, false, true, false, true, "y", "n"},
		"quoted":  []any{"yes", "on", "5"},
		"ints":    []any{0, -12, 7, 1000, 493, 5, 31, 90, "08"},
		"floats":  []any{1.5, "-.5", 0.5, 100.0, 685230.15, 685230.15, math.Inf(1), math.Inf(-1)},
		"nulls":   []any{nil, nil, nil},
		"empty":   nil,
		"strings": []any{"1e3", "abc", "2025-02-21", "12ab"},
		"tagged":  []any{"12", 3.0, 42},
		"base":    map[string]any{"a": 1, "b": 2},
		"merged":  map[string]any{"a": 1, "b": 3},
		"multi":   map[string]any{"x": 1, "y": 2, "z": 0},
		"alias":   map[string]any{"a": 1, "b": 2},
	}
	for k, w := range want {
		if !reflect.DeepEqual(m[k], w) {
			t.Errorf("%s = %#v, want %#v", k, m[k], w)
		}
	}
	if _, ok := m["empty"]; !ok {
		t.Error("key with empty value missing")
	}
	nan, err := parseYAML([]byte("x: .NaN\n"))
	if err != nil || !math.IsNaN(nan.(map[string]any)["x"].(float64)) {
		t.Errorf(".NaN gave %v, %v", nan, err)
	}
	if _, err := parseYAML([]byte("x: 99999999999999999999\n")); err == nil {
		t.Error("out-of-range integer accepted")
	}
}

func TestCoercions(t *testing.T) {
	ints := []struct {
		in   any
		want int
		ok   bool
	}{
		{" 12 ", 12, true}, {"+3", 3, true}, {"1_000", 1000, true}, {"007", 7, true},
		{2.7, 2, true}, {-2.7, -2, true}, {true, 1, true}, {false, 0, true},
		{"2.7", 0, false}, {"0x10", 0, false}, {"1e3", 0, false}, {"_1", 0, false},
		{"", 0, false}, {nil, 0, false}, {math.NaN(), 0, false}, {math.Inf(1), 0, false},
	}
	for _, tt := range ints {
		got, err := toInt(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("toInt(%#v) = %d, %v", tt.in, got, err)
		}
	}
	floats := []struct {
		in   any
		want float64
		ok   bool
	}{
		{" 1.5 ", 1.5, true}, {"1e3", 1000, true}, {"1_0.5", 10.5, true}, {".5", 0.5, true},
		{"5.", 5, true}, {"-Infinity", math.Inf(-1), true}, {"1e999", math.Inf(1), true},
		{3, 3, true}, {true, 1, true},
		{"abc", 0, false}, {"0x1p3", 0, false}, {"1__0", 0, false}, {nil, 0, false}, {"", 0, false},
	}
	for _, tt := range floats {
		got, err := toFloat(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("toFloat(%#v) = %v, %v", tt.in, got, err)
		}
	}
	strs := []struct {
		in   any
		want string
	}{
		{"a", "a"}, {true, "True"}, {false, "False"}, {12, "12"},
		{1.0, "1.0"}, {1.5, "1.5"}, {1e16, "1e+16"}, {1.5e-5, "1.5e-05"}, {0.0001, "0.0001"},
		{123456789012345678.0, "1.2345678901234568e+17"}, {math.Copysign(0, -1), "-0.0"},
		{math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
	}
	for _, tt := range strs {
		got, err := toString(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("toString(%#v) = %q, %v", tt.in, got, err)
		}
	}
	if _, err := toString(nil); err == nil {
		t.Error("toString(nil) accepted")
	}
}

func TestExpandPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("ALPTEST_DIR", "/srv/conf")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"~/a.conf", filepath.Join(home, "a.conf")},
		{"~", home},
		{"$ALPTEST_DIR/a.conf", "/srv/conf/a.conf"},
		{"${ALPTEST_DIR}/../b.conf", "/srv/b.conf"},
		{"$ALPTEST_UNSET_VARIABLE/a.conf", filepath.Join(cwd, "$ALPTEST_UNSET_VARIABLE/a.conf")},
		{"rel/a.conf", filepath.Join(cwd, "rel/a.conf")},
		{"/etc//alpenhorn/./alpenhorn.conf", "/etc/alpenhorn/alpenhorn.conf"},
	}
	for _, tt := range tests {
		got, err := expandPath(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("expandPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestHelpConfigContent(t *testing.T) {
	for _, s := range []string{
		"/etc/alpenhorn/alpenhorn.conf", "/etc/xdg/alpenhorn/alpenhorn.conf",
		"~/.config/alpenhorn/alpenhorn.conf", "ALPENHORN_CONFIG_FILE", `"--conf"`,
		"database:\n    url: mysql://user:passwd@hostname:port/my_database", "extensions:",
	} {
		if !strings.Contains(HelpText, s) {
			t.Errorf("--help-config text lacks %q", s)
		}
	}
}
