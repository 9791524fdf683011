package testdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radiocosmology/alpenhorn-go/internal/childproc"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/scratch"
)

const (
	envMariaDBD       = "ALPENHORN_TEST_MARIADBD"
	envRequireMariaDB = "ALPENHORN_TEST_REQUIRE_MARIADB"

	skipMessage    = "MariaDB tests SKIPPED: no mariadbd installed (apt-get install mariadb-server)"
	requireMessage = "MariaDB tests required (" + envRequireMariaDB + " is set) but no mariadbd installed (apt-get install mariadb-server)"

	// dbUser is the account tests connect as. It holds every privilege so
	// that tests may create and drop databases and kill connections.
	dbUser = "alpenhorn"

	// baseDirPrefix names the temporary directory holding a server's data
	// directory, socket and log.
	baseDirPrefix = "alpenhorn-mariadb-"

	// Generous bounds: on a loaded two-core machine several test binaries
	// start their servers at once.
	installTimeout = 2 * time.Minute
	startTimeout   = 2 * time.Minute
	stopTimeout    = time.Minute
)

// tuning keeps the server small and quick to start. Committed transactions
// are written to the OS on every commit, so they survive a killed server,
// which is all that outage tests need; only an OS crash could lose them.
var tuning = []string{
	"--innodb-buffer-pool-size=32M",
	"--innodb-log-file-size=8M",
	"--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
	"--innodb-flush-log-at-trx-commit=2",
	"--skip-log-bin",
	"--skip-name-resolve",
}

// programDirs are searched after PATH: mariadbd lives in /usr/sbin, which an
// ordinary user's PATH often lacks.
var programDirs = []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"}

var (
	// mainActive is set by Main. A server started without it would never
	// be shut down, so MariaDB refuses to start one.
	mainActive atomic.Bool

	skipNotice sync.Once

	// mu guards the server: starting, stopping and creating databases.
	mu       sync.Mutex
	launched bool
	srv      *server
	startErr error // why the first start failed; it stays failed
)

type server struct {
	bin       string // mariadbd
	installer string // mariadb-install-db
	base      string
	port      int
	password  string
	// extra are further server options (a Galera node's wsrep settings).
	extra []string

	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd has been waited for
	waitErr error
	admin   *sql.DB // root through the private socket
}

// MariaDBAvailable reports whether a MariaDB server program is installed
// (and not hidden by ALPENHORN_TEST_MARIADBD=none). It does not start one.
func MariaDBAvailable() bool {
	_, _, ok := findBinaries()
	return ok
}

// MariaDB returns the URL of a new, empty database on the test binary's
// MariaDB server, mysql://user:pass@127.0.0.1:PORT/t_<random>, starting the
// server on first use. The database is dropped when the test ends. Without
// MariaDB installed the test is skipped.
func MariaDB(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	s := ensureServer(t)
	if !s.running() {
		t.Fatal("testdb: the MariaDB server is stopped; call testdb.Restart to start it again")
	}
	name := "t_" + randomHex(6)
	if _, err := s.admin.Exec("CREATE DATABASE `" + name + "`"); err != nil {
		t.Fatalf("testdb: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if !s.running() {
			t.Errorf("testdb: cannot drop database %s: the MariaDB server is stopped", name)
			return
		}
		if _, err := s.admin.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	return s.url(name)
}

// AdminURL returns a URL for the test binary's MariaDB server that connects,
// with every privilege, to its "mysql" system database. Tests use it for
// work across databases, such as killing other connections.
func AdminURL(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	return ensureServer(t).url("mysql")
}

// Stop shuts the MariaDB server down, so that a test can watch what happens
// while the database is unreachable. Restart brings it back on the same
// port with the same data; if the test does not, the server is restarted
// when the test ends. Tests that stop the server must not run in parallel
// with other MariaDB tests of the same package.
func Stop(t testing.TB) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	s := stopServer(t)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if !s.running() {
			if err := s.start(); err != nil {
				t.Errorf("testdb: restart MariaDB after the test: %v", err)
			}
		}
	})
}

// Restart stops the MariaDB server if it is running and starts it again on
// the same port with the same data directory, returning once it accepts
// connections. The same restriction on parallel tests as for Stop applies.
func Restart(t testing.TB) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := stopServer(t).start(); err != nil {
		t.Fatalf("testdb: restart MariaDB: %v", err)
	}
}

// stopServer stops the server, starting it first if need be, and returns
// it. The caller holds mu.
func stopServer(t testing.TB) *server {
	t.Helper()
	s := ensureServer(t)
	if err := s.stop(); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return s
}

// Main runs the tests and then stops the MariaDB servers that were
// started (the single server, the Galera cluster's nodes) and removes
// their files. Packages using MariaDB call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns the exit code, for a TestMain
// with clean-up of its own to do.
func Run(m *testing.M) int {
	mainActive.Store(true)
	code := m.Run()
	if err := errors.Join(shutdown(), shutdownCluster()); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// notInstalled ends a test whose server cannot be run here: it fails with
// require when CI demands the server (ALPENHORN_TEST_REQUIRE_MARIADB),
// otherwise it skips, saying skip loudly on stderr once per test binary.
func notInstalled(t testing.TB, require, skip string, notice *sync.Once) {
	t.Helper()
	if os.Getenv(envRequireMariaDB) != "" {
		t.Fatal(require)
	}
	notice.Do(func() {
		bar := strings.Repeat("*", len(skip))
		fmt.Fprintf(os.Stderr, "\n%s\n%s\n%s\n\n", bar, skip, bar)
	})
	t.Skip(skip)
}

// ensureServer returns the running server, starting it on first use, or
// ends the test: skipped without MariaDB, failed if it cannot be started.
// mu must be held.
func ensureServer(t testing.TB) *server {
	t.Helper()
	bin, installer, ok := findBinaries()
	if !ok {
		notInstalled(t, requireMessage, skipMessage, &skipNotice)
	}
	if !mainActive.Load() {
		t.Fatal("testdb: call testdb.Main(m) from TestMain in this package, so that the MariaDB server is shut down after the tests")
	}
	if !launched {
		launched = true
		srv, startErr = launch(bin, installer)
	}
	if startErr != nil {
		t.Fatalf("testdb: start MariaDB: %v", startErr)
	}
	return srv
}

func shutdown() error {
	mu.Lock()
	defer mu.Unlock()
	if srv == nil {
		return nil
	}
	stopErr := srv.stop()
	if err := os.RemoveAll(srv.base); err != nil {
		return errors.Join(stopErr, fmt.Errorf("remove MariaDB files: %w", err))
	}
	return stopErr
}

func findBinaries() (bin, installer string, ok bool) {
	switch env := os.Getenv(envMariaDBD); env {
	case "none":
		return "", "", false
	case "":
		bin = findProgram(nil, "mariadbd", "mysqld")
	default:
		bin = env
	}
	if bin == "" {
		return "", "", false
	}
	installer = findProgram([]string{filepath.Dir(bin)}, "mariadb-install-db", "mysql_install_db")
	return bin, installer, installer != ""
}

// findProgram returns the first of names found in first, PATH or
// programDirs, in that order of preference for each name.
func findProgram(first []string, names ...string) string {
	for _, name := range names {
		for _, dir := range first {
			if p := filepath.Join(dir, name); isExecutable(p) {
				return p
			}
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, dir := range programDirs {
			if p := filepath.Join(dir, name); isExecutable(p) {
				return p
			}
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// launch creates a data directory and starts a server on it.
func launch(bin, installer string) (*server, error) {
	base, err := scratch.Dir(MemoryDir, baseDirPrefix)
	if MemoryDir != "" && err != nil {
		base, err = scratch.Dir("", baseDirPrefix)
	}
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, installer: installer, base: base, password: randomHex(12)}
	if err := s.prepare(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	// Another process may take the free port before the server binds it.
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			break
		}
		if err = s.start(); !errors.Is(err, errPortInUse) || attempt == 3 {
			break
		}
	}
	if err == nil {
		err = s.createUser()
	}
	if err != nil {
		s.stop()
		os.RemoveAll(base)
		return nil, err
	}
	return s, nil
}

// prepare initialises the data directory.
func (s *server) prepare() error {
	// The kernel limits socket paths to 108 bytes.
	if len(s.socket()) > 100 {
		return fmt.Errorf("socket path %s is too long; set TMPDIR to a shorter directory", s.socket())
	}
	args := []string{
		"--no-defaults",
		"--basedir=" + filepath.Dir(filepath.Dir(s.bin)),
		"--datadir=" + s.datadir(),
		// A starting server deletes every temporary table file in its
		// tmpdir; a shared one would break servers starting side by side.
		"--tmpdir=" + s.base,
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
	}
	args = append(append(args, tuning...), userArgs()...)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, s.installer, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := childproc.Start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", s.installer, err, out.String())
	}
	return nil
}

// userArgs lets the server run as root, which it refuses unless told.
func userArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

var errPortInUse = errors.New("port in use")

// start runs the server on s.port and waits until it accepts connections.
func (s *server) start() error {
	logStart := fileSize(s.errorLog())
	args := []string{
		"--no-defaults",
		"--datadir=" + s.datadir(),
		"--socket=" + s.socket(),
		"--pid-file=" + filepath.Join(s.base, "mariadbd.pid"),
		"--log-error=" + s.errorLog(),
		"--tmpdir=" + s.base, // see prepare
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(s.port),
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
	}
	args = append(append(append(args, tuning...), userArgs()...), s.extra...)
	cmd := exec.Command(s.bin, args...)
	if err := childproc.Start(cmd); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() {
		s.waitErr = cmd.Wait()
		close(exited)
	}()

	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket()
	cfg.Timeout = 5 * time.Second
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := admin.PingContext(ctx)
		cancel()
		if err == nil {
			s.admin = admin
			return nil
		}
		select {
		case <-exited:
			admin.Close()
			s.cmd = nil
			log := logTail(s.errorLog(), logStart)
			if strings.Contains(log, "Address already in use") {
				return fmt.Errorf("%w: port %d:\n%s", errPortInUse, s.port, log)
			}
			return fmt.Errorf("%s exited while starting (%v):\n%s", s.bin, s.waitErr, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			admin.Close()
			s.stop()
			return fmt.Errorf("%s accepted no connection within %v (last error: %v):\n%s",
				s.bin, startTimeout, err, logTail(s.errorLog(), logStart))
		}
	}
}

// stop shuts the server down cleanly if it is running, killing it if it
// takes too long.
func (s *server) stop() error {
	if s.cmd == nil {
		return nil
	}
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	cmd := s.cmd
	s.cmd = nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not shut down within %v and was killed", s.bin, stopTimeout)
	}
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// createUser adds the password-protected account tests use over TCP and
// removes the password-less root accounts reachable over TCP, leaving root
// only on the private socket.
func (s *server) createUser() error {
	stmts := []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", dbUser, s.password),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%' WITH GRANT OPTION", dbUser),
	}
	rows, err := s.admin.Query("SELECT Host FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'")
	if err != nil {
		return fmt.Errorf("list root accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var host string
		if err := rows.Scan(&host); err != nil {
			return fmt.Errorf("list root accounts: %w", err)
		}
		stmts = append(stmts, fmt.Sprintf("DROP USER 'root'@'%s'", strings.ReplaceAll(host, "'", "''")))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list root accounts: %w", err)
	}
	for _, stmt := range stmts {
		if _, err := s.admin.Exec(stmt); err != nil {
			return fmt.Errorf("set up accounts: %w", err)
		}
	}
	return nil
}

func (s *server) url(database string) string {
	return fmt.Sprintf("mysql://%s:%s@127.0.0.1:%d/%s", dbUser, s.password, s.port, database)
}

func (s *server) datadir() string  { return filepath.Join(s.base, "data") }
func (s *server) socket() string   { return filepath.Join(s.base, "mariadbd.sock") }
func (s *server) errorLog() string { return filepath.Join(s.base, "error.log") }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logTail returns the last lines the server logged since offset.
func logTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(server log unreadable: %v)", err)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
