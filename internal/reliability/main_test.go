package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshd"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) {
	// The suite stops and restarts the MariaDB server under load and
	// times what the daemons make of it: the server keeps its files on
	// disk, as a real one does.
	testdb.MemoryDir = ""
	daemontest.Main(m)
}

// enableEnv gates the suite: it takes minutes, too long for `make test`.
const enableEnv = "ALPENHORN_RELIABILITY"

// seedEnv replays a run: the random choices of every scenario (kill
// moments, file sizes, request mixes) derive from it.
const seedEnv = "ALPENHORN_RELIABILITY_SEED"

// raceEnv=1 builds the daemon with the race detector, which then looks for
// data races under the suite's load too (`make reliability` sets it).
const raceEnv = "ALPENHORN_RELIABILITY_RACE"

// gate skips the test unless the suite is enabled, and returns the random
// source of the scenario, seeded from seedEnv or the clock (the seed is
// logged, so that a failure can be replayed).
func gate(t *testing.T) *rand.Rand {
	t.Helper()
	if os.Getenv(enableEnv) == "" {
		t.Skipf("reliability suite: set %s=1 (or run `make reliability`)", enableEnv)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, seedEnv, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// requireSSH fails the test, rather than letting sshtest skip it, when
// sshd or ssh is missing: an enabled suite must not pass without its
// remote transfers.
func requireSSH(t *testing.T) {
	t.Helper()
	if err := sshd.Check(); err != nil {
		t.Fatalf("reliability suite: %v", err)
	}
}

// checkLogs fails the test if a daemon reported a data race (built with
// raceEnv) or a panic, logged the database password, or ran one copy
// request's pull twice at the same time.
func checkLogs(t *testing.T, password string, daemons ...*daemontest.Daemon) {
	t.Helper()
	for _, d := range daemons {
		log := d.Log.String()
		running := map[string]int{}
		for line := range strings.Lines(log) {
			if strings.Contains(line, "Alpenhorn start.") {
				// A daemon killed mid-task never finished it.
				clear(running)
			}
			// A pull task serves one request or several ("AFCR#1, #2: …").
			if _, task, ok := strings.Cut(line, "Beginning task AFCR#"); ok {
				ids, _, _ := strings.Cut(task, ":")
				for _, id := range strings.Split(ids, ", #") {
					if running[id]++; running[id] > 1 {
						t.Errorf("alpenhornd (%s) ran AFCR#%s twice at once", d.Host, id)
					}
				}
			}
			if _, task, ok := strings.Cut(line, "Finished task: AFCR#"); ok {
				ids, _, _ := strings.Cut(task, ":")
				for _, id := range strings.Split(ids, ", #") {
					running[id]--
				}
			}
		}
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "goroutine "} {
			if strings.Contains(log, bad) {
				t.Errorf("alpenhornd (%s) logged %q", d.Host, bad)
			}
		}
		if password != "" && strings.Contains(log, password) {
			t.Errorf("alpenhornd (%s) logged the database password", d.Host)
		}
	}
}

// binaries are the programs under test.
type binaries struct {
	daemon, cli string
}

// build returns alpenhornd (with the race detector when raceEnv is 1) and
// alpenhorn, compiled once for all the scenarios.
func build(t *testing.T) binaries {
	t.Helper()
	return binaries{
		daemon: daemontest.Build(t, "./cmd/alpenhornd", os.Getenv(raceEnv) == "1"),
		cli:    daemontest.Build(t, "./cmd/alpenhorn", false),
	}
}

// figures collects a scenario's numbers for docs/reliability.md; they are
// logged as one block when the scenario ends.
type figures struct {
	t     *testing.T
	mu    sync.Mutex
	names []string
	vals  map[string]string
}

func newFigures(t *testing.T) *figures {
	f := &figures{t: t, vals: map[string]string{}}
	t.Cleanup(func() {
		var b strings.Builder
		for _, n := range f.names {
			fmt.Fprintf(&b, "\n  %s: %s", n, f.vals[n])
		}
		t.Logf("FIGURES %s:%s", t.Name(), b.String())
	})
	return f
}

func (f *figures) set(name string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.vals[name]; !ok {
		f.names = append(f.names, name)
	}
	f.vals[name] = fmt.Sprint(v)
}

func (f *figures) add(name string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.vals[name]; !ok {
		f.names = append(f.names, name)
	}
	cur, _ := strconv.Atoi(f.vals[name])
	f.vals[name] = strconv.Itoa(cur + n)
}
