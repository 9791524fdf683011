package nodeio

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/metrics"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// The fixtures of the tests of the non-default I/O classes: a data index
// with storage on real directories, a queue whose workers start only when
// a test lets the queued work run, a record of the log, and a stand-in
// for the lfs(1) tool of Lustre, which is not installed here.

// testHost is the host the daemon under test runs as.
const testHost = "alpenhost"

// drainLimit only ends a test whose tasks never finish; it measures
// nothing.
const drainLimit = 60 * time.Second

// classWorld is a data index and the storage it describes.
type classWorld struct {
	t     *testing.T
	ctx   context.Context
	env   *Env
	db    *db.DB
	queue *scheduler.Queue
	pool  *scheduler.Pool
	dir   string
	// failures are the tasks reported failed; the scheduler logs them and
	// goes on, so a test would otherwise see only what they left undone.
	failures *taskFailures
}

// taskFailures is a log hook that collects the scheduler's reports of
// failed tasks and cleanups.
type taskFailures struct {
	mu    sync.Mutex
	lines []string
}

func (f *taskFailures) Levels() []logrus.Level { return []logrus.Level{logrus.ErrorLevel} }

func (f *taskFailures) Fire(e *logrus.Entry) error {
	if strings.HasPrefix(e.Message, "Cleanup of task ") ||
		strings.HasPrefix(e.Message, "Task ") && strings.Contains(e.Message, " failed: ") {
		f.mu.Lock()
		f.lines = append(f.lines, e.Message)
		f.mu.Unlock()
	}
	return nil
}

func (f *taskFailures) first() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.lines) == 0 {
		return "", false
	}
	return f.lines[0], true
}

// testThreads connects the scheduler to the logging, as the daemon does.
type testThreads struct{}

func (testThreads) WithThread(ctx context.Context, name string) context.Context {
	return logging.ContextWithThread(ctx, name)
}

func (testThreads) Entry(ctx context.Context, component string) *logrus.Entry {
	return logging.FromContext(ctx, component)
}

// newClassWorld initialises the data index at url; url "" gives a world
// without one, for classes whose decisions do not read it.
func newClassWorld(t *testing.T, url string) *classWorld {
	t.Helper()
	w := &classWorld{t: t, ctx: context.Background(), dir: t.TempDir()}
	if url != "" {
		d, err := db.Create(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if _, err := d.Init(w.ctx); err != nil {
			t.Fatal(err)
		}
		w.db = d
	}
	w.failures = new(taskFailures)
	l := logging.Named("").Logger
	old := l.ReplaceHooks(logrus.LevelHooks{})
	hooks := logrus.LevelHooks{}
	for lvl, hs := range old {
		hooks[lvl] = slices.Clone(hs)
	}
	hooks.Add(w.failures)
	l.ReplaceHooks(hooks)
	t.Cleanup(func() { l.ReplaceHooks(old) })
	w.queue = scheduler.NewQueue(testThreads{})
	w.env = &Env{
		DB:    w.db,
		Queue: w.queue,
		Settings: config.Daemon{Hostname: testHost, PullTimeoutBase: config.DefaultPullTimeoutBase,
			PullBytesPerSecond: config.DefaultPullBytesPerSecond, AutoImportInterval: config.DefaultAutoImportInterval},
		Metrics: metrics.New(testHost),
	}
	t.Cleanup(func() {
		if w.pool != nil {
			ctx, cancel := context.WithTimeout(context.Background(), drainLimit)
			defer cancel()
			w.pool.Stop(ctx)
		}
	})
	return w
}

// run starts the workers, if not yet started, and waits until every task
// queued so far, and every task those queue, has ended.
func (w *classWorld) run() {
	w.t.Helper()
	w.start()
	w.waitFor("the queue to empty", func() bool {
		q, d, p := w.queue.Counts()
		return q+d+p == 0
	})
}

// start starts the workers, if not yet started: from now on tasks run as
// soon as they are queued.
func (w *classWorld) start() {
	if w.pool == nil {
		w.pool = scheduler.NewPool(w.ctx, w.queue, scheduler.Options{Workers: 2, IsDBError: db.IsError})
	}
}

// waitFor waits until cond holds, failing the test if a task fails.
func (w *classWorld) waitFor(what string, cond func() bool) {
	w.t.Helper()
	end := time.Now().Add(drainLimit)
	for {
		// Failures are looked at after cond: a failed task is logged
		// before it leaves the queue, so an empty queue cannot hide one.
		done := cond()
		if msg, failed := w.failures.first(); failed {
			w.t.Fatalf("a task failed waiting for %s: %s", what, msg)
		}
		if done {
			return
		}
		if time.Now().After(end) {
			w.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *classWorld) create(v any) {
	w.t.Helper()
	if err := w.db.Gorm.Omit("Group", "Acq", "File", "Node", "NodeFrom", "GroupTo").Create(v).Error; err != nil {
		w.t.Fatal(err)
	}
}

func (w *classWorld) group(name, ioClass, ioConfig string) *db.StorageGroup {
	w.t.Helper()
	g := &db.StorageGroup{Name: name, IOClass: optional(ioClass), IOConfig: optional(ioConfig)}
	if w.db != nil {
		w.create(g)
	}
	return g
}

// nodeSpec describes a node; the zero value is an active field node of
// class Default on this host.
type nodeSpec struct {
	ioClass, ioConfig string
	storage           db.StorageType
	host              string
	availGB           *float64
	minAvailGB        float64
	maxTotalGB        *float64
}

// node creates a node whose root is a new directory, initialised (its
// node file names it) unless of the HSM class, which has no node file.
func (w *classWorld) node(name string, g *db.StorageGroup, spec nodeSpec) *db.StorageNode {
	w.t.Helper()
	root := filepath.Join(w.dir, name)
	if err := os.MkdirAll(root, 0o755); err != nil {
		w.t.Fatal(err)
	}
	if spec.ioClass != "LustreHSM" {
		if err := os.WriteFile(filepath.Join(root, nodeFile), []byte(name+"\n"), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	if spec.storage == "" {
		spec.storage = db.StorageField
	}
	if spec.host == "" {
		spec.host = testHost
	}
	n := &db.StorageNode{Name: name, Root: &root, Host: &spec.host, IOClass: optional(spec.ioClass),
		IOConfig: optional(spec.ioConfig), GroupID: g.ID, Active: true, StorageType: spec.storage,
		AvailGB: spec.availGB, MinAvailGB: spec.minAvailGB, MaxTotalGB: spec.maxTotalGB}
	if w.db != nil {
		w.create(n)
	}
	n.Group = g
	return n
}

// nodeIO sets up the node's I/O instance, as the daemon does.
func (w *classWorld) nodeIO(n *db.StorageNode) *classNode {
	w.t.Helper()
	nio, err := NewNodeIO(w.env, n, w.queue.NewFIFO("Node "+n.Name))
	if err != nil {
		w.t.Fatal(err)
	}
	return &classNode{nio: nio, queue: w.queue}
}

func (w *classWorld) groupIO(g *db.StorageGroup) GroupIO {
	w.t.Helper()
	gio, err := NewGroupIO(w.env, g, w.queue.NewFIFO("Group "+g.Name))
	if err != nil {
		w.t.Fatal(err)
	}
	return gio
}

// file registers acq/name with content, and writes it on each of the
// nodes given.
func (w *classWorld) file(acq, name, content string, on ...*db.StorageNode) *db.ArchiveFile {
	w.t.Helper()
	var a db.ArchiveAcq
	if err := w.db.Gorm.Where(db.ArchiveAcq{Name: acq}).FirstOrCreate(&a).Error; err != nil {
		w.t.Fatal(err)
	}
	sum := md5.Sum([]byte(content))
	size := int64(len(content))
	md5sum := hex.EncodeToString(sum[:])
	f := &db.ArchiveFile{AcqID: a.ID, Name: name, SizeB: &size, MD5Sum: &md5sum, Registered: db.Now()}
	w.create(f)
	f.Acq = &a
	for _, n := range on {
		w.write(n, acq+"/"+name, content)
	}
	return f
}

// write puts a file on a node's disk.
func (w *classWorld) write(n *db.StorageNode, path, content string) string {
	w.t.Helper()
	p := filepath.Join(*n.Root, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// copy records a copy of f on n.
func (w *classWorld) copy(f *db.ArchiveFile, n *db.StorageNode, has db.HasFile, ready bool, updated time.Time) *db.ArchiveFileCopy {
	w.t.Helper()
	c := &db.ArchiveFileCopy{FileID: f.ID, NodeID: n.ID, HasFile: has, WantsFile: db.WantYes, Ready: ready,
		SizeB: f.SizeB, LastUpdate: db.NewTime(updated)}
	w.create(c)
	c.File = f
	return c
}

// reread returns a copy row as the data index now has it.
func (w *classWorld) reread(c *db.ArchiveFileCopy) db.ArchiveFileCopy {
	w.t.Helper()
	var got db.ArchiveFileCopy
	if err := w.db.Gorm.Where("id = ?", c.ID).Take(&got).Error; err != nil {
		w.t.Fatal(err)
	}
	return got
}

// copyOn returns the copy of f on n, if any.
func (w *classWorld) copyOn(f *db.ArchiveFile, n *db.StorageNode) *db.ArchiveFileCopy {
	w.t.Helper()
	var got []db.ArchiveFileCopy
	if err := w.db.Gorm.Where("file_id = ? AND node_id = ?", f.ID, n.ID).Find(&got).Error; err != nil {
		w.t.Fatal(err)
	}
	if len(got) == 0 {
		return nil
	}
	return &got[0]
}

// request asks for f to be copied from src into g.
func (w *classWorld) request(f *db.ArchiveFile, src *db.StorageNode, g *db.StorageGroup) *db.ArchiveFileCopyRequest {
	w.t.Helper()
	now := db.Now()
	r := &db.ArchiveFileCopyRequest{FileID: f.ID, GroupToID: g.ID, NodeFromID: src.ID, Timestamp: &now}
	w.create(r)
	r.File, r.NodeFrom, r.GroupTo = f, src, g
	return r
}

// classNode is a node as the daemon hands it to a group I/O class.
type classNode struct {
	nio   NodeIO
	queue *scheduler.Queue
}

func (n *classNode) Name() string { return n.Row().Name }
func (n *classNode) IO() NodeIO   { return n.nio }
func (n *classNode) Idle() bool   { return n.queue.FIFOSize(n.nio.FIFO()) == 0 }

func (n *classNode) Row() *db.StorageNode {
	return n.nio.(interface{ Row() *db.StorageNode }).Row()
}

// queued is how many tasks the node has queued or running.
func (n *classNode) queued() int { return n.queue.FIFOSize(n.nio.FIFO()) }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func gb(v float64) *float64 { return &v }

// logRecord collects what is logged during a test, DEBUG included, as
// "LEVEL message" lines.
type logRecord struct{ hook *test.Hook }

func recordLog(t *testing.T) *logRecord {
	t.Helper()
	l := logging.Named("").Logger
	h := new(test.Hook)
	old := l.ReplaceHooks(logrus.LevelHooks{})
	hooks := logrus.LevelHooks{}
	for lvl, hs := range old {
		hooks[lvl] = slices.Clone(hs)
	}
	hooks.Add(h)
	l.ReplaceHooks(hooks)
	level := l.GetLevel()
	l.SetLevel(logrus.DebugLevel)
	t.Cleanup(func() {
		l.SetLevel(level)
		l.ReplaceHooks(old)
	})
	return &logRecord{hook: h}
}

func (r *logRecord) lines() []string {
	var out []string
	for _, e := range r.hook.AllEntries() {
		level := strings.ToUpper(e.Level.String())
		if level == "WARN" {
			level = "WARNING"
		}
		out = append(out, level+" "+e.Message)
	}
	return out
}

// expect fails the test unless each line was logged.
func (r *logRecord) expect(t *testing.T, lines ...string) {
	t.Helper()
	got := r.lines()
	for _, want := range lines {
		if !slices.Contains(got, want) {
			t.Errorf("not logged: %q\nlog:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// expectPrefix fails the test unless a line starting with prefix was
// logged.
func (r *logRecord) expectPrefix(t *testing.T, prefix string) {
	t.Helper()
	if !slices.ContainsFunc(r.lines(), func(l string) bool { return strings.HasPrefix(l, prefix) }) {
		t.Errorf("not logged: %q...\nlog:\n%s", prefix, strings.Join(r.lines(), "\n"))
	}
}

// refuse fails the test if a line containing text was logged.
func (r *logRecord) refuse(t *testing.T, text string) {
	t.Helper()
	for _, l := range r.lines() {
		if strings.Contains(l, text) {
			t.Errorf("unexpectedly logged: %q", l)
		}
	}
}

func (r *logRecord) reset() { r.hook.Reset() }

// fakeLFSScript stands in for lfs(1): it keeps the HSM state of each real
// file FILE in state/FILE beside the script (unarchived when absent), lets
// hsm_restore start a restore that completes once hsm_action has reported
// it running, prints quota.out for any quota query, and records every
// invocation in calls. Knobs: state/FILE.restore ("missing" or "fail")
// and state/FILE.release make those requests fail; state/FILE.hold keeps
// a restore of the file running; a line in hang names a
// command that never finishes; quota.fail fails quota queries. The states
// "garbage" and "broken" make hsm_state print nonsense or fail.
const fakeLFSScript = `#!/bin/sh
dir=$(dirname "$0")
echo "$*" >> "$dir/calls"
cmd=$1
shift
if [ -f "$dir/hang" ] && grep -qx "$cmd" "$dir/hang"; then
	exec sleep 30
fi
if [ "$cmd" = quota ]; then
	if [ -f "$dir/quota.fail" ]; then
		echo "lfs quota: quotactl failed: Operation not permitted" >&2
		exit 1
	fi
	cat "$dir/quota.out"
	exit 0
fi
p=$1
sf=$dir/state$p
if [ ! -e "$p" ]; then
	echo "lfs $cmd: cannot get status for '$p': No such file or directory" >&2
	exit 2
fi
st=unarchived
if [ -f "$sf" ]; then
	st=$(cat "$sf")
fi
case $cmd in
hsm_state)
	case $st in
	unarchived) echo "$p: (0x00000000)" ;;
	restored) echo "$p: (0x00000009) exists archived, archive_id:1" ;;
	garbage) echo "lfs: something unexpected" ;;
	broken)
		echo "lfs hsm_state: '$p': Input/output error" >&2
		exit 5
		;;
	*) echo "$p: (0x0000000d) released exists archived, archive_id:1" ;;
	esac
	;;
hsm_action)
	if [ "$st" = restoring ]; then
		echo "$p: RESTORE waiting (from 0 to EOF)"
		if [ ! -f "$sf.hold" ]; then
			echo restored > "$sf"
		fi
	else
		echo "$p: NOOP"
	fi
	;;
hsm_restore)
	if [ -f "$sf.restore" ]; then
		if [ "$(cat "$sf.restore")" = missing ]; then
			echo "lfs hsm_restore: '$p': No such file or directory" >&2
			exit 2
		fi
		echo "lfs hsm_restore: '$p': Input/output error" >&2
		exit 5
	fi
	mkdir -p "$(dirname "$sf")"
	echo restoring > "$sf"
	;;
hsm_release)
	if [ "$st" != restored ] || [ -f "$sf.release" ]; then
		echo "lfs hsm_release: '$p': Operation not permitted" >&2
		exit 1
	fi
	echo released > "$sf"
	;;
*)
	echo "lfs: unknown command $cmd" >&2
	exit 1
	;;
esac
`

// fakeLFS is an installed copy of fakeLFSScript.
type fakeLFS struct {
	t    *testing.T
	dir  string
	path string
}

// newFakeLFS installs the stand-in as "lfs" in a directory of its own,
// which onPath puts first on PATH.
func newFakeLFS(t *testing.T) *fakeLFS {
	t.Helper()
	dir := t.TempDir()
	f := &fakeLFS{t: t, dir: dir, path: filepath.Join(dir, "lfs")}
	if err := os.WriteFile(f.path, []byte(fakeLFSScript), 0o755); err != nil {
		t.Fatal(err)
	}
	f.setQuota("")
	return f
}

func (f *fakeLFS) onPath() {
	f.t.Setenv("PATH", f.dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func (f *fakeLFS) put(name, content string) {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// setState sets the HSM state of the file at the absolute path.
func (f *fakeLFS) setState(path, state string) { f.put("state"+path, state+"\n") }

// state is the HSM state of the file at the absolute path.
func (f *fakeLFS) state(path string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, "state"+path))
	if os.IsNotExist(err) {
		return "unarchived"
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// failRestore makes hsm_restore of the file fail: "missing" reports the
// file missing, anything else an I/O error.
func (f *fakeLFS) failRestore(path, how string) { f.put("state"+path+".restore", how) }

func (f *fakeLFS) failRelease(path string) { f.put("state"+path+".release", "") }

// holdRestore keeps a restore of the file running until finishRestore.
func (f *fakeLFS) holdRestore(path string) { f.put("state"+path+".hold", "") }

func (f *fakeLFS) finishRestore(path string) {
	if err := os.Remove(filepath.Join(f.dir, "state"+path+".hold")); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeLFS) hang(cmd string) { f.put("hang", cmd+"\n") }

func (f *fakeLFS) setQuota(out string) { f.put("quota.out", out) }

func (f *fakeLFS) failQuota() { f.put("quota.fail", "") }

// calls returns the argument lists lfs was run with, and forgets them.
func (f *fakeLFS) calls() []string {
	f.t.Helper()
	p := filepath.Join(f.dir, "calls")
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	os.Remove(p)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// quotaConfig is an io_config for a Lustre node using the stand-in.
func quotaConfig(extra string) string {
	c := `{"quota_id": "alpenhorn", "quota_type": "group"`
	if extra != "" {
		c += ", " + extra
	}
	return c + "}"
}

// mustUpdate changes columns of a row directly.
func (w *classWorld) mustUpdate(model any, id int64, cols map[string]any) {
	w.t.Helper()
	if err := w.db.Gorm.Model(model).Where("id = ?", id).Updates(cols).Error; err != nil {
		w.t.Fatal(err)
	}
}
