package config

import (
	"fmt"
	"strings"
)

func init() { HelpText += KeysHelp() }

// Key describes one configuration key: the single list that the unknown-key
// check, --help-config, --check-config and the shipped example config are
// all made from, so that none of them can forget a key.
type Key struct {
	// Path is the dotted key, e.g. "daemon.num_workers".
	Path string
	// Type is what the value must be, in words.
	Type string
	// Default is the value used when the key is absent, as written in YAML
	// ("" when the key has no default).
	Default string
	// Help says what the key does, in one or more sentences.
	Help string
	// Example is written into the example config instead of Default.
	Example string
}

// Sections are the mappings that hold keys, with what each is for.
var Sections = []struct{ Path, Help string }{
	{"database", "How to reach the data index. Read by alpenhorn and alpenhornd."},
	{"extensions", "Extensions to load, by name. A top-level section named like an extension configures it."},
	{"base", "Settings of this host."},
	{"daemon", "alpenhornd's settings. The alpenhorn CLI ignores them."},
	{"logging", "alpenhornd's log output. The alpenhorn CLI logs to standard error only, at the level set by -q/-v."},
	{"logging.module_levels", "Levels of single loggers, by logger name, overriding logging.level for them."},
	{"logging.syslog", "Sending log records to syslog as well. Present and not disabled = on."},
	{"logging.file", "Writing log records to a file. Present = on; name is then required."},
}

// Keys lists every key alpenhorn reads, in the order of the example config.
var Keys = []Key{
	{Path: "database.url", Type: "string (URL)", Example: "mysql://alpenhorn@db.example.org:3306/alpenhorn?ssl_ca=/etc/alpenhorn/db-ca.pem",
		Help: "The data index. mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS] for MariaDB/MySQL " +
			"(port 3306 by default), sqlite:////ABSOLUTE/PATH.db for an SQLite file on one machine. " +
			"MariaDB parameters, spelled as PyMySQL spells them so that a Python host can share the file: " +
			"unix_socket=PATH; connect_timeout, read_timeout, write_timeout=SECONDS; " +
			"ssl_ca, ssl_cert, ssl_key=PATH (ssl_ca turns TLS on and checks the server against that CA); " +
			"ssl_verify_cert=false (encrypt without checking the certificate); " +
			"ssl_verify_identity=false (check the CA but not the host name); ssl_disabled=true. " +
			"Any other parameter is refused by name. Passwords in URLs are never printed."},
	{Path: "database.password_file", Type: "string (path)", Example: "/etc/alpenhorn/db-password",
		Help: "A file holding the database password (its first line), used when database.url has no password. " +
			"Keeps the password out of a config file that must be world-readable. alpenhorn-go only; " +
			"Python alpenhorn ignores it."},
	{Path: "database.wait_limit", Type: "number (seconds)", Default: "60",
		Help: "How long a command waits for a data index that is unreachable (every host of database.url) or locked before it gives up with an error."},
	{Path: "extensions", Type: "list of strings", Default: "[]", Example: "[pattern_importer]",
		Help: "Names of the extensions to load, in order (those compiled into this build: pattern_importer, exec_detect). " +
			"A database extension, if listed, replaces database.url."},
	{Path: "base.hostname", Type: "string", Default: "(system host name up to the first dot)", Example: "alpenhost1",
		Help: "The name of this host as the data index knows it: alpenhornd manages the nodes whose host equals it, " +
			"and labels its metrics with it."},
	{Path: "daemon.num_workers", Type: "integer >= 0", Default: "0",
		Help: "Worker threads for I/O tasks (imports, transfers, checks, deletions). 0 runs every task in the " +
			"main loop, one at a time."},
	{Path: "daemon.update_interval", Type: "integer >= 0 (seconds)", Default: "60",
		Help: "The least time between the starts of two passes of the main loop over the data index."},
	{Path: "daemon.auto_import_interval", Type: "integer >= 1 (seconds)", Default: "30",
		Help: "How often node roots are polled for new files where they cannot be watched (auto_import nodes)."},
	{Path: "daemon.auto_verify_min_days", Type: "integer >= 0 (days)", Default: "7",
		Help: "Auto-verification re-checks no file copy verified fewer days ago than this."},
	{Path: "daemon.serial_io_timeout", Type: "integer >= 0 (seconds)", Default: "900",
		Help: "With num_workers: 0, how long the main loop may spend running queued tasks in one pass."},
	{Path: "daemon.pull_timeout_base", Type: "number (seconds)", Default: "300",
		Help: "A transfer may run this long plus its size divided by pull_bytes_per_second before it is killed."},
	{Path: "daemon.pull_bytes_per_second", Type: "number", Default: "20000000",
		Help: "The slowest transfer rate expected; 0 turns transfer time-outs off."},
	{Path: "daemon.ssh_share_connections", Type: "boolean", Default: "true",
		Help: "Let the remote pulls from one host share one ssh connection (ssh's ControlMaster), kept open " +
			"for 5 minutes after the last one, instead of logging in for each. alpenhorn-go only."},
	{Path: "daemon.wake_on_requests", Type: "boolean", Default: "false",
		Help: "Between passes, look for new copy and import requests for this host's groups and nodes four times " +
			"a second (a read of the request tables' newest ids), and start the next pass as soon as one is found, " +
			"instead of waiting for the rest of update_interval. A pass started so is never closer to the previous " +
			"one than ten times that pass's duration. Costs an idle daemon about 0.3 % of a core. alpenhorn-go only."},
	{Path: "daemon.prom_client_port", Type: "integer 1..65535", Default: "(none: no metrics)", Example: "9100",
		Help: "Serve Prometheus metrics over HTTP at /metrics on this port."},
	{Path: "daemon.prom_client_address", Type: "string (address)", Default: "127.0.0.1", Example: "0.0.0.0",
		Help: "The address the metrics exporter listens on, with daemon.prom_client_port; loopback unless Prometheus scrapes from another host."},
	{Path: "logging.level", Type: "DEBUG, INFO, WARNING, ERROR or CRITICAL", Default: "INFO",
		Help: "The least severe records logged."},
	{Path: "logging.stderr", Type: "boolean", Default: "(true, false when logging.file is set)", Example: "false",
		Help: "Whether log records also go to standard error. With a log file, standard error then carries only " +
			"what the file cannot: records from before the file was opened and fatal errors. alpenhorn-go only."},
	{Path: "logging.module_levels", Type: "mapping of logger name to level", Default: "{}", Example: "{alpenhorn.db: WARNING}",
		Help: "Levels for single loggers (alpenhorn.db, alpenhorn.daemon, alpenhorn.io, ...); a name covers the names below it."},
	{Path: "logging.syslog.enable", Type: "boolean", Default: "true",
		Help: "Set to false to keep the section but turn syslog off."},
	{Path: "logging.syslog.address", Type: "string", Default: "localhost",
		Help: "The syslog server's host name, or a Unix socket path (e.g. /dev/log) with port 0."},
	{Path: "logging.syslog.port", Type: "integer 0..65535", Default: "514",
		Help: "The syslog server's port; 0 means address is a Unix socket."},
	{Path: "logging.syslog.facility", Type: "string", Default: "user",
		Help: "The syslog facility: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, " +
			"ntp, security, console, solaris-cron, local0 .. local7."},
	{Path: "logging.syslog.use_tcp", Type: "boolean", Default: "false",
		Help: "Send over TCP instead of UDP (not for Unix sockets)."},
	{Path: "logging.file.name", Type: "string (path)", Default: "(required in the section)", Example: "/var/log/alpenhorn/alpenhornd.log",
		Help: "The log file; ~ is expanded. It is created if missing and appended to."},
	{Path: "logging.file.watch", Type: "boolean", Default: "false",
		Help: "Reopen the file when something else (logrotate) has moved it away. Not with rotate."},
	{Path: "logging.file.rotate", Type: "boolean", Default: "false",
		Help: "Let alpenhornd rotate the file itself, by size. Not with watch."},
	{Path: "logging.file.backup_count", Type: "integer >= 1", Default: "10",
		Help: "With rotate: how many old files (NAME.1, NAME.2, ...) to keep."},
	{Path: "logging.file.max_bytes", Type: "size (k, M or G suffix)", Default: "4M",
		Help: "With rotate: the size at which the file is rotated."},
}

// free names the mappings whose keys are names chosen by the user, not
// keys of ours.
var free = map[string]bool{"logging.module_levels": true}

// known reports whether path is a key or section of ours.
func known(path string) bool {
	for _, k := range Keys {
		if k.Path == path || strings.HasPrefix(k.Path, path+".") {
			return true
		}
	}
	return false
}

// Unknown returns a warning for every key in the merged config that
// alpenhorn does not read, naming the file it came from and the closest
// known key. Top-level sections named like a listed extension belong to
// that extension; with extensions listed, other keys under database may
// belong to a database extension and are not reported.
func (c *Config) Unknown() []string {
	exts, _ := c.Extensions()
	owned := map[string]bool{}
	for _, e := range exts {
		owned[e] = true
	}
	var warnings []string
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for _, k := range sortedKeys(m) {
			path := joinPath(prefix, k)
			switch {
			case prefix == "" && owned[k], free[path]:
				continue
			case prefix == "database" && len(exts) > 0:
				continue
			case !known(path):
				msg := "unknown key " + path + " ignored"
				if s := closest(path); s != "" {
					msg += " (did you mean " + s + "?)"
				}
				warnings = append(warnings, (&Error{Files: c.filesFor(path), Msg: msg}).Error())
				continue
			}
			if sub, ok := m[k].(map[string]any); ok {
				walk(sub, path)
			}
		}
	}
	walk(c.data, "")
	return warnings
}

// closest returns the known key or section nearest to path in edit
// distance, if it is near enough to be a likely typo.
func closest(path string) string {
	var cands []string
	for _, s := range Sections {
		cands = append(cands, s.Path)
	}
	for _, k := range Keys {
		cands = append(cands, k.Path)
	}
	best, bestD := "", len(path)/3+2
	for _, cand := range cands {
		if d := editDistance(path, cand); d < bestD {
			best, bestD = cand, d
		}
	}
	// Also a key put in the wrong section: same last element elsewhere.
	if best == "" {
		last := lastElem(path)
		for _, cand := range cands {
			if lastElem(cand) == last {
				return cand
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// KeysHelp is the key reference appended to --help-config.
func KeysHelp() string {
	var b strings.Builder
	b.WriteString("\nEvery key, with its type, default and meaning (an example config with all of\nthem is installed as /usr/share/doc/alpenhorn/alpenhorn.conf.example):\n")
	for _, s := range Sections {
		fmt.Fprintf(&b, "\n%s:\n", s.Path)
		wrap(&b, s.Help, "    ")
		for _, k := range Keys {
			if parent(k.Path) != s.Path && !(s.Path == "extensions" && k.Path == "extensions") {
				continue
			}
			def := k.Default
			if def == "" {
				def = "(none)"
			}
			fmt.Fprintf(&b, "  %s  [%s; default %s]\n", k.Path, k.Type, def)
			wrap(&b, k.Help, "      ")
		}
	}
	b.WriteString(`
The environment variable ALPENHORN_SSH_CONFIG names an ssh client config file
that alpenhornd gives ssh (-F) for every rsync pull from another host
(bbcp starts ssh its own way); without it ssh reads ~/.ssh/config as usual.  alpenhornd --check-config prints the merged
configuration with every default filled in, and exits 1 if it is invalid.
Unknown keys are reported (with the nearest known key) but do not stop
alpenhorn, because a Python host may share the file.
`)
	return b.String()
}

func parent(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// lastElem is the key's own name, without its sections.
func lastElem(path string) string { return path[strings.LastIndexByte(path, '.')+1:] }

// wrap writes text as lines of at most 79 columns, each starting with
// indent.
func wrap(b *strings.Builder, text, indent string) {
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 79 && line != indent {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	if line != indent {
		b.WriteString(line + "\n")
	}
}

// Example is the annotated example config shipped as
// deploy/alpenhorn.conf.example: every key, commented out, at its default
// (or a sample value where it has none), under its meaning.
func Example() string {
	var b strings.Builder
	b.WriteString(`# alpenhorn configuration: every key alpenhorn-go reads, with its meaning.
# Install as /etc/alpenhorn/alpenhorn.conf and uncomment what you need; a
# commented-out key shows its default (or, where there is none, an example).
# Files read, later ones winning: /etc/alpenhorn/alpenhorn.conf,
# /etc/xdg/alpenhorn/alpenhorn.conf, ~/.config/alpenhorn/alpenhorn.conf,
# $ALPENHORN_CONFIG_FILE, then --conf. Check with: alpenhornd --check-config
# (generated from internal/config/keys.go; do not edit by hand)
`)
	for _, s := range Sections {
		if s.Path == "extensions" || free[s.Path] {
			continue
		}
		depth := strings.Count(s.Path, ".")
		b.WriteString("\n")
		wrap(&b, s.Help, strings.Repeat("  ", depth)+"# ")
		fmt.Fprintf(&b, "%s%s:\n", strings.Repeat("  ", depth), lastElem(s.Path))
		for _, k := range Keys {
			if parent(k.Path) == s.Path {
				exampleKey(&b, k, depth+1)
			}
		}
	}
	b.WriteString("\n")
	for _, k := range Keys {
		if k.Path == "extensions" {
			exampleKey(&b, k, 0)
		}
	}
	return b.String()
}

func exampleKey(b *strings.Builder, k Key, depth int) {
	indent := strings.Repeat("  ", depth)
	wrap(b, k.Help+" ["+k.Type+"]", indent+"# ")
	v := k.Example
	if v == "" {
		v = k.Default
	}
	if k.Example == "" && strings.HasPrefix(v, "(") {
		v = ""
	}
	fmt.Fprintf(b, "%s#%s: %s\n", indent, lastElem(k.Path), v)
}
