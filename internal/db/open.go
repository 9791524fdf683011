package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// Engine names the database server kind behind a data index.
type Engine string

const (
	MySQL  Engine = "mysql"
	SQLite Engine = "sqlite"
)

// DB is an open data index.
type DB struct {
	Gorm   *gorm.DB
	Engine Engine
	// password is kept only so that it can be scrubbed from driver messages.
	password string

	// OnUnavailable, when set, is called by Retry with the first error of
	// an outage: the first statement that fails for a reason Retry waits
	// out (a lost connection, a server that is down, a locked database)
	// after the data index was last reached. OnAvailable is called, with
	// the time since then, by the first statement that succeeds again.
	// Retry keeps trying silently in between; the daemon logs the two
	// ends, once per outage however many goroutines are waiting.
	OnUnavailable func(ctx context.Context, err error)
	OnAvailable   func(ctx context.Context, down time.Duration)
	// OnFailover, when set, is called when the connections of a data
	// index on several servers (cluster.go) move from one server to
	// another, with why the first could not be used; without it a line
	// says so on stderr.
	OnFailover func(ctx context.Context, from, to string, err error)
	// giveUpAfter, when set (SetWaitLimit), bounds how long Retry keeps
	// trying.
	giveUpAfter time.Duration
	// where names the data index, without the password.
	where string
	// cluster is the connector of a data index on several servers.
	cluster *cluster
	// sqlite is the connector of an SQLite data index.
	sqlite *sqliteConnector
	// downSince is when the current outage began (Unix nanoseconds), 0
	// while the data index is reachable.
	downSince atomic.Int64
}

// statementLogger sees every statement gorm runs. Production builds
// discard them; the benchmarks' build (tag alpenhorn_sqltrace) prints them
// so that the queries of each update pass can be counted.
var statementLogger logger.Interface = logger.Discard

// The MySQL driver logs some connection failures to stderr ("[mysql] …
// closing bad idle connection: EOF") besides returning them. Those lines
// would interleave with the CLI's one-line errors and the daemon's log in
// another format; the errors themselves reach the callers, which report
// them (Retry waits them out).
func init() { mysql.SetLogger(log.New(io.Discard, "", 0)) }

// ErrNoDatabase is returned when the configuration names no database.
var ErrNoDatabase = errors.New("No database configured.")

// ErrConnectFailed is returned for a database URL alpenhorn cannot use.
var ErrConnectFailed = errors.New("Database connect failed.")

// busyTimeout is how long an SQLite connection waits for another process's
// write lock before giving up; several daemons and CLIs share one file.
const busyTimeout = 60 * time.Second

// busyNotice replaces busyTimeout in a process with a wait limit (the
// CLI): a statement that waited that long for a write lock returns to
// Retry, which waits on where it can say so (OnUnavailable), give up at
// the limit, and stop at once when its context ends, none of which
// SQLite's own wait allows.
const busyNotice = time.Second

// Every connection to a MySQL server, alone or in a cluster, has these
// bounds unless its URL sets its own (connect_timeout, read_timeout,
// write_timeout): a frozen server must make its clients give up, or move
// on to another server, not wait for ever. connectTimeout bounds the whole
// set-up of a connection (server.Connect); the read and write timeouts
// are above MariaDB's default row lock wait (50 s), after which the server
// itself fails a statement.
const (
	connectTimeout = 10 * time.Second
	ioTimeout      = time.Minute
)

// connMaxLifetime is kept below MySQL's shortest common idle timeout so that
// the pool never hands out a connection the server has already dropped.
const connMaxLifetime = 3 * time.Minute

// Open connects to the data index named by a database URL as alpenhorn
// accepts it: mysql://user:pass@host:port/db or sqlite:///path/to/file.db.
// Like the Python connector it does not touch the server until the first
// query, so reachability errors surface at the schema check. An SQLite
// file must exist (see CreateFile), so that a mistyped path is reported
// rather than becoming an empty data index.
func Open(rawURL string) (*DB, error) {
	if rawURL == "" {
		return nil, ErrNoDatabase
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, ErrConnectFailed
	}
	cfg := &gorm.Config{
		Logger:                 statementLogger,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		// Connect lazily, as the Python connector does: reachability errors
		// surface at the first query, the schema check.
		DisableAutomaticPing: true,
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqliteext":
		path, query := sqlitePath(rest)
		if path == "" {
			return nil, ErrConnectFailed
		}
		dsn, err := sqliteDSN(path, query)
		if err != nil {
			return nil, err
		}
		conn := &sqliteConnector{dsn: dsn}
		g, err := gorm.Open(&sqlite.Dialector{Conn: sql.OpenDB(conn)}, cfg)
		if err != nil {
			return nil, err
		}
		return &DB{Gorm: g, Engine: SQLite, where: RedactURL(rawURL), sqlite: conn}, nil
	case "mysql", "mysql+pool":
		// Several hosts: a cluster (cluster.go), reached through the
		// DSN of its first host.
		rest, hosts := clusterHosts(rest)
		dsn, password, err := mysqlDSN(rest)
		if err != nil {
			return nil, err
		}
		mcfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		dialect := gormmysql.Config{DSN: dsn, SkipInitializeWithVersion: true}
		var cl *cluster
		if hosts != nil {
			cl = newCluster(mcfg, hosts)
			dialect.Conn = cl.pool
		} else {
			s, err := newServer(mcfg)
			if err != nil {
				return nil, err
			}
			dialect.Conn = sql.OpenDB(s)
		}
		g, err := gorm.Open(gormmysql.New(dialect), cfg)
		if err != nil {
			return nil, fmt.Errorf("%s", redact(err.Error(), password))
		}
		sqlDB, err := g.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetConnMaxLifetime(connMaxLifetime)
		sqlDB.SetConnMaxIdleTime(time.Minute)
		d := &DB{Gorm: g, Engine: MySQL, password: password, where: RedactURL(rawURL)}
		if cl != nil {
			cl.db.Store(d)
			d.cluster = cl
		}
		return d, nil
	}
	return nil, fmt.Errorf("Unknown database type \"%s\" in the URL (sqlite or mysql): %w", scheme, ErrConnectFailed)
}

// sqliteConnector opens the connections of an SQLite data index.
type sqliteConnector struct {
	dsn string
	// busy, when not 0, replaces the DSN's busy timeout (milliseconds).
	busy atomic.Int64
}

// sqliteDriver is the driver registered by the SQLite dialect's package.
var sqliteDriver = func() driver.Driver {
	pool, _ := sql.Open(sqlite.DriverName, "")
	defer pool.Close()
	return pool.Driver()
}()

func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := sqliteDriver.Open(c.dsn)
	busy := c.busy.Load()
	if err != nil || busy == 0 {
		return conn, err
	}
	if _, err := conn.(driver.ExecerContext).ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busy), nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return sqliteDriver }

// SetWaitLimit bounds how long Retry keeps trying: a statement still
// failing that long after its first try fails for good, saying it gave
// up. The CLI sets it, so that a command gives up on a data index that
// stays unreachable or locked; the daemon waits for ever. On SQLite the
// statements then wait for another process's write lock only briefly
// (busyNotice), leaving the rest of the wait to Retry.
func (d *DB) SetWaitLimit(limit time.Duration) {
	d.giveUpAfter = limit
	if d.sqlite == nil {
		return
	}
	d.sqlite.busy.Store(max(min(limit, busyNotice).Milliseconds(), 1))
	// The connections opened so far wait as long as the daemon's.
	if pool, err := d.Gorm.DB(); err == nil {
		dropIdle(pool)
	}
}

// Where names the data index (its URL, without the password).
func (d *DB) Where() string { return d.where }

// WaitingMessage is the line that says a command waits for the data index
// at where, unavailable because of why, for at most limit.
func WaitingMessage(where, why string, limit time.Duration) string {
	return fmt.Sprintf("Waiting for the data index at %s: %s. Giving up after %s (database.wait_limit).", where, why, Seconds(limit))
}

// Seconds writes d as the configuration gives times: in seconds.
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// CreateFile creates the empty file of an SQLite data index that does not
// exist yet, in an existing directory, for `db init`: the one command that
// may make a data index. Other URLs are left for Open to judge.
func CreateFile(rawURL string) error {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	if s := strings.ToLower(scheme); s != "sqlite" && s != "sqliteext" {
		return nil
	}
	path, _ := sqlitePath(rest)
	if path == "" || path == ":memory:" {
		return nil
	}
	if err := sqliteDir(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("SQLite data index %s: %w", path, err)
	}
	return f.Close()
}

// Create is Open after CreateFile: it opens the data index at rawURL,
// making an SQLite file that does not exist yet.
func Create(rawURL string) (*DB, error) {
	if err := CreateFile(rawURL); err != nil {
		return nil, err
	}
	return Open(rawURL)
}

// sqlitePath splits what follows sqlite:// into the file's path and the
// query. sqlite:///relative.db is relative; sqlite:////abs.db is absolute.
func sqlitePath(rest string) (path, query string) {
	path, query, _ = strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "/")
	if path != "" && path != ":memory:" && !strings.HasPrefix(path, "/") {
		path = "./" + path
	}
	return path, query
}

// sqliteDir checks that the directory of an SQLite file exists; the driver
// would report a missing one as "out of memory".
func sqliteDir(path string) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("SQLite data index %s: directory %s does not exist.", path, dir)
	}
	return nil
}

// sqliteDSN turns the file's path into a driver DSN. IMMEDIATE
// transactions take the write lock up front, so two writers queue on the
// busy timeout instead of failing with "database is locked" when both try
// to upgrade a read lock.
//
// The file must exist. A process that may write the file and its
// directory switches it to WAL, which lets readers proceed while one
// process writes (the mode is kept in the file, so this happens once, at
// `db init`); any other opens it read-only, so that the read commands work
// on a data index they may not change (see sqliteImmutable).
func sqliteDSN(path, query string) (string, error) {
	v, _ := url.ParseQuery(query)
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Set("_txlock", "immediate")
	if path == ":memory:" {
		return path + "?" + v.Encode(), nil
	}
	if err := sqliteDir(path); err != nil {
		return "", err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("SQLite data index %s does not exist (alpenhorn db init creates it).", path)
	}
	if writable(path) && writable(filepath.Dir(path)) {
		v.Set("mode", "rw")
		v.Add("_pragma", "journal_mode(WAL)")
		v.Add("_pragma", "synchronous(NORMAL)")
	} else {
		v.Set("mode", "ro")
		if sqliteImmutable(path) {
			v.Set("immutable", "1")
		}
	}
	// A URI filename, so that SQLite reads mode (rw never creates a file)
	// and immutable.
	return "file:" + uriPath.Replace(path) + "?" + v.Encode(), nil
}

// sqliteImmutable reports whether a file this process may not write must
// be read as immutable: a file in WAL mode can only be read with its -wal
// and -shm files, which a reader creates if they are missing (no process
// has the file open); in a directory it may not write, it cannot. Reading
// the file as immutable is then safe, as no process is writing it.
func sqliteImmutable(path string) bool {
	if writable(filepath.Dir(path)) {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	// Bytes 18 and 19 of the header, the file format's read and write
	// versions, are 2 in WAL mode.
	var header [20]byte
	if _, err := io.ReadFull(f, header[:]); err != nil || header[18] != 2 {
		return false
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err != nil {
			return true
		}
	}
	return false
}

// writable reports whether this process may write path, as the kernel
// decides for its real user (a read-only mount included).
func writable(path string) bool {
	const wOK = 2 // access(2)'s W_OK
	return syscall.Access(path, wOK) == nil
}

// uriPath escapes the characters of a path that an SQLite URI filename
// would read otherwise.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// mysqlDSN converts user:pass@host:port/db[?k=v] to a go-sql-driver DSN.
// The password is taken verbatim (not percent-decoded), as peewee does.
func mysqlDSN(rest string) (string, string, error) {
	at := strings.LastIndex(rest, "@")
	cfg := mysql.NewConfig()
	hostpart := rest
	var password string
	if at >= 0 {
		user, pass, _ := strings.Cut(rest[:at], ":")
		cfg.User, cfg.Passwd, password = user, pass, pass
		hostpart = rest[at+1:]
	}
	hostpart, query, _ := strings.Cut(hostpart, "?")
	hostport, dbname, _ := strings.Cut(hostpart, "/")
	if hostport == "" || dbname == "" {
		return "", password, ErrConnectFailed
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		hostport = net.JoinHostPort(hostport, "3306")
	}
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", hostport, dbname
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Arguments are written into the statement by the driver, so that a
	// statement is one round trip instead of three (prepare, execute,
	// close): 18-20 % more small files imported a second when each took a
	// dozen statements. This is safe because the connection always asks
	// for utf8mb4 (the URL cannot name another character set), in which no
	// multi-byte character contains the byte of a backslash or a quote;
	// the driver escapes as the session's sql_mode requires, and prepares
	// the statement after all for an argument of a type it cannot write.
	cfg.InterpolateParams = true
	cfg.Timeout = connectTimeout
	cfg.ReadTimeout, cfg.WriteTimeout = ioTimeout, ioTimeout
	// Strict mode: a value too long for its column, or an invalid enum, is
	// an error rather than silently truncated as in Python's session.
	cfg.Params = map[string]string{"sql_mode": "'STRICT_ALL_TABLES,PIPES_AS_CONCAT,NO_ENGINE_SUBSTITUTION'", "time_zone": "'+00:00'"}
	if err := applyURLParams(cfg, query); err != nil {
		return "", password, err
	}
	return cfg.FormatDSN(), password, nil
}

// Close releases the connection pool.
func (d *DB) Close() error {
	s, err := d.Gorm.DB()
	if err != nil {
		return err
	}
	return s.Close()
}

// Redact removes the database password from a message meant for people.
func (d *DB) Redact(msg string) string { return redact(msg, d.password) }

func redact(msg, password string) string {
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "***")
	}
	return config.MaskPassword(msg)
}

// RedactURL hides the password of a database URL (config.RedactURL: the
// configuration shows the URL the same way).
func RedactURL(u string) string { return config.RedactURL(u) }

// Retryable decides, in one place, whether a failed statement may be tried
// again: lost connections and a busy SQLite file are; constraint violations,
// syntax errors and everything else are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1205, 1213, 2006, 2013, 1927, 1053: // lock wait, deadlock, gone away, lost, killed, shutdown
			return true
		case 1047: // a Galera node outside the Primary component, or in a state transfer
			return true
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "broken pipe")
}

// LongestRetryWait bounds Retry's wait between two tries, jitter
// included, so that a data index back for a few seconds is seen, and the
// outage ends, within that time.
const LongestRetryWait = 6400 * time.Millisecond

// Retry runs fn until it succeeds, fails with an error that is not
// retryable, or ctx ends. fn must be safe to repeat: one statement, or a
// whole transaction that rolled back. The waits between tries double, and
// are jittered, so that transactions that conflicted (a deadlock, or a
// Galera certification conflict) do not meet again at the next try.
//
// An error it returns is an *Error: whatever fn failed with, it failed in
// the data index's work, so callers need not mark it themselves.
func (d *DB) Retry(ctx context.Context, fn func(g *gorm.DB) error) error {
	delay := 100 * time.Millisecond
	start := time.Now()
	for {
		err := fn(d.Gorm.WithContext(ctx))
		if err == nil {
			d.reached(ctx)
		}
		if !Retryable(err) {
			return marked(err)
		}
		if d.giveUpAfter > 0 && time.Since(start) >= d.giveUpAfter {
			return marked(fmt.Errorf("Gave up waiting for the data index after %s: %w", Seconds(d.giveUpAfter), err))
		}
		d.unreachable(ctx, err)
		d.cluster.notReady(err)
		select {
		case <-ctx.Done():
			return marked(err)
		case <-time.After(min(jitter(delay), LongestRetryWait)):
		}
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

// unreachable records that the data index could not be reached, telling
// OnUnavailable if this starts an outage.
func (d *DB) unreachable(ctx context.Context, err error) {
	if d.downSince.CompareAndSwap(0, time.Now().UnixNano()) && d.OnUnavailable != nil {
		d.OnUnavailable(ctx, err)
	}
}

// reached records that a statement succeeded, telling OnAvailable if this
// ends an outage.
func (d *DB) reached(ctx context.Context) {
	if d.downSince.Load() == 0 {
		return
	}
	if since := d.downSince.Swap(0); since != 0 && d.OnAvailable != nil {
		d.OnAvailable(ctx, time.Since(time.Unix(0, since)))
	}
}

// Error marks a failure of a statement or transaction run through Retry,
// after the retries it allows. The daemon's worker pool restarts a worker
// on one, as for a fresh connection, where any other failure only drops the
// task.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsError reports whether err is, or wraps, an *Error.
func IsError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

func marked(err error) error {
	if err == nil || IsError(err) {
		return err
	}
	return &Error{Err: err}
}

// Transaction runs fn in one transaction, retried as a whole when the
// failure was a lost connection or a lock conflict.
func (d *DB) Transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return d.Retry(ctx, func(g *gorm.DB) error { return g.Transaction(fn) })
}

// NameEq returns a WHERE clause comparing column with a name the way MySQL's
// default collation does (case-insensitively), on every engine, so that
// name look-ups and clashes behave the same on SQLite.
func (d *DB) NameEq(column string) string {
	if d.Engine == SQLite {
		return column + " = ? COLLATE NOCASE"
	}
	return column + " = ?"
}

// NameIn is NameEq for a list of names (a slice argument).
func (d *DB) NameIn(column string) string {
	if d.Engine == SQLite {
		return column + " COLLATE NOCASE IN ?"
	}
	return column + " IN ?"
}
