package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// engines are the data index engines every database-bound scenario runs
// on.
var engines = []string{"sqlite", "mariadb"}

// binaries are the programs under test, built for this run.
type binaries struct {
	cli, daemon string
	// traced is alpenhornd built with the alpenhorn_sqltrace tag: it
	// prints every statement it runs (see internal/db/sqltrace.go).
	traced string
}

// build returns the binaries, static as `make build` makes them, compiled
// once for all the scenarios.
func build(b *testing.B) binaries {
	b.Helper()
	return binaries{
		cli:    daemontest.Build(b, "./cmd/alpenhorn", false),
		daemon: daemontest.Build(b, "./cmd/alpenhornd", false),
		traced: daemontest.Build(b, "./cmd/alpenhornd", false, "alpenhorn_sqltrace"),
	}
}

// world is one data index, initialised as the seed's demo does (db init,
// then the pattern_importer demo types), with the CLI configured for it.
type world struct {
	b      *testing.B
	bins   binaries
	engine string
	url    string
	dir    string
	conf   string // the CLI's configuration file
	db     *db.DB
}

// mariadbBufferPool is the InnoDB buffer pool the benchmarks give the
// harness's server: it starts with a test-sized 32 MiB, in which a data
// index of a million copies would be read from disk at every pass, as on
// no real server.
const mariadbBufferPool = 1 << 30

var tuneOnce sync.Once

func newWorld(b *testing.B, bins binaries, engine string) *world {
	b.Helper()
	w := &world{b: b, bins: bins, engine: engine, dir: b.TempDir()}
	switch engine {
	case "sqlite":
		w.url = "sqlite:///" + filepath.Join(w.dir, "index.db")
	case "mariadb":
		w.url = testdb.MariaDB(b)
		tuneOnce.Do(func() {
			admin, err := db.Open(testdb.AdminURL(b))
			if err != nil {
				b.Fatal(err)
			}
			defer admin.Close()
			if err := admin.Gorm.Exec(fmt.Sprintf("SET GLOBAL innodb_buffer_pool_size = %d", mariadbBufferPool)).Error; err != nil {
				b.Fatal(err)
			}
		})
	default:
		b.Fatalf("unknown engine %s", engine)
	}
	w.conf = filepath.Join(w.dir, "alpenhorn.conf")
	text := fmt.Sprintf("database:\n  url: %s\nextensions:\n  - pattern_importer\n", w.url)
	if err := os.WriteFile(w.conf, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	w.cli("db", "init")
	w.cli("pattern-importer", "demo-init")
	d, err := db.Open(w.url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	w.db = d
	return w
}

// cli runs alpenhorn with args and returns its standard output; any
// failure ends the benchmark.
func (w *world) cli(args ...string) string {
	w.b.Helper()
	out, _, err := w.cliTimed(args...)
	if err != nil {
		w.b.Fatal(err)
	}
	return out
}

// cliTimed runs alpenhorn and also returns the CPU time (user + system)
// it used.
func (w *world) cliTimed(args ...string) (string, time.Duration, error) {
	cmd := exec.Command(w.bins.cli, append([]string{"--test-isolation", "--conf", w.conf}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), 0, fmt.Errorf("alpenhorn %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// exec runs one statement on the data index.
func (w *world) exec(sql string, args ...any) {
	w.b.Helper()
	if err := w.db.Gorm.Exec(sql, args...).Error; err != nil {
		w.b.Fatalf("%s: %v", sql, err)
	}
}

func (w *world) count(sql string, args ...any) int64 {
	w.b.Helper()
	var n int64
	if err := w.db.Gorm.Raw(sql, args...).Scan(&n).Error; err != nil {
		w.b.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (w *world) id(sql string, args ...any) int64 {
	w.b.Helper()
	var ids []int64
	if err := w.db.Gorm.Raw(sql, args...).Scan(&ids).Error; err != nil || len(ids) != 1 {
		w.b.Fatalf("%s: %v (%d rows)", sql, err, len(ids))
	}
	return ids[0]
}

// nodeOpts are a storage node's settings beyond its name and group.
type nodeOpts struct {
	host, root        string
	address, username string
	ioClass           string
	// extra are more `node create` options.
	extra []string
}

// node creates an active node with the CLI, in group (created first when
// it is not there yet), and writes its ALPENHORN_NODE file when it has a
// root, as `node init` would have the daemon do. It returns the node's id.
func (w *world) node(name, group string, o nodeOpts) int64 {
	w.b.Helper()
	if w.count("SELECT COUNT(*) FROM storagegroup WHERE name = ?", group) == 0 {
		w.cli("group", "create", group)
	}
	args := []string{"node", "create", name, "--group", group, "--activate"}
	for _, kv := range [][2]string{{"--host", o.host}, {"--root", o.root}, {"--address", o.address},
		{"--username", o.username}, {"--class", o.ioClass}} {
		if kv[1] != "" {
			args = append(args, kv[0], kv[1])
		}
	}
	w.cli(append(args, o.extra...)...)
	if o.root != "" {
		if err := os.MkdirAll(o.root, 0o755); err != nil {
			w.b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(o.root, "ALPENHORN_NODE"), []byte(name+"\n"), 0o644); err != nil {
			w.b.Fatal(err)
		}
	}
	return w.id("SELECT id FROM storagenode WHERE name = ?", name)
}

func (w *world) groupID(name string) int64 {
	w.b.Helper()
	return w.id("SELECT id FROM storagegroup WHERE name = ?", name)
}

// Files follow the seed's layout, and pass the pattern_importer demo's
// patterns: acquisitions are days (2025/01/01, 2025/01/02, …) of
// filesPerAcq files named hh/mmss.dat (00/0000.dat … 09/1639.dat).
const filesPerAcq = 10000

func acqName(i int) string {
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/filesPerAcq).Format("2006/01/02")
}

func fileName(i int) string {
	j := i % filesPerAcq
	k := j % 1000
	return fmt.Sprintf("%02d/%02d%02d.dat", j/1000, k/60, k%60)
}

func filePath(i int) string { return acqName(i) + "/" + fileName(i) }

// smallData is the content of small file i: a line of numbers, like the
// demo's files.
func smallData(i int) []byte {
	return []byte(fmt.Sprintf("%d %d %d %d %d %d\n", i, i+1, i+2, i+3, i+4, i+5))
}

// writeSmallFiles writes files 0…n-1 under root.
func writeSmallFiles(b *testing.B, root string, n int) {
	b.Helper()
	made := map[string]bool{}
	for i := range n {
		p := filepath.Join(root, filePath(i))
		if dir := filepath.Dir(p); !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			made[dir] = true
		}
		if err := os.WriteFile(p, smallData(i), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// registerFiles records files 0…n-1 in the data index (acquisitions and
// files, with their real sizes and MD5 sums from data) and returns the
// first file id; ids are consecutive. Rows go in with multi-row INSERTs,
// as a bulk loader would, their values written into the statements (all
// are made here: numbers, hex digits and names of digits, '/' and '.'),
// since the SQLite driver binds parameters in time quadratic in their
// number.
func (w *world) registerFiles(n int, data func(int) []byte) int64 {
	w.b.Helper()
	now := db.Now().Format()
	acqs := map[string]int64{}
	for i := 0; i < n; i += filesPerAcq {
		name := acqName(i)
		w.exec("INSERT INTO archiveacq (name) VALUES (?)", name)
		acqs[name] = w.id("SELECT id FROM archiveacq WHERE name = ?", name)
	}
	const chunk = 1000
	err := w.db.Gorm.Transaction(func(tx *gorm.DB) error {
		for start := 0; start < n; start += chunk {
			var sql strings.Builder
			sql.WriteString("INSERT INTO archivefile (acq_id, name, size_b, md5sum, registered) VALUES ")
			for i := start; i < min(start+chunk, n); i++ {
				if i > start {
					sql.WriteString(", ")
				}
				d := data(i)
				sum := md5.Sum(d)
				fmt.Fprintf(&sql, "(%d, '%s', %d, '%s', '%s')", acqs[acqName(i)], fileName(i), len(d), hex.EncodeToString(sum[:]), now)
			}
			if err := tx.Exec(sql.String()).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.b.Fatal(err)
	}
	first := w.id("SELECT MIN(id) FROM archivefile")
	if got := w.count("SELECT MAX(id) - MIN(id) + 1 FROM archivefile"); got != int64(n) {
		w.b.Fatalf("file ids not consecutive: %d for %d files", got, n)
	}
	return first
}

// addCopies records a present copy on node of every file with id in
// [from, to], ready to be read.
func (w *world) addCopies(node, from, to int64) { w.addCopiesReady(node, from, to, true) }

// addCopiesReady records present copies as addCopies does; copies not
// ready are, on an HSM node, on tape.
func (w *world) addCopiesReady(node, from, to int64, ready bool) {
	w.b.Helper()
	w.exec(`INSERT INTO archivefilecopy (file_id, node_id, has_file, wants_file, ready, size_b, last_update)
 SELECT id, ?, 'Y', 'Y', ?, size_b, ? FROM archivefile WHERE id BETWEEN ? AND ?`, node, ready, db.Now(), from, to)
}

// addRequests adds a pending copy request from node to group for every
// file with id in [from, to].
func (w *world) addRequests(node, group, from, to int64) {
	w.b.Helper()
	w.exec(`INSERT INTO archivefilecopyrequest (file_id, group_to_id, node_from_id, completed, cancelled, timestamp)
 SELECT id, ?, ?, 0, 0, ? FROM archivefile WHERE id BETWEEN ? AND ?`, group, node, db.Now(), from, to)
}

// daemonOpts are an alpenhornd's settings.
type daemonOpts struct {
	host     string
	workers  int
	interval int  // daemon.update_interval
	wake     bool // daemon.wake_on_requests
	traced   bool
	env      []string
	extra    string // more YAML
}

// daemon is a running alpenhornd whose log the benchmark reads as it is
// written.
type daemon struct {
	b    *testing.B
	host string
	cmd  *exec.Cmd
	done chan struct{}

	mu       sync.Mutex
	tail     []string // the last lines, for failure reports
	counters []*counter
	passes   []pass
	mainSQL  []string // SQLTRACE lines of the main thread since the last pass
	allSQL   int      // SQLTRACE lines of every thread
}

// pass is one "Main loop execution was …" line.
type pass struct {
	at     time.Time
	logged string // as logged, e.g. "0.3s"
	// queries the update loop ran (traced daemons only).
	queries int
	// statements are their SQLTRACE lines.
	statements []string
}

// counter counts the log lines containing a string.
type counter struct {
	substr      string
	n           int
	first, last time.Time // when the first and the last of them were read
}

const tailLines = 200

// startDaemon runs alpenhornd with o until the benchmark ends. counted
// are the log line contents to count from the start.
func (w *world) startDaemon(o daemonOpts, counted ...string) *daemon {
	w.b.Helper()
	if o.interval == 0 {
		o.interval = 1
	}
	conf := filepath.Join(w.b.TempDir(), "alpenhornd.conf")
	text := fmt.Sprintf(`base:
  hostname: %s
database:
  url: %s
daemon:
  update_interval: %d
  wake_on_requests: %t
  num_workers: %d
extensions:
  - pattern_importer
logging:
  level: info
%s`, o.host, w.url, o.interval, o.wake, o.workers, o.extra)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		w.b.Fatal(err)
	}
	bin := w.bins.daemon
	if o.traced {
		bin = w.bins.traced
	}
	d := &daemon{b: w.b, host: o.host, done: make(chan struct{})}
	for _, s := range counted {
		d.counters = append(d.counters, &counter{substr: s})
	}
	r, wr, err := os.Pipe()
	if err != nil {
		w.b.Fatal(err)
	}
	d.cmd = exec.Command(bin, "--test-isolation", "--conf", conf)
	d.cmd.Stdout, d.cmd.Stderr = wr, wr
	d.cmd.Env = append(os.Environ(), o.env...)
	if err := d.cmd.Start(); err != nil {
		w.b.Fatal(err)
	}
	wr.Close()
	go d.read(r)
	w.b.Cleanup(func() { d.stop() })
	return d
}

func (d *daemon) read(r *os.File) {
	defer close(d.done)
	defer d.cmd.Wait()
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		now := time.Now()
		d.mu.Lock()
		if strings.HasPrefix(line, "SQLTRACE ") {
			d.allSQL++
			if rest, ok := strings.CutPrefix(line, "SQLTRACE [MainThread] "); ok {
				d.mainSQL = append(d.mainSQL, rest)
			}
			d.mu.Unlock()
			continue
		}
		if len(d.tail) == tailLines {
			d.tail = d.tail[1:]
		}
		d.tail = append(d.tail, line)
		for _, c := range d.counters {
			if strings.Contains(line, c.substr) {
				if c.n == 0 {
					c.first = now
				}
				c.n++
				c.last = now
			}
		}
		if _, after, ok := strings.Cut(line, "Main loop execution was "); ok {
			d.passes = append(d.passes, pass{at: now, logged: strings.TrimSuffix(after, "."), queries: len(d.mainSQL), statements: d.mainSQL})
			d.mainSQL = nil
		}
		d.mu.Unlock()
	}
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.tail, "\n")
}

// stop ends the daemon with SIGTERM (SIGKILL if it takes too long).
func (d *daemon) stop() {
	if d.exited() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(90 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// kill ends the daemon at once, abandoning its queued tasks.
func (d *daemon) kill() {
	if !d.exited() {
		d.cmd.Process.Kill()
	}
	<-d.done
}

// seen returns how many lines containing substr (one of the counted
// strings) were read, and when the last of them was.
func (d *daemon) seen(substr string) (int, time.Time) {
	c := d.counter(substr)
	return c.n, c.last
}

// firstSeen returns when the first line containing substr was read.
func (d *daemon) firstSeen(substr string) time.Time { return d.counter(substr).first }

func (d *daemon) counter(substr string) counter {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.counters {
		if c.substr == substr {
			return *c
		}
	}
	d.b.Fatalf("%q is not counted", substr)
	return counter{}
}

// statements returns how many statements a traced daemon has run.
func (d *daemon) statements() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.allSQL
}

// passList returns the passes logged so far.
func (d *daemon) passList() []pass {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]pass(nil), d.passes...)
}

// waitFor polls cond until it holds; it fails the benchmark when the
// daemon exits or limit passes first.
func (d *daemon) waitFor(what string, limit time.Duration, cond func() bool) {
	d.b.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if d.exited() {
			d.b.Fatalf("waiting for %s: alpenhornd (%s) exited:\n%s", what, d.host, d.log())
		}
		if time.Now().After(deadline) {
			d.b.Fatalf("gave up waiting %s for %s; alpenhornd (%s) log ends:\n%s", limit, what, d.host, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSeen waits for n lines containing substr and returns when the n-th
// was read.
func (d *daemon) waitSeen(substr string, n int, limit time.Duration) time.Time {
	d.b.Helper()
	var at time.Time
	d.waitFor(fmt.Sprintf("%d × %q", n, substr), limit, func() bool {
		var got int
		got, at = d.seen(substr)
		return got >= n
	})
	return at
}

// waitPasses waits until the daemon has logged n passes.
func (d *daemon) waitPasses(n int, limit time.Duration) []pass {
	d.b.Helper()
	d.waitFor(fmt.Sprintf("%d passes", n), limit, func() bool { return len(d.passList()) >= n })
	return d.passList()
}

// procStatus holds the memory figures of /proc/PID/status, in bytes.
type procStatus struct{ rss, hwm int64 }

func readStatus(pid int) (procStatus, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, err
	}
	var s procStatus
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			s.rss = kb << 10
		case "VmHWM":
			s.hwm = kb << 10
		}
	}
	return s, nil
}

// cpuTime returns the user + system CPU time the process has used
// (/proc/PID/stat fields 14 and 15).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from its
	// closing parenthesis.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * time.Second / time.Duration(clockTicks()), nil
}

var clockTicks = sync.OnceValue(func() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if n, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && perr == nil && n > 0 {
		return n
	}
	return 100
})

// rssSampler records the largest resident set of a process, sampled every
// 50 ms until stopped.
type rssSampler struct {
	max  int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if st, err := readStatus(pid); err == nil && st.rss > s.max {
				s.max = st.rss
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// end stops sampling and returns the largest RSS seen.
func (s *rssSampler) end() int64 {
	close(s.stop)
	<-s.done
	return s.max
}

// run runs a command, failing the benchmark if it fails, and returns how
// long it took.
func run(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return time.Since(start)
}

// parallel runs the commands at once and returns the time until the last
// one finished.
func parallel(b *testing.B, cmds ...[]string) time.Duration {
	b.Helper()
	start := time.Now()
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() {
			out, err := exec.CommandContext(context.Background(), c[0], c[1:]...).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return elapsed
}

var perfDir = flag.String("perf", "", "record a `perf` CPU profile of the daemon during each measured window into this directory")

// profile records, with perf (when -perf is given), where the daemon
// spends its CPU until the returned function is called. Read the result
// with `perf report -i FILE --no-children`.
func (d *daemon) profile(label string) (stop func()) {
	d.b.Helper()
	if *perfDir == "" {
		return func() {}
	}
	name := strings.NewReplacer("/", "_", " ", "_", "=", "").Replace(d.b.Name()+"_"+label) + ".perf"
	cmd := exec.Command("perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", strconv.Itoa(d.pid()),
		"-o", filepath.Join(*perfDir, name))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		d.b.Fatalf("perf: %v", err)
	}
	return func() {
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			d.b.Logf("perf: %v\n%s", err, out.String())
		}
	}
}

const mib = 1 << 20

// inMiB converts bytes to MiB.
func inMiB(n int64) float64 { return float64(n) / mib }
