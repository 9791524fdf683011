package extension

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/logtest"
)

// acceptUnder returns a detector accepting files below the directory acq.
func acceptUnder(acq string, calls *[]string, name string) Detector {
	return func(_ context.Context, _ *db.DB, p string, _ *db.StorageNode) (Detection, error) {
		*calls = append(*calls, name)
		if strings.HasPrefix(p, acq+"/") {
			return Detection{Acq: acq}, nil
		}
		return Detection{}, nil
	}
}

func dbExt(name string) Extension {
	return Extension{Name: name, Capabilities: Capabilities{Database: &Database{
		Connect: func(context.Context, map[string]any) (*db.DB, error) { return nil, errors.New("unused") },
	}}}
}

func ioExt(name string, keys ...string) Extension {
	m := map[string]any{}
	for _, k := range keys {
		m[k] = name + ":" + k
	}
	return Extension{Name: name, Capabilities: Capabilities{IOModules: m}}
}

func registry(exts ...Extension) *Registry {
	r := NewRegistry()
	for _, e := range exts {
		r.Register(e)
	}
	return r
}

func TestLoadErrors(t *testing.T) {
	var calls []string
	detector := Extension{Name: "det", Capabilities: Capabilities{ImportDetect: acceptUnder("a", &calls, "det")}}
	r := registry(dbExt("dba"), dbExt("dbb"), ioExt("ioa", "hsm", "tape"), ioExt("iob", "tape"),
		ioExt("shadow", "zzz", "lustrehsm"), detector)
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"det", "nosuch"}, "extension module nosuch not found"},
		{[]string{"pattern_importer"}, "extension module pattern_importer not found"},
		{[]string{"dba", "det", "dbb"}, "more than one database extension in config (dba and dbb)"},
		{[]string{"dba", "dba"}, "more than one database extension in config (dba and dba)"},
		{[]string{"ioa", "iob"}, `I/O module "tape" in extension iob already imported from an earlier extension module.`},
		{[]string{"ioa", "ioa"}, `I/O module "hsm" in extension ioa already imported from an earlier extension module.`},
		{[]string{"shadow"}, `I/O module "lustrehsm" in extension shadow duplicates existing module "alpenhorn.io.lustrehsm"`},
	} {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			s, err := r.Load(context.Background(), tc.names, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Load(%q) = %v, %v; want error %q", tc.names, s, err, tc.want)
			}
		})
	}
}

func TestRegisterMistakesPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		exts []Extension
		want string
	}{
		{"duplicate", []Extension{dbExt("x"), ioExt("x", "y")}, "extension x registered twice"},
		{"nameless", []Extension{{}}, "extension registered without a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if got := fmt.Sprint(recover()); got != tc.want {
					t.Errorf("panic %q, want %q", got, tc.want)
				}
			}()
			registry(tc.exts...)
		})
	}
}

func TestLoadLogsAndSkipsUselessExtensions(t *testing.T) {
	h := logtest.Capture(t)
	var calls []string
	r := registry(
		Extension{Name: "chimedb.core.alpenhorn", Capabilities: Capabilities{ImportDetect: acceptUnder("x", &calls, "chime")}},
		Extension{Name: "cli_only", Commands: func(Opener) []*cobra.Command { return nil }},
	)
	s, err := r.Load(context.Background(), []string{"chimedb.core.alpenhorn", "cli_only"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INFO Loading extension chimedb.core.alpenhorn",
		"INFO Loading extension cli_only",
		"WARNING Ignoring extension cli_only with no useable functionality!",
	}
	if got := logtest.Lines(h); !slices.Equal(got, want) {
		t.Errorf("log:\n%q\nwant\n%q", got, want)
	}
	if got := s.Detectors(); !slices.Equal(got, []string{"chimedb.core.alpenhorn"}) {
		t.Errorf("detectors %q", got)
	}
	// Names are matched exactly, not by their last dotted component.
	if _, err := r.Load(context.Background(), []string{"alpenhorn"}, nil); err == nil {
		t.Error(`"alpenhorn" loaded "chimedb.core.alpenhorn"`)
	}
}

func TestEmptyConfigLoadsNothing(t *testing.T) {
	h := logtest.Capture(t)
	s, err := registry(dbExt("dba")).Load(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Database(context.Background()) != nil || len(s.Detectors()) != 0 || s.IOModule("hsm") != nil {
		t.Error("an empty extensions list provided something")
	}
	if got := logtest.Lines(h); len(got) != 0 {
		t.Errorf("logged %q", got)
	}
}

func TestDatabaseAndIOModules(t *testing.T) {
	h := logtest.Capture(t)
	r := registry(dbExt("dba"), ioExt("ioa", "hsm", "tape"), ioExt("iob", "disk"))
	s, err := r.Load(context.Background(), []string{"ioa", "dba", "iob"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Database(context.Background()) == nil {
		t.Fatal("no database extension")
	}
	if got := logtest.Lines(h); got[len(got)-1] != "INFO Using database extension dba" {
		t.Errorf("log %q", got)
	}
	for class, want := range map[string]any{
		"HSM": "ioa:hsm", "tape": "ioa:tape", "Disk": "iob:disk", "Default": nil, "base": nil, "other": nil,
	} {
		if got := s.IOModule(class); got != want {
			t.Errorf("IOModule(%q) = %v, want %v", class, got, want)
		}
	}
	// Only an extension can be asked for "base"; it is refused even then.
	s, err = registry(ioExt("b", "base")).Load(context.Background(), []string{"b"}, nil)
	if err == nil || !strings.Contains(err.Error(), `duplicates existing module "alpenhorn.io.base"`) {
		t.Errorf("base: %v, %v", s, err)
	}
}

func TestConfigure(t *testing.T) {
	var got map[string]any
	r := registry(Extension{Name: "conf", Configure: func(section map[string]any) (Capabilities, error) {
		got = section
		if section["fail"] == true {
			return Capabilities{}, errors.New("bad settings")
		}
		return Capabilities{ImportDetect: acceptUnder("a", new([]string), "conf")}, nil
	}})
	ctx := context.Background()
	if _, err := r.Load(ctx, []string{"conf"}, map[string]any{"conf": map[string]any{"k": 1}}); err != nil || got["k"] != 1 {
		t.Errorf("section %v, err %v", got, err)
	}
	if _, err := r.Load(ctx, []string{"conf"}, map[string]any{}); err != nil || got != nil {
		t.Errorf("absent section: %v, err %v", got, err)
	}
	_, err := r.Load(ctx, []string{"conf"}, map[string]any{"conf": map[string]any{"fail": true}})
	if err == nil || err.Error() != "extension conf: bad settings" {
		t.Errorf("failing Configure: %v", err)
	}
	_, err = r.Load(ctx, []string{"conf"}, map[string]any{"conf": []any{"x"}})
	if err == nil || err.Error() != "invalid config value for conf: mapping expected" {
		t.Errorf("list section: %v", err)
	}
}

func TestCommandsFromEveryCompiledInExtension(t *testing.T) {
	cmd := func(use string) func(Opener) []*cobra.Command {
		return func(Opener) []*cobra.Command { return []*cobra.Command{{Use: use}} }
	}
	r := registry(Extension{Name: "zeta", Commands: cmd("zeta-cmd")}, dbExt("none"), Extension{Name: "alpha", Commands: cmd("alpha-cmd")})
	var uses []string
	for _, c := range r.Commands(nil) {
		uses = append(uses, c.Use)
	}
	if !slices.Equal(uses, []string{"alpha-cmd", "zeta-cmd"}) {
		t.Errorf("commands %q", uses)
	}
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	node := &db.StorageNode{Name: "n"}
	var calls []string
	var seen []any
	withCallback := func(_ context.Context, _ *db.DB, p string, _ *db.StorageNode) (Detection, error) {
		calls = append(calls, "cb")
		if strings.HasPrefix(p, "b/") {
			return Detection{Acq: "b", Data: p}, nil
		}
		return Detection{}, nil
	}
	imported := func(_ context.Context, _ *gorm.DB, imps []Imported) error {
		for _, imp := range imps {
			seen = append(seen, imp.Detection.Data)
		}
		return errors.New("no table")
	}
	broken := func(_ context.Context, _ *db.DB, p string, _ *db.StorageNode) (Detection, error) {
		calls = append(calls, "broken")
		switch p {
		case "x/y/decline":
			return Detection{}, Decline(errors.New("patterns unreadable"))
		case "x/y/fail":
			return Detection{}, errors.New("connection lost")
		case "x/y/stranger":
			return Detection{Acq: "q"}, nil
		case "x/y/prefix":
			return Detection{Acq: "x/y/pre"}, nil
		case "x/y/whole":
			return Detection{Acq: "x/y/whole"}, nil
		case "x/y/file":
			return Detection{Acq: "x", File: "y/other"}, nil
		case "x/y/good":
			return Detection{Acq: "x", File: "y/good"}, nil
		case "x/y/invalid":
			return Detection{Acq: "./x"}, nil
		}
		return Detection{}, nil
	}
	r := registry(
		Extension{Name: "first", Capabilities: Capabilities{ImportDetect: acceptUnder("a", &calls, "first")}},
		Extension{Name: "second", Capabilities: Capabilities{ImportDetect: withCallback, Imported: imported}},
		Extension{Name: "broken", Capabilities: Capabilities{ImportDetect: broken}},
	)
	s, err := r.Load(ctx, []string{"broken", "first", "second", "first"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path      string
		acq, file string // acq "" means not accepted
		calls     string
		log       string
		err       string
	}{
		{path: "a/1.dat", acq: "a", file: "1.dat", calls: "broken first"},
		{path: "a/b/c/1.dat", acq: "a", file: "b/c/1.dat", calls: "broken first"},
		{path: "b/1.dat", acq: "b", file: "1.dat", calls: "broken first cb"},
		{path: "c/1.dat", calls: "broken first cb first"},
		{path: "x/y/good", acq: "x", file: "y/good", calls: "broken"},
		{path: "x/y/decline", calls: "broken first cb first",
			log: `ERROR Import detection by extension broken failed for "x/y/decline": patterns unreadable`},
		{path: "x/y/stranger", calls: "broken first cb first",
			log: `ERROR Import detection by extension broken failed for "x/y/stranger": acquisition "q" is not a parent directory of the path`},
		{path: "x/y/prefix", calls: "broken first cb first",
			log: `ERROR Import detection by extension broken failed for "x/y/prefix": acquisition "x/y/pre" is not a parent directory of the path`},
		{path: "x/y/whole", calls: "broken first cb first",
			log: `ERROR Import detection by extension broken failed for "x/y/whole": acquisition "x/y/whole" is not a parent directory of the path`},
		{path: "x/y/file", calls: "broken first cb first",
			log: `ERROR Import detection by extension broken failed for "x/y/file": acquisition "x" and file "y/other" do not make up the path`},
		{path: "x/y/fail", calls: "broken", err: "import detection by extension broken: connection lost"},
		{path: "x/y/invalid", calls: "broken", err: `Rejecting invalid acq path "./x": invalid start`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h := logtest.Capture(t)
			calls = nil
			d, ok, err := s.Detect(ctx, nil, tc.path, node)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || ok {
					t.Fatalf("Detect = %+v, %v, %v; want error %q", d, ok, err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.acq != "") || d.Acq != tc.acq || d.File != tc.file {
				t.Errorf("Detect = %+v, %v; want acq %q file %q", d, ok, tc.acq, tc.file)
			}
			if got := strings.Join(calls, " "); got != tc.calls {
				t.Errorf("detectors called: %q, want %q", got, tc.calls)
			}
			if got := strings.Join(logtest.Lines(h), "\n"); got != tc.log {
				t.Errorf("log %q, want %q", got, tc.log)
			}
		})
	}
	var invalid *InvalidAcqError
	if _, _, err := s.Detect(ctx, nil, "x/y/invalid", node); !errors.As(err, &invalid) || invalid.Reason != "invalid start" {
		t.Errorf("invalid acq error %#v", err)
	}

	// Each extension's callback gets the imports its detector accepted;
	// its failure is logged.
	var imps []Imported
	for _, p := range []string{"a/2.dat", "b/2.dat", "b/3.dat"} {
		d, _, _ := s.Detect(ctx, nil, p, node)
		imps = append(imps, Imported{Detection: d})
	}
	h := logtest.Capture(t)
	s.Imported(ctx, nil, imps)
	if !slices.Equal(seen, []any{"b/2.dat", "b/3.dat"}) {
		t.Errorf("callback saw %q", seen)
	}
	if got := strings.Join(logtest.Lines(h), "\n"); got != "ERROR Import callback of extension second failed: no table" {
		t.Errorf("log %q", got)
	}
}

func TestDetectWithoutDetectors(t *testing.T) {
	h := logtest.Capture(t)
	s, err := registry(dbExt("dba")).Load(context.Background(), []string{"dba"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, ok, err := s.Detect(context.Background(), nil, "a/b", &db.StorageNode{})
	if ok || err != nil {
		t.Errorf("Detect = %v, %v", ok, err)
	}
	want := "ERROR Attempt to import file with no import-detect extensions."
	if got := logtest.Lines(h); len(got) != 2 || got[1] != want {
		t.Errorf("log %q, want last %q", got, want)
	}
}
