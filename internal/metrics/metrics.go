// Package metrics holds the daemon's Prometheus metrics. Names and labels are
// those of the Python daemon, so existing dashboards keep working: every name
// starts with alpenhorn_, counters end in _total, and every series carries
// the label daemon, the host name the daemon runs as.
package metrics

import (
	"net"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

const namespace = "alpenhorn"

// Metrics are the daemon's own metrics. The Python daemon's series appear
// once they have been set or incremented; the others (build info onwards)
// exist from the start, or from when their node is first available, at
// zero, so that alerts on them work from the first scrape.
type Metrics struct {
	Registry *prometheus.Registry

	MainLoopTime   prometheus.Gauge
	MainLoops      prometheus.Counter
	NodeAvailable  *prometheus.GaugeVec // name
	GroupAvailable *prometheus.GaugeVec // name
	NodeIdle       *prometheus.GaugeVec // name
	GroupIdle      *prometheus.GaugeVec // name
	NodeUpdate     *prometheus.CounterVec
	GroupUpdate    *prometheus.CounterVec

	// RequestsCompleted counts requests by type (import, copy), result,
	// node and group.
	RequestsCompleted *prometheus.CounterVec
	// Transfers counts pull outcomes: success, failure, check_src, integrity.
	Transfers          *prometheus.CounterVec // result, node_from, group_to
	PulledBytes        *prometheus.CounterVec // node_from, group_to
	PullRunning        *prometheus.GaugeVec   // method, remote, node
	VerificationChecks *prometheus.CounterVec // node
	DeletedFiles       *prometheus.CounterVec // node
	DeletedBytes       *prometheus.CounterVec // node
	HashRunning        prometheus.Gauge

	BuildInfo *prometheus.GaugeVec // version, goversion
	// IndexUp is 1 while the data index answers, 0 during an outage.
	IndexUp             prometheus.Gauge
	LastSuccessfulPass  prometheus.Gauge
	PassDuration        prometheus.Histogram
	NodeFreeBytes       *prometheus.GaugeVec   // node
	NodeUsedBytes       *prometheus.GaugeVec   // node
	NodeCopies          *prometheus.GaugeVec   // node, state
	VerificationResults *prometheus.CounterVec // node, result
	TransferFailures    *prometheus.CounterVec // node, reason
	PendingRequests     *prometheus.GaugeVec   // group
}

// CopyStates names the has_file states in the state label of
// alpenhorn_node_copies.
var CopyStates = map[string]string{"Y": "present", "M": "suspect", "X": "corrupt", "N": "absent"}

// Verification outcomes (result label of verification_results_total), by
// the has_file state a check leaves.
var verifyResults = map[string]string{"Y": "good", "X": "corrupt", "N": "missing"}

// Failure reasons (reason label of transfer_failures_total).
const (
	FailIntegrity     = "integrity"      // arrived, but not as recorded
	FailSourceSuspect = "source_suspect" // the source copy may be bad
	FailTimeout       = "timeout"        // the pull's time limit ran out
	FailError         = "error"          // anything else
)

var failReasons = []string{FailIntegrity, FailSourceSuspect, FailTimeout, FailError}

// New creates the metrics of the daemon running as host, registered with a
// registry of their own that also carries the Go runtime and process
// collectors.
func New(host string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	labels := prometheus.Labels{"daemon": host}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(g)
		return g
	}
	gaugeVec := func(name, help string, l ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help, ConstLabels: labels}, l)
		reg.MustRegister(g)
		return g
	}
	counterVec := func(name, help string, l ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name + "_total", Help: help, ConstLabels: labels}, l)
		reg.MustRegister(c)
		return c
	}
	mainLoops := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "main_loops_total", Help: "Completed main loops", ConstLabels: labels})
	reg.MustRegister(mainLoops)

	return &Metrics{
		Registry:           reg,
		MainLoopTime:       gauge("main_loop_time_seconds", "Main loop execution time"),
		MainLoops:          mainLoops,
		NodeAvailable:      gaugeVec("node_available", "Node is available (active and initialized)", "name"),
		GroupAvailable:     gaugeVec("group_available", "Group is available (active and initialized)", "name"),
		NodeIdle:           gaugeVec("node_idle", "Node is idle", "name"),
		GroupIdle:          gaugeVec("group_idle", "Group is idle", "name"),
		NodeUpdate:         counterVec("node_update", "Count of updates on a node", "name"),
		GroupUpdate:        counterVec("group_update", "Count of updates on a group", "name"),
		RequestsCompleted:  counterVec("requests_completed", "Count of completed requests", "type", "result", "node", "group"),
		Transfers:          counterVec("transfers", "Count of transfer attempts", "result", "node_from", "group_to"),
		PulledBytes:        counterVec("pulled_bytes", "Count of bytes pulled", "node_from", "group_to"),
		PullRunning:        gaugeVec("pull_running_count", "Count of in-progress pulls", "method", "remote", "node"),
		VerificationChecks: counterVec("verification_checks", "Count of verification checks", "node"),
		DeletedFiles:       counterVec("deleted_files", "Count of deleted files", "node"),
		DeletedBytes:       counterVec("deleted_bytes", "Size of deleted files", "node"),
		HashRunning:        gauge("hash_running_count", "Count of in-progress MD5 computations"),

		BuildInfo:           gaugeVec("build_info", "Always 1; the labels name the alpenhornd release and Go version", "version", "goversion"),
		IndexUp:             gauge("data_index_up", "1 while the data index (database) answers, 0 during an outage"),
		LastSuccessfulPass:  gauge("last_successful_pass_timestamp_seconds", "Unix time the last update pass completed; 0 before the first"),
		PassDuration:        histogram(reg, labels, "pass_duration_seconds", "Duration of completed update passes"),
		NodeFreeBytes:       gaugeVec("node_free_bytes", "Free space on a node, as last measured", "node"),
		NodeUsedBytes:       gaugeVec("node_used_bytes", "Total size of the files present on a node", "node"),
		NodeCopies:          gaugeVec("node_copies", "File copies recorded on a node, by has_file state", "node", "state"),
		VerificationResults: counterVec("verification_results", "Outcomes of copy verifications", "node", "result"),
		TransferFailures:    counterVec("transfer_failures", "Failed pulls into a node, by reason", "node", "reason"),
		PendingRequests:     gaugeVec("pending_requests", "Copy requests into a group not yet completed or cancelled", "group"),
	}
}

func histogram(reg *prometheus.Registry, labels prometheus.Labels, name, help string) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, ConstLabels: labels,
		Buckets: []float64{0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}})
	reg.MustRegister(h)
	return h
}

// Start records the build and that the data index answered at start-up.
func (m *Metrics) Start(version, goVersion string) {
	m.BuildInfo.WithLabelValues(version, goVersion).Set(1)
	m.IndexUp.Set(1)
}

// AddNode creates the per-node series of node at zero, so that a rate or
// an alert on them has a series before the first event.
func (m *Metrics) AddNode(node string) {
	for _, r := range verifyResults {
		m.VerificationResults.WithLabelValues(node, r)
	}
	for _, r := range failReasons {
		m.TransferFailures.WithLabelValues(node, r)
	}
	for _, s := range CopyStates {
		m.NodeCopies.WithLabelValues(node, s)
	}
	m.NodeUsedBytes.WithLabelValues(node)
}

// Verified counts a verification of a copy on node that left it in
// has_file state has.
func (m *Metrics) Verified(node, has string) {
	if r, ok := verifyResults[has]; ok {
		m.VerificationResults.WithLabelValues(node, r).Inc()
	}
}

// WatchScheduler exports the queue and worker metrics, read from the
// scheduler whenever they are scraped, so they can never drift from what
// the scheduler holds.
func (m *Metrics) WatchScheduler(host string, q *scheduler.Queue, p *scheduler.Pool) {
	m.Registry.MustRegister(&schedulerCollector{q: q, p: p, labels: prometheus.Labels{"daemon": host}})
}

type schedulerCollector struct {
	q      *scheduler.Queue
	p      *scheduler.Pool
	labels prometheus.Labels
}

func (c *schedulerCollector) desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, c.labels)
}

func (c *schedulerCollector) descs() (queueCount, queueLocked, workerCount, workerRunning, workerIdle, serialTasks, serialLoops *prometheus.Desc) {
	return c.desc("queue_count", "Number of tasks in the queue", "fifo", "status"),
		c.desc("queue_locked", "FIFO is locked by an exclusive task", "fifo"),
		c.desc("worker_count", "Number of running workers", "pool_type"),
		c.desc("worker_running", "Worker is running", "id"),
		c.desc("worker_idle", "Worker is waiting for a task", "id"),
		c.desc("serialio_tasks_total", "Count of tasks run via Serial I/O"),
		c.desc("serialio_loops_total", "Count of Serial I/O loops")
}

func (c *schedulerCollector) Describe(ch chan<- *prometheus.Desc) {
	a, b, d, e, f, g, h := c.descs()
	for _, x := range []*prometheus.Desc{a, b, d, e, f, g, h} {
		ch <- x
	}
}

func (c *schedulerCollector) Collect(ch chan<- prometheus.Metric) {
	queueCount, queueLocked, workerCount, workerRunning, workerIdle, serialTasks, serialLoops := c.descs()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	var all [3]int
	for _, s := range c.q.FIFOStats() {
		gauge(queueCount, float64(s.Queued), s.Label, "queued")
		gauge(queueCount, float64(s.Deferred), s.Label, "deferred")
		gauge(queueCount, float64(s.InProgress), s.Label, "in-progress")
		gauge(queueCount, float64(s.Queued+s.Deferred+s.InProgress), s.Label, "any")
		all[0] += s.Queued
		all[1] += s.Deferred
		all[2] += s.InProgress
		locked := 0.0
		if s.Locked {
			locked = 1
		}
		gauge(queueLocked, locked, s.Label)
	}
	gauge(queueCount, float64(all[0]), "_ALL", "queued")
	gauge(queueCount, float64(all[1]), "_ALL", "deferred")
	gauge(queueCount, float64(all[2]), "_ALL", "in-progress")
	gauge(queueCount, float64(all[0]+all[1]+all[2]), "_ALL", "any")

	gauge(workerCount, float64(c.p.Workers()), "WorkerPool")
	for _, w := range c.p.WorkerStatus() {
		id := strconv.Itoa(w.ID)
		gauge(workerRunning, 1, id)
		idle := 0.0
		if w.Idle {
			idle = 1
		}
		gauge(workerIdle, idle, id)
	}
	tasks, loops := c.p.SerialCounts()
	ch <- prometheus.MustNewConstMetric(serialTasks, prometheus.CounterValue, float64(tasks))
	ch <- prometheus.MustNewConstMetric(serialLoops, prometheus.CounterValue, float64(loops))
}

// Serve starts the exporter on address and port, answering on every path,
// as the Python client does. An empty address means every interface. It
// returns once the port is bound; the server runs until the returned
// function is called.
func (m *Metrics) Serve(address string, port int) (stop func() error, err error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})}
	go srv.Serve(ln)
	return srv.Close, nil
}
