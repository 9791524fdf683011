package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// TestRetryOutage: while the MariaDB server is down, statements run
// through Retry wait for it; the outage is reported once when it starts,
// however many statements wait, and once when it ends, without the
// password.
func TestRetryOutage(t *testing.T) {
	url := testdb.MariaDB(t)
	d, err := db.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var mu sync.Mutex
	var lost []string
	back := 0
	d.OnUnavailable = func(_ context.Context, err error) {
		mu.Lock()
		defer mu.Unlock()
		lost = append(lost, d.Redact(err.Error()))
	}
	d.OnAvailable = func(context.Context, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		back++
	}
	query := func() error {
		var n int
		return d.Retry(context.Background(), func(g *gorm.DB) error { return g.Raw("SELECT 1").Scan(&n).Error })
	}
	if err := query(); err != nil {
		t.Fatal(err)
	}

	testdb.Stop(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- query() }()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(lost)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outage was not reported")
		}
		time.Sleep(20 * time.Millisecond)
	}
	testdb.Restart(t)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("statement after the outage: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lost) != 1 || back != 1 {
		t.Fatalf("outage reported %d times, its end %d times: %q", len(lost), back, lost)
	}
	_, rest, _ := strings.Cut(url, "://")
	userinfo, _, _ := strings.Cut(rest, "@")
	_, password, _ := strings.Cut(userinfo, ":")
	if strings.Contains(lost[0], password) {
		t.Errorf("the report holds the password: %q", lost[0])
	}
}
