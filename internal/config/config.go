// Package config finds, reads and merges alpenhorn's YAML config files and
// gives typed, validated access to the keys the CLI and the daemon use.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Options select which config files Load reads.
type Options struct {
	// TestIsolation skips the three standard locations (/etc/alpenhorn,
	// /etc/xdg/alpenhorn, ~/.config/alpenhorn); ALPENHORN_CONFIG_FILE and
	// ConfFile still apply.
	TestIsolation bool
	// ConfFile is the --conf file, read last; "" for none.
	ConfFile string
}

// EnvConfigFile names the environment variable holding an extra config file.
const EnvConfigFile = "ALPENHORN_CONFIG_FILE"

// standardPaths are the system and user config locations, lowest
// precedence first. Tests point them elsewhere.
var standardPaths = []string{
	"/etc/alpenhorn/alpenhorn.conf",
	"/etc/xdg/alpenhorn/alpenhorn.conf",
	"~/.config/alpenhorn/alpenhorn.conf",
}

// ErrNoConfig is returned by Load when none of the candidate files exists.
// Its capitalised, punctuated text is the message users have always seen.
var ErrNoConfig = errors.New("No configuration files available.  See --help-config for more details.")

// HelpText is the text printed by --help-config: how the files are found,
// then (KeysHelp, appended at start-up) every key.
var HelpText = `
Alpenhorn keeps its Data Index in an SQL database, and needs to be told
how to reach it.  That is done in alpenhorn's config files.

These locations are searched, in this order:
  * /etc/alpenhorn/alpenhorn.conf
  * /etc/xdg/alpenhorn/alpenhorn.conf
  * ~/.config/alpenhorn/alpenhorn.conf
  * the file named by the environment variable "ALPENHORN_CONFIG_FILE"
  * the file given with "-c" or "--conf" on the command line

Every file that exists is read, and all of them are merged: a setting in a
later file overrides the same setting from an earlier one.  Config files
are written in YAML.

The usual way to set up the database connection is a database URL:

database:
    url: mysql://user:passwd@hostname:port/my_database

Alternatively, a database extension can provide the connection.  In that
case, list the extension in the config so that alpenhorn loads it:

extensions:
    - my_database_extension

The database connection is all the alpenhorn CLI needs configured.  The
daemon, alpenhornd, reads further settings (base, daemon and logging
sections); see the alpenhorn documentation for those.
`

// Config is a merged configuration.
//
// Values in it are nil, bool, int, float64, string, []any or map[string]any.
type Config struct {
	// Files are the absolute paths of the files read, in the order read.
	Files []string

	data map[string]any
	// sources maps a dotted key path to the files its current value came
	// from, so that errors can point at the file to fix.
	sources map[string][]string
}

// Error is a config problem: a bad file or a bad value for a key.
type Error struct {
	// Files are the files the offending value came from (may be empty).
	Files []string
	// Msg describes the problem, naming the key.
	Msg string
}

func (e *Error) Error() string {
	var s string
	switch len(e.Files) {
	case 0:
		s = e.Msg
	case 1:
		s = "config file " + e.Files[0] + ": " + e.Msg
	default:
		s = "config files " + strings.Join(e.Files, ", ") + ": " + e.Msg
	}
	return MaskPassword(s)
}

var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s]*@`)

// MaskPassword replaces the password of every URL in s (`user:pass@`) with
// `***`. Anything printed that may contain a database URL goes through it.
func MaskPassword(s string) string {
	return urlPassword.ReplaceAllString(s, "${1}:***@")
}

// RedactURL hides the password of a database URL. Unlike MaskPassword it
// knows where the user information ends (at the last "@" before the host),
// so a password containing "@" or ":" is hidden whole.
func RedactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return u
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return u
	}
	return scheme + "://" + user + ":***" + rest[at:]
}

// Load discovers, reads and merges the config files.
//
// Each file read is reported through logf at "INFO"; a missing
// ALPENHORN_CONFIG_FILE or --conf target at "WARNING". logf may be nil.
func Load(opts Options, logf func(level, format string, args ...any)) (*Config, error) {
	if logf == nil {
		logf = func(string, string, ...any) {}
	}
	type candidate struct {
		listed  string
		missing string // warning when the file is absent; "" = silent
	}
	var cands []candidate
	if !opts.TestIsolation {
		for _, p := range standardPaths {
			cands = append(cands, candidate{listed: p})
		}
	}
	if env := os.Getenv(EnvConfigFile); env != "" {
		cands = append(cands, candidate{env, "Config file %s defined by " + EnvConfigFile + " not found."})
	}
	if opts.ConfFile != "" {
		cands = append(cands, candidate{opts.ConfFile, "Config file %s defined on command line not found."})
	}

	c := &Config{data: map[string]any{}, sources: map[string][]string{}}
	found := false
	for _, cand := range cands {
		abs, err := expandPath(cand.listed)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("config file %s: %v", cand.listed, err)}
		}
		if _, err := os.Stat(abs); err != nil {
			// Like a missing file, an unreadable directory on the way
			// only skips this candidate.
			if cand.missing != "" {
				logf("WARNING", cand.missing, abs)
			}
			continue
		}
		found = true
		logf("INFO", "Loading config file %s", cand.listed)
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, &Error{Files: []string{abs}, Msg: err.Error()}
		}
		c.Files = append(c.Files, abs)
		doc, err := parseYAML(data)
		if err != nil {
			return nil, &Error{Files: []string{abs}, Msg: err.Error()}
		}
		if doc == nil {
			continue
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, &Error{Files: []string{abs}, Msg: "the file must hold a YAML mapping (key: value pairs)"}
		}
		c.data = merge(c.data, m, "", abs, c.sources).(map[string]any)
	}
	if !found {
		return nil, ErrNoConfig
	}
	for _, w := range c.Unknown() {
		logf("WARNING", "%s", w)
	}
	return c, nil
}

// FromMap builds a Config from an already-merged map. Go numeric, slice
// and map types are accepted and normalised to the Config value model.
func FromMap(m map[string]any) (*Config, error) {
	v, err := normalize(m, "")
	if err != nil {
		return nil, err
	}
	return &Config{data: v.(map[string]any), sources: map[string][]string{}}, nil
}

func normalize(v any, path string) (any, error) {
	switch x := v.(type) {
	case nil, bool, int, float64, string:
		return x, nil
	case float32:
		return float64(x), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint()), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, err := normalize(rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("config value %s: mapping keys must be strings", displayPath(path))
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k := iter.Key().String()
			e, err := normalize(iter.Value().Interface(), joinPath(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("config value %s: unsupported type %T", displayPath(path), v)
}

func displayPath(p string) string {
	if p == "" {
		return "(top level)"
	}
	return p
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// expandPath expands environment variables, then `~`, then makes the path
// absolute. Unknown variables are left as written.
func expandPath(p string) (string, error) {
	p = expandVars(p)
	p = expandUser(p)
	return filepath.Abs(p)
}

var envRef = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

func expandVars(p string) string {
	return envRef.ReplaceAllStringFunc(p, func(ref string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(ref[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return ref
	})
}

func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	var home string
	if name == "" {
		home = os.Getenv("HOME")
		if home == "" {
			u, err := user.Current()
			if err != nil {
				return p
			}
			home = u.HomeDir
		}
	} else {
		u, err := user.Lookup(name)
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if rest == "" && !strings.Contains(p, "/") {
		return home
	}
	return strings.TrimSuffix(home, "/") + "/" + rest
}

// merge combines the config so far (a) with the next file's value (b):
// mappings merge key by key, two lists concatenate, anything else is
// replaced by b.
func merge(a, b any, path, file string, sources map[string][]string) any {
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		addSource(sources, path, file)
		out := make(map[string]any, len(am)+len(bm))
		for k, v := range am {
			out[k] = v
		}
		for k, bv := range bm {
			if av, ok := am[k]; ok {
				out[k] = merge(av, bv, joinPath(path, k), file, sources)
			} else {
				out[k] = bv
				claim(sources, joinPath(path, k), bv, file)
			}
		}
		return out
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if aIsList && bIsList {
		addSource(sources, path, file)
		out := make([]any, 0, len(al)+len(bl))
		return append(append(out, al...), bl...)
	}
	claim(sources, path, b, file)
	return b
}

func addSource(sources map[string][]string, path, file string) {
	if path == "" {
		return
	}
	for _, f := range sources[path] {
		if f == file {
			return
		}
	}
	sources[path] = append(sources[path], file)
}

// claim records that file alone now provides the value at path.
func claim(sources map[string][]string, path string, v any, file string) {
	// Entries below path exist only when path itself has one, so the
	// scan, which costs the size of sources, is needed only for a value
	// that replaces an earlier one; scanning for every new key made a
	// large file take time quadratic in its number of keys.
	if _, replaced := sources[path]; replaced {
		prefix := path + "."
		for k := range sources {
			if strings.HasPrefix(k, prefix) {
				delete(sources, k)
			}
		}
	}
	sources[path] = []string{file}
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			claim(sources, joinPath(path, k), sub, file)
		}
	}
}

// filesFor returns the files that provided the value at path, or those of
// its nearest enclosing section.
func (c *Config) filesFor(path string) []string {
	for p := path; p != ""; {
		if f, ok := c.sources[p]; ok {
			return append([]string(nil), f...)
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if len(c.Files) == 1 {
		return []string{c.Files[0]}
	}
	return nil
}

func (c *Config) errorf(path, format string, args ...any) error {
	return &Error{Files: c.filesFor(path), Msg: fmt.Sprintf(format, args...)}
}

// Raw returns a deep copy of the merged config.
func (c *Config) Raw() map[string]any {
	return deepCopy(c.data).(map[string]any)
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// lookup follows a dotted path. A key under something that is not a
// mapping counts as missing.
func (c *Config) lookup(path string) (any, bool) {
	var v any = c.data
	for _, elem := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[elem]; !ok {
			return nil, false
		}
	}
	return v, true
}

// The typed getters below follow one rule set: a missing key yields the
// default untouched (no coercion, no bounds check); a key present with any
// value, null included, must convert.

func (c *Config) mapping(path string, def map[string]any) (map[string]any, error) {
	v, ok := c.lookup(path)
	if !ok {
		return def, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, c.errorf(path, "invalid config value for %s: mapping expected", path)
	}
	return m, nil
}

func (c *Config) sequence(path string, def []any) ([]any, error) {
	v, ok := c.lookup(path)
	if !ok {
		return def, nil
	}
	l, isList := v.([]any)
	if !isList {
		return nil, c.errorf(path, "invalid config value for %s: sequence expected", path)
	}
	return l, nil
}

func (c *Config) scalar(path string, v any, conv func(any) error, want string) error {
	if !isScalar(v) {
		return c.errorf(path, "invalid config value for %s: scalar expected", path)
	}
	if conv(v) != nil {
		return c.errorf(path, "invalid config value for %s: %s expected", path, want)
	}
	return nil
}

// str returns the string at path; required means a missing key is an error.
func (c *Config) str(path, def string, required bool) (string, error) {
	v, ok := c.lookup(path)
	if !ok {
		if required {
			return "", c.errorf(path, "missing config value: %s", path)
		}
		return def, nil
	}
	return c.strValue(path, v)
}

func (c *Config) strValue(path string, v any) (string, error) {
	var s string
	err := c.scalar(path, v, func(v any) (err error) { s, err = toString(v); return err }, "string")
	return s, err
}

func (c *Config) boolean(path string, def bool) (bool, error) {
	v, ok := c.lookup(path)
	if !ok {
		return def, nil
	}
	if !isScalar(v) {
		return false, c.errorf(path, "invalid config value for %s: scalar expected", path)
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, c.errorf(path, "invalid config value for %s: boolean expected", path)
	}
	return b, nil
}

// bounds are inclusive limits; nil means unbounded.
type bounds struct{ min, max *int }

func atLeast(n int) bounds      { return bounds{min: &n} }
func between(lo, hi int) bounds { return bounds{min: &lo, max: &hi} }

func (c *Config) integer(path string, def int, b bounds) (int, error) {
	v, ok := c.lookup(path)
	if !ok {
		return def, nil
	}
	var n int
	if err := c.scalar(path, v, func(v any) (err error) { n, err = toInt(v); return err }, "integer"); err != nil {
		return 0, err
	}
	if b.min != nil && n < *b.min {
		return 0, c.errorf(path, "config parameter %q too small: %d < %d", path, n, *b.min)
	}
	if b.max != nil && n > *b.max {
		return 0, c.errorf(path, "config parameter %q too large: %d > %d", path, n, *b.max)
	}
	return n, nil
}

func (c *Config) float(path string, def float64) (float64, error) {
	v, ok := c.lookup(path)
	if !ok {
		return def, nil
	}
	var f float64
	err := c.scalar(path, v, func(v any) (err error) { f, err = toFloat(v); return err }, "float")
	return f, err
}

// byteSize reads a size with an optional k/M/G suffix (powers of 1024); the
// number may have a fraction, the result is truncated and must be positive.
func (c *Config) byteSize(path, def string) (int64, error) {
	v, ok := c.lookup(path)
	if !ok {
		v = def
	}
	if !isScalar(v) {
		return 0, c.errorf(path, "invalid config value for %s: scalar expected", path)
	}
	bad := c.errorf(path, "invalid value for %q", path)
	s, err := toString(v)
	if err != nil {
		return 0, bad
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult = 1024
	case strings.HasSuffix(s, "M"):
		mult = 1024 * 1024
	case strings.HasSuffix(s, "G"):
		mult = 1024 * 1024 * 1024
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	f, err := toFloat(s)
	if err != nil {
		return 0, bad
	}
	f *= mult
	if math.IsNaN(f) || f < 1 || f >= 1<<63 {
		return 0, bad
	}
	return int64(f), nil
}

// Database returns the `database` section ({} when absent), handed whole to
// the database connector.
func (c *Config) Database() (map[string]any, error) {
	m, err := c.mapping("database", map[string]any{})
	if err != nil {
		return nil, err
	}
	return deepCopy(m).(map[string]any), nil
}

// DatabaseURL returns database.url, or "" when it is not set, with the
// password from database.password_file put in when that is set.
func (c *Config) DatabaseURL() (string, error) {
	if _, err := c.mapping("database", nil); err != nil {
		return "", err
	}
	v, ok := c.lookup("database.url")
	if !ok {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", c.errorf("database.url", "invalid config value for database.url: string expected")
	}
	file, err := c.str("database.password_file", "", false)
	if err != nil || file == "" {
		return s, err
	}
	return c.withPasswordFile(s, file)
}

// Extensions returns the names listed under `extensions`, in order.
func (c *Config) Extensions() ([]string, error) {
	l, err := c.sequence("extensions", nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(l))
	for i, v := range l {
		s, isStr := v.(string)
		if !isStr {
			return nil, c.errorf("extensions", "invalid config value for extensions[%d]: string expected", i)
		}
		names = append(names, s)
	}
	return names, nil
}

// sortedKeys gives map iteration a fixed order, so the first error
// reported for a section does not change from run to run.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
