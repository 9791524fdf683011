// Package daemontest runs real alpenhornd processes for end-to-end tests:
// it builds the binaries (once per test binary), sets up a data index with the pattern_importer
// demo types, creates groups, nodes, files and requests as the CLI would,
// starts daemons with a config of their own and waits for the data index
// to reach a state.
//
// The daemon's own scenarios (internal/daemon) and the reliability suite
// (internal/reliability) share it.
package daemontest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/scratch"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"

	// The detector the scenarios import with, as alpenhornd ships it.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)

// WaitLimit bounds every wait for the daemons to reach a state. It only
// ends a test that is stuck; it measures nothing.
const WaitLimit = 30 * time.Second

// RepoRoot is the module's top directory: the nearest one above this
// file holding go.mod, so that moving the package cannot break it.
func RepoRoot() string {
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Dir(here)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("daemontest: no go.mod above " + here)
		}
		dir = parent
	}
}

// BuildDaemon returns alpenhornd built with the race detector (see Build).
func BuildDaemon(t testing.TB) string {
	t.Helper()
	return Build(t, "./cmd/alpenhornd", true)
}

// builds are the programs this test binary has compiled, one per package
// and race setting: a race-enabled link takes seconds, and every test of a
// package runs the same program. They live in buildDir, which Main
// removes.
var (
	buildMu  sync.Mutex
	builds   = map[buildKey]*build{}
	buildDir string

	// mainActive is set by Main; without it buildDir would never be
	// removed, so Build refuses to run.
	mainActive atomic.Bool
)

type buildKey struct {
	pkg  string
	race bool
	tags string
}

type build struct {
	once sync.Once
	bin  string
	err  error
}

// buildDirPrefix names the directories of compiled programs.
const buildDirPrefix = "alpenhorn-testbin-"

// Build returns the command in pkg (a path relative to the module root)
// compiled for this test binary, with the race detector if race is set and
// with the build tags given. The first call for a pkg, race setting and
// tags compiles it; later ones, from any test, return the same program. A failed build fails every test that
// asks for it.
//
// Tests that run the programs are slow: with -short (`make test-short`)
// Build skips them.
func Build(t testing.TB, pkg string, race bool, tags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("SKIPPED in -short mode: runs %s as a real process (`make test` runs it)", pkg)
	}
	if !mainActive.Load() {
		t.Fatal("daemontest: call daemontest.Main(m) from TestMain in this package, so that the compiled programs are removed after the tests")
	}
	key := buildKey{pkg, race, strings.Join(tags, ",")}
	buildMu.Lock()
	b, ok := builds[key]
	if !ok {
		b = &build{}
		builds[key] = b
	}
	buildMu.Unlock()
	b.once.Do(func() { b.bin, b.err = compile(key) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

func compile(k buildKey) (string, error) {
	dir, err := programDir()
	if err != nil {
		return "", err
	}
	// Static, as `make build` makes them; the race detector needs cgo.
	// Each variant has a directory of its own, so that the program keeps
	// its name.
	variant := "static"
	args := []string{"build"}
	env := append(os.Environ(), "CGO_ENABLED=0")
	if k.race {
		variant = "race"
		args = append(args, "-race")
		env = append(os.Environ(), "CGO_ENABLED=1")
	}
	if k.tags != "" {
		variant += "-" + strings.ReplaceAll(k.tags, ",", "-")
		args = append(args, "-tags", k.tags)
	}
	bin := filepath.Join(dir, variant, filepath.Base(k.pkg))
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("go", append(args, "-o", bin, k.pkg)...)
	cmd.Dir = RepoRoot()
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", strings.Join(cmd.Args[2:], " "), err, out)
	}
	return bin, nil
}

// programDir returns buildDir, creating it on first use.
func programDir() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir == "" {
		dir, err := scratch.Dir("", buildDirPrefix)
		if err != nil {
			return "", err
		}
		buildDir = dir
	}
	return buildDir, nil
}

// Main runs the tests as testdb.Main does, and then removes the programs
// Build compiled. Packages using Build call it from TestMain.
func Main(m *testing.M) {
	mainActive.Store(true)
	code := testdb.Run(m)
	buildMu.Lock()
	if buildDir != "" {
		if err := os.RemoveAll(buildDir); err != nil {
			fmt.Fprintf(os.Stderr, "daemontest: remove compiled programs: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	buildMu.Unlock()
	os.Exit(code)
}

// World is one data index with the storage the daemons under test manage.
type World struct {
	T   testing.TB
	Bin string
	URL string
	DB  *db.DB
	Ctx context.Context
}

// NewWorld initialises the data index at url and the pattern_importer
// demo types (YYYY/MM/DD acquisitions; meta.txt and hh/mmss.dat files).
// bin is the alpenhornd the world's daemons run.
func NewWorld(t testing.TB, bin, url string) *World {
	t.Helper()
	ctx := context.Background()
	d, err := db.Create(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Init(ctx); err != nil {
		t.Fatal(err)
	}
	open := func(context.Context) (*db.DB, error) { return d, nil }
	ran := false
	for _, c := range extension.Commands(open) {
		if c.Name() != "pattern-importer" {
			continue
		}
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs([]string{"demo-init"})
		if err := c.ExecuteContext(ctx); err != nil {
			t.Fatalf("demo-init: %v\n%s", err, out.String())
		}
		ran = true
	}
	if !ran {
		t.Fatal("pattern-importer demo-init not found")
	}
	return &World{T: t, Bin: bin, URL: url, DB: d, Ctx: ctx}
}

// Exec runs one SQL statement on the data index.
func (w *World) Exec(sql string, args ...any) {
	w.T.Helper()
	if err := w.DB.Gorm.Exec(sql, args...).Error; err != nil {
		w.T.Fatalf("%s: %v", sql, err)
	}
}

// Create inserts row.
func (w *World) Create(row any) {
	w.T.Helper()
	if err := w.DB.Gorm.Create(row).Error; err != nil {
		w.T.Fatalf("create %T: %v", row, err)
	}
}

// Group creates a storage group.
func (w *World) Group(name string) *db.StorageGroup {
	w.T.Helper()
	g := &db.StorageGroup{Name: name}
	w.Create(g)
	return g
}

// NodeSpec describes a node to create; zero fields take the demo's
// defaults (Default I/O, active, non-archive, root in a new temporary
// directory).
type NodeSpec struct {
	Host       string
	Root       string
	Archive    bool
	AutoImport bool
	Inactive   bool
	Username   string
	Address    string
	IOClass    string
	IOConfig   string
}

// Node creates a node in g (creating the directory root) and returns it.
func (w *World) Node(name string, g *db.StorageGroup, s NodeSpec) *db.StorageNode {
	w.T.Helper()
	if s.Root == "" {
		s.Root = filepath.Join(w.T.TempDir(), name)
	}
	if err := os.MkdirAll(s.Root, 0o755); err != nil {
		w.T.Fatal(err)
	}
	n := &db.StorageNode{Name: name, Root: &s.Root, Host: &s.Host, GroupID: g.ID, Active: !s.Inactive,
		AutoImport: s.AutoImport, StorageType: db.StorageField}
	if s.Archive {
		n.StorageType = db.StorageArchive
	}
	if s.Username != "" {
		n.Username = &s.Username
	}
	if s.Address != "" {
		n.Address = &s.Address
	}
	if s.IOClass != "" {
		n.IOClass = &s.IOClass
	}
	if s.IOConfig != "" {
		n.IOConfig = &s.IOConfig
	}
	w.Create(n)
	return n
}

// InitNode writes the node file, as a finished `node init` would.
func (w *World) InitNode(n *db.StorageNode) {
	w.T.Helper()
	if err := os.WriteFile(filepath.Join(*n.Root, "ALPENHORN_NODE"), []byte(n.Name+"\n"), 0o644); err != nil {
		w.T.Fatal(err)
	}
}

// Request adds an import request, as `node init`, `file import` or
// `node scan` do.
func (w *World) Request(n *db.StorageNode, path string, recurse, register bool) *db.ArchiveFileImportRequest {
	w.T.Helper()
	now := db.Now()
	r := &db.ArchiveFileImportRequest{NodeID: n.ID, Path: path, Recurse: recurse, Register: register, Timestamp: &now}
	w.Create(r)
	return r
}

// Sync adds a copy request, as `file sync` does.
func (w *World) Sync(file *db.ArchiveFile, from *db.StorageNode, to *db.StorageGroup) *db.ArchiveFileCopyRequest {
	w.T.Helper()
	now := db.Now()
	r := &db.ArchiveFileCopyRequest{FileID: file.ID, NodeFromID: from.ID, GroupToID: to.ID, Timestamp: &now}
	w.Create(r)
	return r
}

// WriteFile writes data at rel under a node's root, creating directories,
// and returns its absolute path.
func WriteFile(t testing.TB, n *db.StorageNode, rel, data string) string {
	t.Helper()
	p := filepath.Join(*n.Root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ReadNodeFile returns the content of rel on node.
func ReadNodeFile(t testing.TB, n *db.StorageNode, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(*n.Root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// MD5Hex is the hex MD5 of s.
func MD5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// File registers a file of the given content (acquisition created as
// needed) and records a good copy of it on each of nodes, writing it there.
func (w *World) File(acq, name, data string, nodes ...*db.StorageNode) *db.ArchiveFile {
	w.T.Helper()
	var a db.ArchiveAcq
	if err := w.DB.Gorm.Where("name = ?", acq).Attrs(db.ArchiveAcq{Name: acq}).FirstOrCreate(&a).Error; err != nil {
		w.T.Fatal(err)
	}
	size := int64(len(data))
	sum := MD5Hex(data)
	f := &db.ArchiveFile{AcqID: a.ID, Name: name, SizeB: &size, MD5Sum: &sum, Registered: db.Now()}
	w.Create(f)
	for _, n := range nodes {
		WriteFile(w.T, n, acq+"/"+name, data)
		w.Create(&db.ArchiveFileCopy{FileID: f.ID, NodeID: n.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, SizeB: &size, LastUpdate: db.Now()})
	}
	return f
}

// CopyState returns the has_file and wants_file of file's copy on node
// ("" when there is no copy row).
func (w *World) CopyState(fileID, nodeID int64) (db.HasFile, db.WantsFile) {
	w.T.Helper()
	var c []db.ArchiveFileCopy
	if err := w.DB.Gorm.Where("file_id = ? AND node_id = ?", fileID, nodeID).Find(&c).Error; err != nil {
		w.T.Fatal(err)
	}
	if len(c) == 0 {
		return "", ""
	}
	return c[0].HasFile, c[0].WantsFile
}

// Count counts the rows of model's table matching where.
func (w *World) Count(model any, where string, args ...any) int64 {
	w.T.Helper()
	var n int64
	if err := w.DB.Gorm.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		w.T.Fatal(err)
	}
	return n
}

// CopyRequest re-reads a copy request.
func (w *World) CopyRequest(id int64) db.ArchiveFileCopyRequest {
	w.T.Helper()
	var r db.ArchiveFileCopyRequest
	if err := w.DB.Gorm.First(&r, id).Error; err != nil {
		w.T.Fatal(err)
	}
	return r
}

// ImportRequest re-reads an import request.
func (w *World) ImportRequest(id int64) db.ArchiveFileImportRequest {
	w.T.Helper()
	var r db.ArchiveFileImportRequest
	if err := w.DB.Gorm.First(&r, id).Error; err != nil {
		w.T.Fatal(err)
	}
	return r
}

// Update runs fn on the data index, as a CLI command would.
func (w *World) Update(fn func(g *gorm.DB) error) {
	w.T.Helper()
	if err := fn(w.DB.Gorm); err != nil {
		w.T.Fatal(err)
	}
}

// WaitFor polls cond until it holds, failing the test (with the daemons'
// logs) if it does not within WaitLimit or a daemon exits.
func (w *World) WaitFor(what string, cond func() bool, daemons ...*Daemon) {
	w.T.Helper()
	w.WaitForWithin(what, WaitLimit, cond, daemons...)
}

// WaitForWithin is WaitFor with another limit, for waits on bulk work.
func (w *World) WaitForWithin(what string, limit time.Duration, cond func() bool, daemons ...*Daemon) {
	w.T.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		for _, d := range daemons {
			if d.Exited() {
				w.T.Fatalf("waiting for %s: alpenhornd (%s) exited\n%s", what, d.Host, d.Log.String())
			}
		}
		if time.Now().After(deadline) {
			for _, d := range daemons {
				w.T.Logf("alpenhornd (%s) log:\n%s", d.Host, d.Log.String())
			}
			w.T.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Daemon is a running alpenhornd.
type Daemon struct {
	T    testing.TB
	Host string
	Cmd  *exec.Cmd
	Log  *SyncBuffer
	// Conf is the config file it was started with.
	Conf string
	done chan struct{}
}

// SyncBuffer is a buffer written by a daemon and read by the test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Settings are a daemon's config beyond its host name and database.
type Settings struct {
	// Workers is daemon.num_workers; -1 for none (serial I/O), 0 for two.
	Workers int
	// Interval is daemon.update_interval; 0 (the default) runs passes back
	// to back.
	Interval int
	// Daemon is more of the daemon section, as indented YAML lines.
	Daemon string
	// Level is logging.level; default debug.
	Level string
}

// StartDaemon runs alpenhornd as host until the test ends.
func (w *World) StartDaemon(host string, s Settings, env ...string) *Daemon {
	w.T.Helper()
	d := w.Spawn(host, s, nil, env...)
	w.T.Cleanup(func() { d.Stop(syscall.SIGTERM) })
	return d
}

// Spawn runs alpenhornd as host with extra command-line args; the caller
// stops it.
func (w *World) Spawn(host string, s Settings, args []string, env ...string) *Daemon {
	w.T.Helper()
	conf := filepath.Join(w.T.TempDir(), "alpenhorn.conf")
	workers := 2
	switch {
	case s.Workers < 0:
		workers = 0
	case s.Workers > 0:
		workers = s.Workers
	}
	level := s.Level
	if level == "" {
		level = "debug"
	}
	text := fmt.Sprintf(`base:
  hostname: %s
database:
  url: %s
daemon:
  update_interval: %d
  auto_import_interval: 1
  num_workers: %d
%sextensions:
  - pattern_importer
logging:
  level: %s
`, host, w.URL, s.Interval, workers, s.Daemon, level)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		w.T.Fatal(err)
	}
	d := &Daemon{T: w.T, Host: host, Log: &SyncBuffer{}, Conf: conf}
	d.start(w.Bin, append([]string{"--test-isolation", "--conf", conf}, args...), append(os.Environ(), env...))
	return d
}

// Restart starts a stopped daemon again with the same config and
// environment; its log carries on in the same buffer.
func (d *Daemon) Restart() {
	d.T.Helper()
	if !d.Exited() {
		d.T.Fatalf("alpenhornd (%s) restarted while running", d.Host)
	}
	d.start(d.Cmd.Path, d.Cmd.Args[1:], d.Cmd.Env)
}

func (d *Daemon) start(bin string, args, env []string) {
	d.T.Helper()
	d.done = make(chan struct{})
	d.Cmd = exec.Command(bin, args...)
	d.Cmd.Stdout, d.Cmd.Stderr = d.Log, d.Log
	d.Cmd.Env = env
	if err := d.Cmd.Start(); err != nil {
		d.T.Fatal(err)
	}
	cmd, done := d.Cmd, d.done
	go func() {
		cmd.Wait()
		close(done)
	}()
}

// Done is closed when the daemon has exited.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Exited reports whether the daemon has exited.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Stop signals the daemon and waits for it to exit.
func (d *Daemon) Stop(sig syscall.Signal) {
	if !d.Exited() {
		d.Cmd.Process.Signal(sig)
	}
	select {
	case <-d.done:
	case <-time.After(WaitLimit):
		d.Cmd.Process.Kill()
		<-d.done
		d.T.Errorf("alpenhornd (%s) did not stop\n%s", d.Host, d.Log.String())
	}
	if d.T.Failed() {
		d.T.Logf("alpenhornd (%s) log:\n%s", d.Host, d.Log.String())
	}
}

// Logged reports whether the daemon has logged a line containing s.
func (d *Daemon) Logged(s string) bool { return strings.Contains(d.Log.String(), s) }

// ExpectLogged fails the test for each of lines the daemon has not logged.
func (d *Daemon) ExpectLogged(t testing.TB, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if !d.Logged(line) {
			t.Errorf("not logged: %q", line)
		}
	}
}

// CountLogged counts the daemon's log lines containing s.
func (d *Daemon) CountLogged(s string) int { return strings.Count(d.Log.String(), s) }
