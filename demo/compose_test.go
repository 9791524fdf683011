package demo

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"

	// The demo configuration names it; the binaries ship it.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)

// No Docker engine runs the tests, so these check what can be checked
// without one: that docker-compose.yaml, the Dockerfile and
// demo/alpenhorn.conf parse, reference files that exist and set up the
// seed's five containers.

// repo is the repository's top directory, the Docker build context.
const repo = ".."

type composeFile struct {
	Name     string                    `yaml:"name"`
	Volumes  map[string]any            `yaml:"volumes"`
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     string            `yaml:"command"`
	Hostname    string            `yaml:"hostname"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Decoding into plain values resolves the anchors and merge keys;
	// the result is decoded again, strictly, without compose's extension
	// fields (x-…).
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	for k := range raw {
		if strings.HasPrefix(k, "x-") {
			delete(raw, k)
		}
	}
	clean, err := yaml.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(clean)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	return c
}

func TestComposeMatchesSeed(t *testing.T) {
	c := loadCompose(t)

	var services, volumes []string
	for s := range c.Services {
		services = append(services, s)
	}
	for v := range c.Volumes {
		volumes = append(volumes, v)
	}
	slices.Sort(services)
	slices.Sort(volumes)
	if want := []string{"alpendb", Host1, Host2, Host3, Shell}; !slices.Equal(services, want) {
		t.Errorf("services %q, want %q", services, want)
	}
	if want := []string{"db_vol", "node1_vol", "node2_vol", "node3_vol", "transport_vol"}; !slices.Equal(volumes, want) {
		t.Errorf("volumes %q, want %q", volumes, want)
	}
	for name, s := range c.Services {
		if s.Hostname != name {
			t.Errorf("service %s: hostname %q; the daemons take their host name from it", name, s.Hostname)
		}
		for _, v := range s.Volumes {
			vol, _, _ := strings.Cut(v, ":")
			if _, ok := c.Volumes[vol]; !ok {
				t.Errorf("service %s mounts undeclared volume %q", name, vol)
			}
		}
	}

	mounts := map[string][]string{
		"alpendb": {"db_vol:/var/lib/mysql"},
		Shell:     nil,
		Host1:     {"node1_vol:/data", "transport_vol:/mnt/transport"},
		Host2:     {"node2_vol:/data"},
		Host3:     {"node3_vol:/data", "transport_vol:/mnt/transport"},
	}
	for name, want := range mounts {
		if s, ok := c.Services[name]; ok && !slices.Equal(s.Volumes, want) {
			t.Errorf("service %s mounts %q, want %q", name, s.Volumes, want)
		}
	}

	for _, name := range append([]string{Shell}, DaemonHosts...) {
		s := c.Services[name]
		if s.Image != "alpenhorn" {
			t.Errorf("service %s: image %q, want alpenhorn", name, s.Image)
		}
		if s.Build == nil {
			t.Errorf("service %s: no build section", name)
			continue
		}
		if s.Build.Context != "." || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("service %s builds %s in %s, want Dockerfile in .", name, s.Build.Dockerfile, s.Build.Context)
		}
		if d, ok := s.DependsOn["alpendb"]; !ok || d.Condition != "service_healthy" {
			t.Errorf("service %s does not wait for a healthy alpendb", name)
		}
	}
	if got := c.Services[Shell].Command; got != "/bin/bash -l" {
		t.Errorf("alpenshell runs %q, want a login shell", got)
	}
	if db := c.Services["alpendb"]; db.Healthcheck == nil || len(db.Healthcheck.Test) == 0 {
		t.Error("alpendb has no health check")
	}
}

// TestComposeDatabaseMatchesConfig checks that demo/alpenhorn.conf
// reaches the alpendb service's database as the user it sets up.
func TestComposeDatabaseMatchesConfig(t *testing.T) {
	c := loadCompose(t)
	cfg := loadDemoConfig(t)
	raw, err := cfg.DatabaseURL()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	db := c.Services["alpendb"]
	if u.Scheme != "mysql" || u.Hostname() != db.Hostname {
		t.Errorf("database URL %s does not name the alpendb service (%s)", raw, db.Hostname)
	}
	if name := strings.TrimPrefix(u.Path, "/"); name != db.Environment["MYSQL_DATABASE"] {
		t.Errorf("database URL names %q; alpendb creates %q", name, db.Environment["MYSQL_DATABASE"])
	}
	if _, hasPass := u.User.Password(); u.User.Username() != "root" || hasPass || db.Environment["MYSQL_ALLOW_EMPTY_PASSWORD"] == "" {
		t.Errorf("database URL logs in as %s; alpendb allows root without a password only", u.User)
	}
}

func loadDemoConfig(t *testing.T) *config.Config {
	t.Helper()
	t.Setenv(config.EnvConfigFile, "")
	cfg, err := config.Load(config.Options{TestIsolation: true, ConfFile: "alpenhorn.conf"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDemoConfig checks demo/alpenhorn.conf against the seed: two
// workers, ten-second passes, the pattern_importer extension.
func TestDemoConfig(t *testing.T) {
	cfg := loadDemoConfig(t)
	d, err := cfg.Daemon()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("workers=%d update_interval=%d auto_import_interval=%d extensions=%q level=%s",
		d.NumWorkers, d.UpdateInterval, d.AutoImportInterval, d.Extensions, d.Logging.Level)
	want := `workers=2 update_interval=10 auto_import_interval=10 extensions=["pattern_importer"] level=INFO`
	if got != want {
		t.Errorf("demo/alpenhorn.conf gives %s, want %s", got, want)
	}
	set, err := extension.Load(t.Context(), d.Extensions, cfg.Raw())
	if err != nil {
		t.Fatalf("load the demo's extensions: %v", err)
	}
	if len(set.Detectors()) == 0 {
		t.Error("the demo's extensions provide no import detector: nothing could be imported")
	}
}

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	stage int
	op    string
	args  []string
}

func parseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	stage := -1
	var cur strings.Builder
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		fields := strings.Fields(cur.String())
		cur.Reset()
		op := strings.ToUpper(fields[0])
		if op == "FROM" {
			stage++
		}
		out = append(out, dockerInstruction{stage: stage, op: op, args: fields[1:]})
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends in a continuation line: %s", cur.String())
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t)
	var froms []string
	var runs, cmd string
	for _, in := range ins {
		switch in.op {
		case "FROM":
			froms = append(froms, strings.Join(in.args, " "))
		case "RUN":
			runs += strings.Join(in.args, " ") + "\n"
		case "CMD":
			cmd = strings.Join(in.args, " ")
		case "COPY":
			var srcs []string
			fromStage := false
			for _, a := range in.args {
				if strings.HasPrefix(a, "--from=") {
					fromStage = true
				} else if !strings.HasPrefix(a, "--") {
					srcs = append(srcs, a)
				}
			}
			if len(srcs) < 2 {
				t.Errorf("COPY %s: no source or destination", strings.Join(in.args, " "))
				continue
			}
			if fromStage {
				continue
			}
			for _, src := range srcs[:len(srcs)-1] {
				if _, err := os.Stat(filepath.Join(repo, src)); err != nil {
					t.Errorf("COPY source %s is not in the build context: %v", src, err)
				}
			}
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:") || !strings.HasSuffix(froms[0], " AS build") ||
		!strings.HasPrefix(froms[1], "debian:") || !strings.HasSuffix(froms[1], "-slim") {
		t.Errorf("stages %q, want a golang build stage and a debian slim runtime", froms)
	}

	// The programs are built static from the packages that exist.
	build := ""
	for line := range strings.Lines(runs) {
		if strings.Contains(line, "go build") {
			build = line
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Errorf("go build without CGO_ENABLED=0: %q", build)
	}
	for _, pkg := range []string{"./cmd/alpenhorn", "./cmd/alpenhornd"} {
		if !slices.Contains(strings.Fields(build), pkg) {
			t.Errorf("go build does not build %s: %q", pkg, build)
		}
	}

	for _, pkg := range []string{"openssh-server", "openssh-client", "rsync", "mariadb-client"} {
		if !slices.Contains(strings.Fields(runs), pkg) {
			t.Errorf("the runtime image does not install %s", pkg)
		}
	}
	if !strings.Contains(cmd, "sshd") || !strings.Contains(cmd, "alpenhornd") {
		t.Errorf("CMD %s does not start sshd and alpenhornd", cmd)
	}

	var conf bool
	for _, in := range ins {
		if in.op == "COPY" && slices.Equal(in.args, []string{"demo/alpenhorn.conf", "/etc/alpenhorn/alpenhorn.conf"}) {
			conf = true
		}
	}
	if !conf {
		t.Error("the image does not install demo/alpenhorn.conf as /etc/alpenhorn/alpenhorn.conf")
	}
}
