package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds are config files worth starting from: the settings alpenhorn
// reads, each in a valid and a broken form, and YAML's harder corners.
var fuzzSeeds = []string{
	"",
	"database:\n  url: sqlite:////data/index.db\n",
	"database:\n  url: mysql://alp:secret@db:3306/alpenhorn\nextensions:\n  - pattern_importer\n",
	"database: 5\n",
	"database:\n  url: [1, 2]\n",
	"extensions: pattern_importer\n",
	"extensions:\n  - {a: 1}\n",
	"- a\n- b\n",
	"just a string\n",
	"a: 1\n---\nb: 2\n",
	"a: [1, 2\n",
	"\t- tab\n",
	"base:\n  hostname: alpenhost\ndaemon:\n  num_workers: 4\n  update_interval: 10\n  auto_import_interval: 30\n" +
		"  auto_verify_min_days: 7\n  serial_io_timeout: 900\n  pull_timeout_base: 300\n  pull_bytes_per_second: 2e7\n" +
		"  prom_client_port: 8080\n",
	"daemon:\n  num_workers: -1\n  prom_client_port: 70000\n",
	"daemon:\n  num_workers: '2.7'\n  pull_timeout_base: .nan\n  update_interval: 0x10\n",
	"daemon:\n  serial_io_timeout: 1_000\n  auto_verify_min_days: 1:30\n  update_interval: 0b101\n",
	"daemon:\n  num_workers: 99999999999999999999\n",
	"logging:\n  level: debug\n  module_levels:\n    alpenhorn.db: warning\n    peewee: nonsense\n",
	"logging:\n  syslog:\n    enable: yes\n    address: /dev/log\n    port: 0\n    facility: local3\n    use_tcp: off\n",
	"logging:\n  syslog:\n    facility: nowhere\n",
	"logging:\n  file:\n    name: ~/alpenhornd.log\n    rotate: true\n    backup_count: 3\n    max_bytes: 1.5M\n",
	"logging:\n  file:\n    name: /x.log\n    rotate: true\n    watch: true\n",
	"logging:\n  file:\n    rotate: true\n    max_bytes: 0k\n",
	"base: &b\n  hostname: h\ndaemon:\n  <<: *b\n  num_workers: 2\n",
	"a: &a [*a]\n",
	"a: !!int nope\nb: !!float 1\nc: !!binary aGk=\nd: !custom x\n",
	"? [complex, key]\n: value\n",
	"a: &x 1\n*x : 2\n",
	"database: {url: \"\\u0000\"}\n",
	"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" +
		"a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n" +
		"a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n" +
		"a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n" +
		"a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n" +
		"a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]\n" +
		"a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]\n" +
		"a7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]\n" +
		"a8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]\n",
	strings.Repeat("[", 2000) + strings.Repeat("]", 2000),
	strings.Repeat("a:\n ", 1200) + "b\n",
}

// views reads every setting alpenhorn reads from c, rendering values and
// errors alike, so that two configs can be compared.
func views(c *Config) (vals []string, errs []error) {
	add := func(v any, err error) {
		vals = append(vals, fmt.Sprintf("%#v", v))
		errs = append(errs, err)
	}
	add(c.Database())
	add(c.DatabaseURL())
	add(c.Extensions())
	l, err := c.Logging()
	add(showLogging(l), err)
	d, err := c.Daemon()
	l, d.Logging = d.Logging, Logging{}
	add(fmt.Sprintf("%#v %s", d, showLogging(l)), err)
	return vals, errs
}

// showLogging renders l with the sections its pointers lead to.
func showLogging(l Logging) string {
	var syslog Syslog
	var file LogFile
	if l.Syslog != nil {
		syslog = *l.Syslog
	}
	if l.File != nil {
		file = *l.File
	}
	return fmt.Sprintf("%#v %#v %t %#v %t %#v", l.Level, l.ModuleLevels, l.Syslog != nil, syslog, l.File != nil, file)
}

func FuzzLoad(f *testing.F) {
	// Only the fuzzed file may be read.
	f.Setenv(EnvConfigFile, "")
	dir := f.TempDir()
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := os.CreateTemp(dir, "fuzz-*.conf")
		if err != nil {
			t.Fatal(err)
		}
		path := file.Name()
		defer os.Remove(path)
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := file.Close(); err != nil {
			t.Fatal(err)
		}

		// Every error must send the user to the file to fix.
		namesFile := func(what string, err error) {
			t.Helper()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("%s: %T %v, want a *config.Error", what, err, err)
			}
			if len(ce.Files) != 1 || ce.Files[0] != path || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Fatalf("%s: %q (files %q) does not name %s", what, err, ce.Files, path)
			}
		}

		c, err := Load(Options{TestIsolation: true, ConfFile: path}, nil)
		if err != nil {
			namesFile("Load", err)
			return
		}
		if len(c.Files) != 1 || c.Files[0] != path {
			t.Fatalf("Load read %q, want only %s", c.Files, path)
		}
		vals, errs := views(c)
		for i, err := range errs {
			if err != nil {
				namesFile(fmt.Sprintf("setting %d", i), err)
			}
		}

		// The merged map, handed back through FromMap, must be read the
		// same way: the typed getters depend only on the values.
		again, err := FromMap(c.Raw())
		if err != nil {
			t.Fatalf("FromMap(Raw()): %v", err)
		}
		vals2, errs2 := views(again)
		for i := range vals {
			if vals[i] != vals2[i] {
				t.Fatalf("setting %d: %s from the file, %s through FromMap", i, vals[i], vals2[i])
			}
			if (errs[i] == nil) != (errs2[i] == nil) {
				t.Fatalf("setting %d: error %v from the file, %v through FromMap", i, errs[i], errs2[i])
			}
			if errs[i] != nil && errs[i].(*Error).Msg != errs2[i].(*Error).Msg {
				t.Fatalf("setting %d: error %q from the file, %q through FromMap", i, errs[i].(*Error).Msg, errs2[i].(*Error).Msg)
			}
		}
	})
}
