package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// A data index on a cluster of database servers (MariaDB Galera): the URL
// names several hosts, mysql://user:pw@h1:3306,h2:3306,h3:3306/alpenhorn.
// Every connection goes to one server, the one in use: the first host, to
// begin with. When it cannot be reached, or is not in the cluster's
// Primary component (wsrep_ready is not ON: it has lost its peers, or is
// receiving a state transfer), the next hosts are tried in turn, and the
// first that answers and is ready becomes the one in use, for every
// connection after, until it fails in its turn. Keeping to one server
// means a process reads what it wrote itself without waiting for the
// cluster (wsrep_sync_wait). Statements that failed on the lost server
// are retried by Retry, on new connections, which go to the new one.

// clusterHosts splits a MySQL URL's host list. rest is the URL after
// "mysql://"; single is rest naming only the first host, and hosts lists
// every host (with port 3306 where none is given) when there are several,
// nil when there is one.
func clusterHosts(rest string) (single string, hosts []string) {
	userinfo, hostpart := "", rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo, hostpart = rest[:at+1], rest[at+1:]
	}
	end := strings.IndexAny(hostpart, "/?")
	if end < 0 {
		end = len(hostpart)
	}
	list := strings.Split(hostpart[:end], ",")
	if len(list) < 2 {
		return rest, nil
	}
	for _, h := range list {
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "3306")
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return rest, nil
	}
	return userinfo + hosts[0] + hostpart[end:], hosts
}

// cluster is the connector of a data index on several servers.
type cluster struct {
	cfg   *mysql.Config
	hosts []string
	// current is the index in hosts of the server in use.
	current atomic.Int64
	// db is the data index, for its OnFailover.
	db   atomic.Pointer[DB]
	pool *sql.DB
}

// poolIdle is database/sql's default number of idle connections kept,
// which alpenhorn does not change.
const poolIdle = 2

// newCluster returns the connector, with its connection pool, of a data
// index on hosts, cfg being the driver's configuration for the first of
// them.
func newCluster(cfg *mysql.Config, hosts []string) *cluster {
	c := &cluster{cfg: cfg, hosts: hosts}
	c.pool = sql.OpenDB(c)
	return c
}

// notReady drops the idle connections of the pool when err says their
// server is not ready (1047: it left the Primary component, or is
// receiving a state transfer): the pool would otherwise hand the same
// connections to every retry, whereas new ones go to a ready server. The
// connections in use meet the error in their turn.
func (c *cluster) notReady(err error) {
	var me *mysql.MySQLError
	if c == nil || !errors.As(err, &me) || me.Number != 1047 {
		return
	}
	dropIdle(c.pool)
}

// dropIdle closes the idle connections of pool, so that the next
// statements run on new ones.
func dropIdle(pool *sql.DB) {
	pool.SetMaxIdleConns(0)
	pool.SetMaxIdleConns(poolIdle)
}

// Connect connects to the server in use or, failing that, to the next
// host that answers and is ready, which becomes the server in use.
func (c *cluster) Connect(ctx context.Context) (driver.Conn, error) {
	start := int(c.current.Load())
	var first error
	for i := range c.hosts {
		h := (start + i) % len(c.hosts)
		conn, err := c.dial(ctx, c.hosts[h])
		if err == nil {
			if h != start && c.current.CompareAndSwap(int64(start), int64(h)) {
				c.failedOver(ctx, c.hosts[start], c.hosts[h], first)
			}
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// Driver is the MySQL driver.
func (c *cluster) Driver() driver.Driver { return &mysql.MySQLDriver{} }

// dial connects to host and checks that it is ready: in the Primary
// component of its cluster. A server that is not a Galera node is ready.
func (c *cluster) dial(ctx context.Context, host string) (driver.Conn, error) {
	cfg := c.cfg.Clone()
	cfg.Addr = host
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := s.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := ready(ctx, dc, host); err != nil {
		dc.Close()
		return nil, err
	}
	return dc, nil
}

// ready fails, as the server would (error 1047, which Retry waits out),
// unless conn's server is ready for statements.
func ready(ctx context.Context, conn driver.Conn, host string) error {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return nil
	}
	rows, err := q.QueryContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_ready'", nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(vals); err == io.EOF {
		return nil
	} else if err != nil {
		return err
	}
	if v := fmt.Sprintf("%s", vals[len(vals)-1]); v != "ON" {
		return &mysql.MySQLError{Number: 1047, Message: fmt.Sprintf("WSREP has not yet prepared node for application use (%s: wsrep_ready=%s)", host, v)}
	}
	return nil
}

// failedOver reports that connections now go to host to instead of from.
func (c *cluster) failedOver(ctx context.Context, from, to string, err error) {
	d := c.db.Load()
	if d != nil && d.OnFailover != nil {
		d.OnFailover(ctx, from, to, err)
		return
	}
	fmt.Fprintln(os.Stderr, FailoverMessage(from, to, redact(fmt.Sprint(err), c.cfg.Passwd)))
}

// FailoverMessage is the line that reports a move from server from to
// server to, why being why from could not be used (without the password).
func FailoverMessage(from, to, why string) string {
	return fmt.Sprintf("Database server %s unavailable (%s): using %s.", from, why, to)
}

// server is the connector of a data index on one database server.
type server struct {
	cfg  *mysql.Config
	conn driver.Connector
}

func newServer(cfg *mysql.Config) (*server, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return &server{cfg: cfg, conn: conn}, nil
}

// Connect bounds the whole set-up of a connection by the connect timeout:
// the driver bounds only the dial by it, and the server's greeting and
// the authentication by the read timeout, whereas a frozen server, whose
// kernel still accepts connections, never greets.
func (s *server) Connect(ctx context.Context) (driver.Conn, error) {
	setUp, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	conn, err := s.conn.Connect(setUp)
	if err != nil && ctx.Err() == nil && setUp.Err() != nil {
		return nil, fmt.Errorf("database server %s did not answer within %s: %w", s.cfg.Addr, Seconds(s.cfg.Timeout), err)
	}
	return conn, err
}

// Driver is the MySQL driver.
func (s *server) Driver() driver.Driver { return s.conn.Driver() }

// jitter returns a wait of about d: between a half and one and a half of
// it.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d+1)
}
