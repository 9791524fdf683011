package db

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

func TestClusterHosts(t *testing.T) {
	for _, c := range []struct {
		rest, single string
		hosts        []string
	}{
		{"u:p@h1:3306/db", "u:p@h1:3306/db", nil},
		{"u:p@h1/db?x=1", "u:p@h1/db?x=1", nil},
		{"u:p,w@h1:3306,h2:3307,h3/db?x=1", "u:p,w@h1:3306/db?x=1", []string{"h1:3306", "h2:3307", "h3:3306"}},
		{"h1,h2/db", "h1:3306/db", []string{"h1:3306", "h2:3306"}},
		{"u:p@[::1]:3306,[::2]/db", "u:p@[::1]:3306/db", []string{"[::1]:3306", "[::2]:3306"}},
	} {
		single, hosts := clusterHosts(c.rest)
		if single != c.single || !slices.Equal(hosts, c.hosts) {
			t.Errorf("clusterHosts(%q) = %q, %q; want %q, %q", c.rest, single, hosts, c.single, c.hosts)
		}
	}
}

func TestMultiHostURLOpens(t *testing.T) {
	d, err := Open("mysql://u:secret@127.0.0.1:1,127.0.0.1:2/db")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Nothing listens on either port: the statement fails (and would be
	// retried), without the password in the message.
	err = d.Gorm.Exec("SELECT 1").Error
	if err == nil || !Retryable(err) {
		t.Fatalf("statement on dead hosts: %v, want a retryable error", err)
	}
}

func TestGaleraErrorsRetryable(t *testing.T) {
	for _, n := range []uint16{1213, 1047} {
		if !Retryable(&mysql.MySQLError{Number: n}) {
			t.Errorf("error %d not retryable", n)
		}
	}
}

func TestJitter(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		j := jitter(time.Second)
		if j < time.Second/2 || j > 3*time.Second/2 {
			t.Fatalf("jitter(1s) = %v", j)
		}
		seen[j] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter(1s) took only %d values in 100 draws", len(seen))
	}
}

func TestRetryGivesUp(t *testing.T) {
	d := &DB{}
	d.Gorm, _ = gorm.Open(sqlite.Open(":memory:"), &gorm.Config{Logger: statementLogger})
	d.SetWaitLimit(300 * time.Millisecond)
	start := time.Now()
	tries := 0
	err := d.Retry(context.Background(), func(*gorm.DB) error {
		tries++
		return &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}
	})
	if !IsError(err) || tries < 2 {
		t.Fatalf("Retry: %v after %d tries, want the error after several", err, tries)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Retry gave up after %v, want about 300ms", took)
	}
}
