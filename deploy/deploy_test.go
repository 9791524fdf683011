// Package deploy_test checks the monitoring files in deploy/ against a real
// Prometheus scraping a real alpenhornd at work: the alert rules pass
// promtool's checks and unit tests and evaluate cleanly on live data, and
// every query of the Grafana dashboard returns data.
package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

const (
	rules     = "prometheus/alpenhorn-rules.yml"
	ruleTests = "prometheus/alpenhorn-rules.test.yml"
	dashboard = "grafana/alpenhorn-dashboard.json"
	// limit bounds the whole Prometheus part of the test.
	limit = 2 * time.Minute
)

// tool finds a Prometheus program. Without it the test skips, loudly, or
// fails where the MariaDB tests are required too (CI).
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found (Debian package prometheus): the monitoring files are NOT tested", name)
	if os.Getenv("ALPENHORN_TEST_REQUIRE_MARIADB") == "1" {
		t.Fatal(msg)
	}
	fmt.Fprintln(os.Stderr, "SKIP:", msg)
	t.Skip(msg)
	return ""
}

func TestRules(t *testing.T) {
	promtool := tool(t, "promtool")
	for _, args := range [][]string{{"check", "rules", rules}, {"test", "rules", ruleTests}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// prometheus is a Prometheus server started for the test.
type prometheus struct {
	t    *testing.T
	addr string
}

// startPrometheus runs Prometheus on a free loopback port, with storage of
// its own, loading the alert rules and scraping target every second.
func startPrometheus(t *testing.T, ctx context.Context, target string) *prometheus {
	t.Helper()
	bin := tool(t, "prometheus")
	dir := t.TempDir()
	rulesPath, err := filepath.Abs(rules)
	if err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: alpenhorn
    static_configs:
      - targets: ['%s']
`, rulesPath, target)
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &prometheus{t: t, addr: fmt.Sprintf("127.0.0.1:%d", daemontest.FreePort(t))}
	cmd := exec.CommandContext(ctx, bin, "--config.file="+confPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+p.addr, "--log.level=warn")
	log := &daemontest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log.String())
		}
	})
	p.waitFor(ctx, "Prometheus ready", func() bool {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *prometheus) waitFor(ctx context.Context, what string, cond func() bool) {
	p.t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			p.t.Fatalf("gave up waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// api calls Prometheus's HTTP API and decodes its data, or returns the
// error it reports.
func (p *prometheus) api(path string, params url.Values, data any) error {
	resp, err := http.Get("http://" + p.addr + "/api/v1/" + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string
		Error  string
		Data   json.RawMessage
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: %v: %s", path, err, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// query evaluates expr now and returns the number of series it yields.
func (p *prometheus) query(expr string) (int, error) {
	var data struct {
		ResultType string
		Result     json.RawMessage
	}
	if err := p.api("query", url.Values{"query": {expr}}, &data); err != nil {
		return 0, err
	}
	var series []json.RawMessage
	if data.ResultType == "vector" || data.ResultType == "matrix" {
		if err := json.Unmarshal(data.Result, &series); err != nil {
			return 0, err
		}
		return len(series), nil
	}
	return 1, nil // a scalar or a string
}

// dashboardQueries returns every panel query of the dashboard by panel
// title, with the dashboard's variables as Grafana would fill them in for
// "All" over a short range.
func dashboardQueries(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string
		Targets []struct{ Expr string }
		Panels  json.RawMessage
	}
	var d struct{ Panels []panel }
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer(`$daemon`, `.*`, `$__rate_interval`, `10s`, `$__range`, `1m`)
	out := map[string][]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out[p.Title] = append(out[p.Title], vars.Replace(tg.Expr))
			}
			if len(p.Panels) > 0 {
				var inner []panel
				if err := json.Unmarshal(p.Panels, &inner); err != nil {
					t.Fatal(err)
				}
				walk(inner)
			}
		}
	}
	walk(d.Panels)
	if len(out) == 0 {
		t.Fatal("no panel queries in the dashboard")
	}
	return out
}

// TestLive: Prometheus scrapes a daemon doing work; the rules load and
// evaluate without error, the corrupt copy it finds raises the alert, and
// every dashboard query returns data.
func TestLive(t *testing.T) {
	tool(t, "prometheus")
	queries := dashboardQueries(t)
	bin := daemontest.Build(t, "./cmd/alpenhornd", false)
	w := daemontest.NewWorld(t, bin, testdb.SQLiteURL(t))

	// Prometheus comes first, so that it sees the counters before the work
	// moves them (an increase needs the sample before).
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	port := daemontest.FreePort(t)
	p := startPrometheus(t, ctx, fmt.Sprintf("127.0.0.1:%d", port))
	busy := w.StartBusy(port)
	p.waitFor(ctx, "the verification counters at zero", func() bool {
		n, err := p.query(`alpenhorn_verification_results_total{node="storage1",result="corrupt"} == 0`)
		return err == nil && n > 0
	})
	busy.SyncCorrupt()

	// The work is done once the corrupt source has been found and the good
	// copy pulled; a few more scrapes then give every rate two samples.
	p.waitFor(ctx, "the daemon's work in Prometheus", func() bool {
		n, err := p.query(`alpenhorn_node_copies{state="corrupt"} == 1 and on (daemon) alpenhorn_transfers_total{result="success"} == 1`)
		return err == nil && n > 0
	})
	time.Sleep(5 * time.Second)

	for title, exprs := range queries {
		for _, e := range exprs {
			n, err := p.query(e)
			switch {
			case err != nil:
				t.Errorf("panel %q: %s: %v", title, e, err)
			case n == 0:
				t.Errorf("panel %q: %s: no data", title, e)
			}
		}
	}

	var groups struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Name, Health, LastError, State string
			}
		}
	}
	p.waitFor(ctx, "the alert for the corrupt copy", func() bool {
		if err := p.api("rules", url.Values{"type": {"alert"}}, &groups); err != nil {
			t.Fatal(err)
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Name == "AlpenhornCorruptCopiesFound" && r.State == "firing" {
					return true
				}
			}
		}
		return false
	})
	seen := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			seen++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %s: %s", r.Name, r.Health, r.LastError)
			}
			if r.Name == "AlpenhornDataIndexUnreachable" || r.Name == "AlpenhornDaemonDown" {
				if r.State != "inactive" {
					t.Errorf("rule %s is %s with the daemon and its data index up", r.Name, r.State)
				}
			}
		}
	}
	if seen != 7 {
		t.Errorf("Prometheus loaded %d alert rules, want 7", seen)
	}
}
