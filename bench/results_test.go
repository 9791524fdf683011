package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// resultsEnv names a file to which each figure is appended as a row of a
// Markdown table (`make bench` sets it and prints the table at the end).
const resultsEnv = "ALPENHORN_BENCH_RESULTS"

var resultsMu sync.Mutex

// report records one figure: as a benchmark metric, and as a row of the
// results table with its target and the Python alpenhorn's figure.
func report(b *testing.B, item, what string, value float64, unit, target, python string) {
	b.Helper()
	metric := strings.ReplaceAll(unit, " ", "_")
	if metric == "" {
		metric = "x"
	}
	b.ReportMetric(value, metric)
	b.Logf("%s: %s: %s %s (target %s; Python %s)", item, what, formatValue(value), unit, target, python)
	path := os.Getenv(resultsEnv)
	if path == "" {
		return
	}
	resultsMu.Lock()
	defer resultsMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "| %s | %s | %s %s | %s | %s | %s |\n", item, what, formatValue(value), unit, target, python, loadAverage())
}

// loadAverage is the one-minute load average: the figures are only as
// good as the machine was quiet.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// machine describes this machine and the software the figures depend on.
func machine() string {
	var b strings.Builder
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- CPU: %s, %d cores (nproc)\n", cpuModel(), runtime.NumCPU())
	fmt.Fprintf(&b, "- memory: %s\n", memTotal())
	fmt.Fprintf(&b, "- kernel: %s\n", firstLine("uname", "-sr"))
	fmt.Fprintf(&b, "- Go: %s\n", runtime.Version())
	fmt.Fprintf(&b, "- MariaDB: %s\n", firstLine("/usr/sbin/mariadbd", "--version"))
	fmt.Fprintf(&b, "- rsync: %s\n", firstLine("rsync", "--version"))
	fmt.Fprintf(&b, "- ssh: %s\n", firstLine("ssh", "-V"))
	fmt.Fprintf(&b, "- temporary files: %s (%s)\n", os.TempDir(), fsType(os.TempDir()))
	return b.String()
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	data, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "not available"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func fsType(dir string) string {
	out, err := exec.Command("df", "--output=fstype", dir).Output()
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(out))
	return f[len(f)-1]
}

// startResults writes the machine description and the table header to the
// results file, if one is asked for.
func startResults() error {
	path := os.Getenv(resultsEnv)
	if path == "" {
		return nil
	}
	text := machine() + "\n| item | figure | measured | target | Python alpenhorn | load |\n|---|---|---|---|---|---|\n"
	return os.WriteFile(path, []byte(text), 0o644)
}
