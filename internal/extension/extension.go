// Package extension is alpenhorn's registry of compiled-in extensions.
//
// Upstream alpenhorn imports the Python modules named in the config's
// `extensions:` list and asks each for a dict of capabilities. A Go binary
// cannot import modules at run time, so each extension is a package under
// extensions/<name>/ that calls Register from its init function, and the
// binaries import the extensions they ship. The config keeps selecting them
// by the same names, so existing config files keep working.
//
// Names are compared exactly. Upstream names are dotted module paths and an
// extension is free to register under one (say chimedb.core.alpenhorn);
// nothing matches on a trailing component, because two packages ending in
// the same word would then be indistinguishable.
//
// Capabilities are the three of upstream: a database connector, an import
// detector and I/O modules. In addition an extension may contribute CLI
// subcommands, the Go form of helpers such as pattern_importer's demo_init
// that upstream users run with `python -c`. Upstream has no capability for
// extra data-index tables: an extension creates its own tables (from one of
// its subcommands) and nothing in alpenhorn creates, checks or versions them.
package extension

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// Extension is one compiled-in extension.
type Extension struct {
	// Name is what the config's extensions list calls it.
	Name string

	// Capabilities that do not depend on the configuration.
	Capabilities

	// Configure, when set, supplies the capabilities instead: Load calls it
	// with the extension's own config section (the top-level key named like
	// the extension; nil when absent). Upstream extensions take no settings;
	// an extension that wraps an outside program needs some.
	Configure func(section map[string]any) (Capabilities, error)

	// Commands, when set, returns CLI subcommands to add to the alpenhorn
	// root command. They exist whether or not the config lists the
	// extension: the command tree is built before any config is read, and
	// upstream's helpers likewise work without being listed. open connects to
	// the data index the way the CLI's own commands do, without checking the
	// schema version: the command decides whether it needs that.
	Commands func(open Opener) []*cobra.Command
}

// Opener connects to the data index on behalf of an extension's command.
type Opener func(ctx context.Context) (*db.DB, error)

// Capabilities is what an extension contributes to a running alpenhorn, the
// counterpart of the dict upstream's register_extension() returns.
type Capabilities struct {
	// Database, when set, supplies the data index connection. At most one
	// loaded extension may provide it.
	Database *Database

	// ImportDetect, when set, decides whether files are imported.
	ImportDetect Detector
	// Imported, when set, runs as the files ImportDetect accepted are
	// recorded (see Callback).
	Imported Callback

	// IOModules maps a lower-case I/O class name (the io_class of a node or
	// group, lower-cased) to what implements that class. The values are the
	// daemon's I/O factories; they are typed any here so that the registry
	// does not depend on the daemon, and the I/O package asserts its own type.
	// Keys must not name a built-in I/O module (see BuiltinIOModules).
	IOModules map[string]any
}

func (c Capabilities) empty() bool {
	return c.Database == nil && c.ImportDetect == nil && len(c.IOModules) == 0
}

// Database is a database connector.
type Database struct {
	// Connect opens the data index from the config's database section
	// (an empty map when there is none). Unlike the built-in connector it
	// is not retried on failure, as upstream.
	Connect func(ctx context.Context, conf map[string]any) (*db.DB, error)

	// NotReentrant says the connection must not be shared by concurrent
	// workers; the daemon then runs its I/O serially. Upstream's capability
	// is "reentrant", true when absent; it is inverted here so that the
	// zero value keeps that default.
	NotReentrant bool
}

// BuiltinIOModules are the I/O module names an extension may not take: the
// modules of upstream's alpenhorn.io package, which is what the error
// message names, so that a config valid upstream is valid here and vice
// versa.
var BuiltinIOModules = []string{
	"_default_asyncs", "base", "default", "ioutil", "lfs", "lustrehsm",
	"lustrequota", "polling", "transport", "updownlock",
}

// Registry holds the compiled-in extensions by name.
type Registry struct {
	mu   sync.Mutex
	exts map[string]Extension
}

// NewRegistry returns an empty registry. The binaries use the package-level
// one that extensions register with; a separate registry keeps tests of the
// loading rules away from it.
func NewRegistry() *Registry { return &Registry{exts: map[string]Extension{}} }

var defaultRegistry = NewRegistry()

// Register adds an extension to the registry the binaries load from. It is
// meant for init functions: a nameless or twice-registered extension is a
// build mistake and panics.
func Register(e Extension) { defaultRegistry.Register(e) }

// Load selects the configured extensions from the binaries' registry.
func Load(ctx context.Context, names []string, conf map[string]any) (*Set, error) {
	return defaultRegistry.Load(ctx, names, conf)
}

// Commands returns the CLI subcommands of every compiled-in extension.
func Commands(open Opener) []*cobra.Command { return defaultRegistry.Commands(open) }

// Register adds e to r; see the package-level Register.
func (r *Registry) Register(e Extension) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Name == "" {
		panic("extension registered without a name")
	}
	if _, dup := r.exts[e.Name]; dup {
		panic(fmt.Sprintf("extension %s registered twice", e.Name))
	}
	r.exts[e.Name] = e
}

// Commands returns the CLI subcommands of every extension in r, ordered by
// extension name so that help output is stable.
func (r *Registry) Commands(open Opener) []*cobra.Command {
	r.mu.Lock()
	names := make([]string, 0, len(r.exts))
	for n := range r.exts {
		names = append(names, n)
	}
	r.mu.Unlock()
	sort.Strings(names)
	var cmds []*cobra.Command
	for _, n := range names {
		if e := r.lookup(n); e.Commands != nil {
			cmds = append(cmds, e.Commands(open)...)
		}
	}
	return cmds
}

func (r *Registry) lookup(name string) Extension {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exts[name]
}

// Load builds the set of extensions named by the config's extensions list,
// in list order, with upstream's checks and messages. conf is the whole
// merged configuration; it is consulted only for the sections of
// extensions that take settings.
//
// A name listed twice (config files' lists are concatenated) is loaded
// twice, as upstream: its detector is then consulted twice, while a second
// database or a repeated I/O module is refused.
func (r *Registry) Load(ctx context.Context, names []string, conf map[string]any) (*Set, error) {
	s := &Set{io: map[string]ioModule{}}
	entry := logging.FromContext(ctx, logging.LoggerExtensions)
	for _, name := range names {
		entry.Infof("Loading extension %s", name)
		r.mu.Lock()
		e, ok := r.exts[name]
		r.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("extension module %s not found", name)
		}
		caps := e.Capabilities
		if e.Configure != nil {
			section, err := sectionOf(conf, name)
			if err != nil {
				return nil, err
			}
			if caps, err = e.Configure(section); err != nil {
				return nil, fmt.Errorf("extension %s: %w", name, err)
			}
		}
		if caps.empty() {
			entry.Warnf("Ignoring extension %s with no useable functionality!", name)
			continue
		}
		if caps.Database != nil {
			if s.database != nil {
				return nil, fmt.Errorf("more than one database extension in config (%s and %s)", s.databaseName, name)
			}
			s.database, s.databaseName = caps.Database, name
		}
		if caps.ImportDetect != nil {
			s.detectors = append(s.detectors, namedDetector{name, caps.ImportDetect, caps.Imported})
		}
		// Sorted so that which clash is reported does not depend on map order.
		keys := make([]string, 0, len(caps.IOModules))
		for k := range caps.IOModules {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, dup := s.io[k]; dup {
				return nil, fmt.Errorf("I/O module %q in extension %s already imported from an earlier extension module.", k, name)
			}
			for _, b := range BuiltinIOModules {
				if k == b {
					return nil, fmt.Errorf("I/O module %q in extension %s duplicates existing module \"alpenhorn.io.%s\"", k, name, k)
				}
			}
			s.io[k] = ioModule{name, caps.IOModules[k]}
		}
	}
	return s, nil
}

// sectionOf returns the config section an extension is configured by.
func sectionOf(conf map[string]any, name string) (map[string]any, error) {
	v, ok := conf[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("invalid config value for %s: mapping expected", name)
	}
	return m, nil
}
