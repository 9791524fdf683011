package multihost

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/radiocosmology/alpenhorn-go/demo"
)

// The alpendb host: a MariaDB server in its own namespace, listening on
// the bridge as the Compose set-up's MySQL container does, with the
// database and the password-less root account that container's
// environment asks for. The test itself reaches it through its socket
// file, which needs no network.

const (
	dbStartTimeout = 2 * time.Minute
	dbStopTimeout  = time.Minute
)

// Small and quick to start, as in internal/testdb.
var dbTuning = []string{
	"--innodb-buffer-pool-size=32M",
	"--innodb-log-file-size=8M",
	"--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
	"--innodb-flush-log-at-trx-commit=2",
	"--skip-log-bin",
	"--skip-name-resolve",
	"--user=root",
}

type mariadb struct {
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

func (m *mariadb) socket() string   { return filepath.Join(m.dir, "mariadbd.sock") }
func (m *mariadb) errorLog() string { return filepath.Join(m.dir, "error.log") }

// findMariaDB returns the server and installer programs, or "" when not
// installed.
func findMariaDB() (server, installer string) {
	for _, names := range [][2]string{{"mariadbd", "mariadb-install-db"}, {"mysqld", "mysql_install_db"}} {
		s := lookPath(names[0])
		i := lookPath(names[1])
		if s != "" && i != "" {
			return s, i
		}
	}
	return "", ""
}

// lookPath also searches the sbin directories, which a user's PATH may
// lack.
func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startMariaDB initialises a data directory and runs the server in the
// alpendb namespace until the test ends.
func startMariaDB(t *testing.T, ctx context.Context, n *network, dir string) *mariadb {
	t.Helper()
	server, installer := findMariaDB()
	m := &mariadb{dir: dir}
	var out bytes.Buffer
	ictx, cancel := context.WithTimeout(ctx, dbStartTimeout)
	defer cancel()
	install := exec.CommandContext(ictx, installer, append([]string{
		"--no-defaults",
		"--basedir=" + filepath.Dir(filepath.Dir(server)),
		"--datadir=" + filepath.Join(dir, "data"),
		"--tmpdir=" + dir,
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
	}, dbTuning...)...)
	install.Stdout, install.Stderr = &out, &out
	if err := install.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", installer, err, out.String())
	}

	m.cmd = n.command("alpendb", append([]string{server,
		"--no-defaults",
		"--datadir=" + filepath.Join(dir, "data"),
		"--socket=" + m.socket(),
		"--pid-file=" + filepath.Join(dir, "mariadbd.pid"),
		"--log-error=" + m.errorLog(),
		"--tmpdir=" + dir,
		"--bind-address=" + addresses["alpendb"],
		"--port=3306",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
	}, dbTuning...)...)
	if err := demo.StartChild(m.cmd); err != nil {
		t.Fatalf("start %s: %v", server, err)
	}
	m.exited = make(chan struct{})
	go func() { m.cmd.Wait(); close(m.exited) }()
	t.Cleanup(func() {
		m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(dbStopTimeout):
			m.cmd.Process.Kill()
			<-m.exited
			t.Errorf("MariaDB did not shut down within %v and was killed", dbStopTimeout)
		}
	})

	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", m.socket()
	cfg.Timeout = 5 * time.Second
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(dbStartTimeout)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		err = admin.PingContext(pctx)
		pcancel()
		if err == nil {
			break
		}
		select {
		case <-m.exited:
			t.Fatalf("MariaDB exited while starting:\n%s", m.logTail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("MariaDB accepted no connection within %v (%v):\n%s", dbStartTimeout, err, m.logTail())
		}
	}
	for _, stmt := range []string{
		"CREATE DATABASE alpenhorn_db",
		"CREATE USER 'root'@'%'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION",
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return m
}

// url reaches the database through the socket file.
func (m *mariadb) url() string {
	return "mysql://root@localhost/alpenhorn_db?unix_socket=" + m.socket()
}

func (m *mariadb) logTail() string {
	b, err := os.ReadFile(m.errorLog())
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
