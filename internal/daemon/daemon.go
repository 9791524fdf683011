// Package daemon is alpenhornd: the update loop that, every
// daemon.update_interval seconds, finds the storage nodes and groups hosted
// here, and for each dispatches what the data index asks of it (node
// initialisation, imports, checks, deletions, pulls) to the I/O classes,
// whose tasks the worker pool runs.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/metrics"
	"github.com/radiocosmology/alpenhorn-go/internal/nodeio"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
	"github.com/radiocosmology/alpenhorn-go/internal/version"
)

// Options are the daemon's command-line settings.
type Options struct {
	// ConfFile is the --conf file, read after the standard ones.
	ConfFile string
	// Once runs one pass, waits for its tasks and exits.
	Once bool
	// TestIsolation skips the standard config files.
	TestIsolation bool
	// Stderr receives "Error: ..." lines for configuration and start-up
	// failures.
	Stderr io.Writer
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
)

// stopGrace is how long a stopping daemon lets running tasks finish before
// cancelling them (killing transfer commands). A second signal cancels at
// once.
const stopGrace = 60 * time.Second

// minPassGap keeps the loop from spinning when update_interval is 0.
const minPassGap = 100 * time.Millisecond

// probePeriod is how often a daemon waiting for its next pass asks the
// data index whether a request for its host was written, when
// daemon.wake_on_requests is on: a new request starts moving within a
// fraction of a second, while an index where nothing happens sees one read
// of two primary keys' ends per period from each host.
const probePeriod = 250 * time.Millisecond

// wakeBound is how many times the last pass's duration must have gone by
// since its start before a pass is started early: then passes take at most
// a tenth of the daemon's time, however large the data index and however
// many requests arrive.
const wakeBound = 10

// Daemon is a running alpenhornd.
type Daemon struct {
	cfg     config.Daemon
	db      *db.DB
	queue   *scheduler.Queue
	pool    *scheduler.Pool
	env     *nodeio.Env
	metrics *metrics.Metrics
	// exporting is set when the metrics are served: only then are the
	// data index's totals queried for them after each pass.
	exporting     bool
	pendingGroups map[string]int64 // groups in the last pending_requests
	watch         *watchers

	nodes     map[string]*node
	nodeOrder []string
	groups    map[string]*group
	available map[string]bool // groups available last pass
	groupOrd  []string
}

func (d *Daemon) log(ctx context.Context) *logrus.Entry {
	return logging.FromContext(ctx, logging.LoggerDaemonUpdate)
}

// threads adapts the logging package to the scheduler's needs.
type threads struct{}

func (threads) WithThread(ctx context.Context, name string) context.Context {
	return logging.ContextWithThread(ctx, name)
}

func (threads) Entry(ctx context.Context, component string) *logrus.Entry {
	return logging.FromContext(ctx, component)
}

// Run starts the daemon and runs it until it is stopped: by SIGINT or
// SIGTERM, by a failure of its own (`Fatal error!`), or, with Options.Once,
// when its single pass is done. A failing task stops nothing: the scheduler
// logs it and carries on. Run returns the exit status: 0 after --once or
// SIGTERM, 1 after SIGINT or any failure, so that a service manager restarts
// a daemon that failed.
func Run(opts Options) int {
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	errorf := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "Error: "+format+"\n", args...)
		return exitError
	}

	// Signals are caught from the start, so that none is lost; before the
	// loop they simply abort the start-up.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	defer handleHangUp()()
	ctx, cancel := context.WithCancelCause(logging.ContextWithThread(context.Background(), logging.MainThread))
	defer cancel(nil)
	go func() {
		select {
		case sig := <-sigs:
			cancel(signalled{sig})
		case <-ctx.Done():
		}
	}()

	logging.StartDaemon()
	log := logging.FromContext(ctx, logging.LoggerDaemonEntry)
	cfgFile, err := config.Load(config.Options{TestIsolation: opts.TestIsolation, ConfFile: opts.ConfFile}, logging.Logf(logging.LoggerConfig))
	if err != nil {
		return errorf("%v", err)
	}
	cfg, err := cfgFile.Daemon()
	if err != nil {
		return errorf("%v", err)
	}
	closeLog, err := logging.SetupDaemon(cfg.Logging)
	if err != nil {
		return errorf("%v", err)
	}
	defer closeLog()

	ext, err := extension.Load(ctx, cfg.Extensions, cfgFile.Raw())
	if err != nil {
		log.WithError(err).Error("Fatal error!")
		return exitError
	}
	logStartup(log, cfgFile, cfg)
	dataIndex, serialOnly, err := connect(ctx, cfgFile, ext)
	if err != nil {
		return errorf("Unable to connect to the database: %v\nSee --help-config for more details.", err)
	}
	defer dataIndex.Close()
	if err := dataIndex.CheckSchema(ctx); err != nil {
		return errorf("%s", dataIndex.Redact(err.Error()))
	}
	m := metrics.New(cfg.Hostname)
	m.Start(version.Version, runtime.Version())
	// Statements wait out an outage of the data index (db.Retry); say so
	// when one begins and ends, once each, from the thread that noticed.
	dataIndex.OnUnavailable = func(ctx context.Context, err error) {
		m.IndexUp.Set(0)
		logging.FromContext(ctx, logging.LoggerDaemonUpdate).Warnf("Database unavailable: %s.  Waiting for it.", dataIndex.Redact(err.Error()))
	}
	dataIndex.OnAvailable = func(ctx context.Context, down time.Duration) {
		m.IndexUp.Set(1)
		logging.FromContext(ctx, logging.LoggerDaemonUpdate).Infof("Database available again after %s.", format.DeltaT(down.Seconds()))
	}
	dataIndex.OnFailover = func(ctx context.Context, from, to string, err error) {
		logging.FromContext(ctx, logging.LoggerDaemonUpdate).Warn(db.FailoverMessage(from, to, dataIndex.Redact(fmt.Sprint(err))))
	}

	exporting := !opts.Once && cfg.PromClientPort > 0
	if exporting {
		stop, err := m.Serve(cfg.PromClientAddress, cfg.PromClientPort)
		if err != nil {
			log.WithError(err).Error("Fatal error!")
			return exitError
		}
		defer stop()
	}

	d := &Daemon{cfg: cfg, db: dataIndex, metrics: m, exporting: exporting, nodes: map[string]*node{}, groups: map[string]*group{}, available: map[string]bool{}}
	d.queue = scheduler.NewQueue(threads{})
	if serialOnly {
		log.Warn("Database is not threadsafe: forcing serial I/O.")
	}
	// Tasks run under a context of their own: a signal must let them
	// finish, not cut them short.
	taskCtx := logging.ContextWithThread(context.Background(), logging.MainThread)
	d.pool = scheduler.NewPool(taskCtx, d.queue, scheduler.Options{Workers: cfg.NumWorkers, SerialOnly: serialOnly, IsDBError: db.IsError})
	m.WatchScheduler(cfg.Hostname, d.queue, d.pool)
	// Without a place for the sockets, pulls log in for each file.
	ssh, err := transfer.NewSSH(cfg.SSHShareConnections)
	if err != nil {
		log.Warnf("Not sharing ssh connections: %v", err)
	}
	defer ssh.Close()
	d.env = &nodeio.Env{DB: dataIndex, Queue: d.queue, Settings: cfg, Ext: ext, Metrics: m, SSH: ssh}
	d.watch = &watchers{d: d}
	d.pool.HandleSignals(taskCtx)

	defer notifyReady(ctx, d)()
	status, err := d.loop(ctx, opts.Once)
	if err != nil {
		log.WithError(err).Error("Fatal error!")
		status = exitError
	}
	// From here on a signal hurries the shutdown along.
	cancel(nil)
	d.shutdown(sigs)
	return status
}

// signalled is the cause of the main context's end when a signal stops the
// daemon.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return "caught " + s.sig.String() }

// connect opens the data index: through a database extension if one is
// loaded, else from database.url. serialOnly is true when the connection
// must not be shared by workers.
func connect(ctx context.Context, cfg *config.Config, ext *extension.Set) (*db.DB, bool, error) {
	if dbx := ext.Database(ctx); dbx != nil {
		conf, err := cfg.Database()
		if err != nil {
			return nil, false, err
		}
		d, err := dbx.Connect(ctx, conf)
		return d, dbx.NotReentrant, err
	}
	url, err := cfg.DatabaseURL()
	if err != nil {
		return nil, false, err
	}
	d, err := db.Open(url)
	return d, false, err
}

// shutdown stops the watchers and the workers. Running tasks may finish
// within stopGrace; after that, or at a further signal, they are cancelled.
func (d *Daemon) shutdown(sigs <-chan os.Signal) {
	d.watch.stopAll()
	stopCtx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-stopCtx.Done():
		}
	}()
	d.pool.Stop(stopCtx)
}

// loop runs passes until the daemon must stop. It returns the exit status,
// and an error for a failure that ends the daemon.
func (d *Daemon) loop(ctx context.Context, once bool) (int, error) {
	log := d.log(ctx)
	interval := time.Duration(d.cfg.UpdateInterval) * time.Second
	// Passes come at least as often as the probes would.
	probing := d.cfg.WakeOnRequests && !once && interval > probePeriod
	for {
		start := time.Now()
		// Taken before the pass reads any request, so that the requests
		// written during the pass are news to the wait after it.
		var marks *index.RequestMarks
		if probing {
			marks = d.requestMarks(ctx)
		}
		if err := d.pass(ctx); err != nil {
			if ctx.Err() != nil {
				return d.signalled(ctx), nil
			}
			return exitError, err
		}
		if err := d.serialIO(ctx); err != nil {
			return exitError, err
		}
		elapsed := time.Since(start)
		log.Infof("Main loop execution was %s.", format.DeltaT(elapsed.Seconds()))
		d.metrics.MainLoopTime.Set(elapsed.Seconds())
		d.metrics.MainLoops.Inc()
		if err := d.observe(ctx, elapsed); err != nil {
			if ctx.Err() != nil {
				return d.signalled(ctx), nil
			}
			return exitError, err
		}
		log.Info(d.pool.Stats().String())

		if once {
			return d.drain(ctx, interval)
		}
		next := start.Add(max(interval, minPassGap))
		if marks != nil {
			d.waitForRequests(ctx, start.Add(max(wakeBound*elapsed, minPassGap)), next, marks)
		} else {
			select {
			case <-time.After(time.Until(next)):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			return d.signalled(ctx), nil
		}
	}
}

// requestMarks returns the request tables' marks, or nil when they cannot
// be read: then the next wait is a plain one, and the pass deals with the
// data index being away.
func (d *Daemon) requestMarks(ctx context.Context) *index.RequestMarks {
	m, err := index.NewestRequests(ctx, d.db)
	if err != nil {
		d.log(ctx).Debugf("Cannot look for new requests: %s.", d.db.Redact(err.Error()))
		return nil
	}
	return &m
}

// waitForRequests waits until next, or until a pending request for this
// host's groups or nodes newer than marks is found, probing every
// probePeriod from earliest on. marks are moved past the rows seen, so
// that each new row is looked at once.
func (d *Daemon) waitForRequests(ctx context.Context, earliest, next time.Time, marks *index.RequestMarks) {
	// A probe must not hold up the regular pass, e.g. on a data index
	// that stopped answering.
	ctx, cancel := context.WithDeadline(ctx, next)
	defer cancel()
	tick := time.NewTicker(probePeriod)
	defer tick.Stop()
	failed := false
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if now.Before(earliest) {
				continue
			}
		}
		found, err := d.newRequests(ctx, marks)
		if err != nil {
			// Once a wait is enough: an outage would repeat it four
			// times a second.
			if ctx.Err() == nil && !failed {
				d.log(ctx).Debugf("Cannot look for new requests: %s.", d.db.Redact(err.Error()))
			}
			failed = true
			continue
		}
		if found {
			d.log(ctx).Debug("New requests for this host: starting the next update now.")
			return
		}
	}
}

// newRequests reports whether a pending request newer than marks is for
// this host: a copy request into an available group or an import request
// on one of its nodes. The second query runs only when a table grew.
func (d *Daemon) newRequests(ctx context.Context, marks *index.RequestMarks) (bool, error) {
	newest, err := index.NewestRequests(ctx, d.db)
	if err != nil || newest == *marks {
		return false, err
	}
	if newest.Copy > marks.Copy || newest.Import > marks.Import {
		var groupIDs, nodeIDs []int64
		for _, g := range d.liveGroups() {
			groupIDs = append(groupIDs, g.row.ID)
		}
		for _, name := range d.nodeOrder {
			nodeIDs = append(nodeIDs, d.nodes[name].row.Load().ID)
		}
		found, err := index.PendingRequestsAfter(ctx, d.db, *marks, groupIDs, nodeIDs)
		if err != nil || found {
			return found, err
		}
	}
	*marks = newest
	return false, nil
}

// drain waits, after the single pass of --once, until no task is left,
// reporting the queue every update interval.
func (d *Daemon) drain(ctx context.Context, interval time.Duration) (int, error) {
	log := d.log(ctx)
	lastReport := time.Now()
	for first := true; ; first = false {
		s := d.pool.Stats()
		if s.Queued+s.InProgress+s.Deferred == 0 {
			log.Info("Update complete.  Exiting.")
			return exitOK, nil
		}
		if first {
			log.Info("Waiting for updates to complete.")
		}
		// Without workers nothing else would run the tasks.
		if err := d.serialIO(ctx); err != nil {
			return exitError, err
		}
		select {
		case <-time.After(minPassGap):
		case <-ctx.Done():
			return d.signalled(ctx), nil
		}
		if time.Since(lastReport) >= interval {
			log.Info(d.pool.Stats().String())
			lastReport = time.Now()
		}
	}
}

// signalled logs why a signal stops the daemon and returns the exit
// status: 1 for SIGINT, as upstream; 0 for SIGTERM, the service manager's
// way of stopping a daemon, which is no failure.
func (d *Daemon) signalled(ctx context.Context) int {
	var s signalled
	if errors.As(context.Cause(ctx), &s) && s.sig == syscall.SIGTERM {
		d.log(ctx).Info("Exiting due to SIGTERM")
		return exitOK
	}
	d.log(ctx).Info("Exiting due to SIGINT")
	return exitError
}

// serialIO runs queued tasks in the main loop when there are no workers.
func (d *Daemon) serialIO(ctx context.Context) error {
	if d.pool.Workers() > 0 {
		return nil
	}
	return d.pool.RunSerial(ctx, time.Duration(d.cfg.SerialIOTimeout)*time.Second)
}

// pass is one iteration of the main loop.
func (d *Daemon) pass(ctx context.Context) error {
	log := d.log(ctx)
	host := d.cfg.Hostname

	rows, err := index.HostNodes(ctx, d.db, host)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		log.Warnf("No active nodes on host (%s)!", host)
	}
	fetched := map[string]*db.StorageNode{}
	for i := range rows {
		fetched[rows[i].Name] = &rows[i]
	}

	// Nodes gone since the last pass.
	kept := d.nodeOrder[:0]
	for _, name := range d.nodeOrder {
		n := d.nodes[name]
		if fetched[name] != nil {
			kept = append(kept, name)
			continue
		}
		if n.available {
			log.Infof("Node \"%s\" no longer available.", name)
			d.metrics.NodeAvailable.WithLabelValues(name).Set(0)
		}
		n.stop(ctx)
		n.lock.release()
		d.metrics.NodeIdle.DeleteLabelValues(name)
		delete(d.nodes, name)
	}
	d.nodeOrder = kept

	// Nodes of this pass, and the groups they make available.
	type groupEntry struct {
		row   *db.StorageGroup
		nodes []nodeio.Node
		idle  bool
	}
	table := map[string]*groupEntry{}
	var tableOrder []string
	for i := range rows {
		row := &rows[i]
		n := d.nodes[row.Name]
		if row.Root == nil || !filepath.IsAbs(*row.Root) {
			// Every path on the node is taken from its root: without an
			// absolute one, files would be sought relative to wherever
			// the daemon happens to run.
			root := "NULL"
			if row.Root != nil {
				root = fmt.Sprintf("%q", *row.Root)
			}
			log.Errorf("Ignoring StorageNode %s: root %s is not an absolute path.", row.Name, root)
			if n != nil && n.available {
				log.Infof("Node \"%s\" no longer available.", row.Name)
				d.metrics.NodeAvailable.WithLabelValues(row.Name).Set(0)
				n.stop(ctx)
				n.available = false
			}
			continue
		}
		if n == nil {
			n = &node{d: d}
			n.row.Store(row)
			d.nodes[row.Name] = n
			d.nodeOrder = append(d.nodeOrder, row.Name)
		}
		if !n.available && !n.lock.refused {
			log.Infof("Node \"%s\" now available.", row.Name)
			d.metrics.NodeAvailable.WithLabelValues(row.Name).Set(1)
			d.metrics.AddNode(row.Name)
		}
		if !n.reinit(ctx, row) {
			n.available = false
			continue
		}
		ok, err := n.checkInit(ctx)
		if err != nil {
			return err
		}
		if ok && !n.acquireLock(ctx) {
			// Another daemon manages the node: leave it entirely alone.
			if n.available {
				n.stop(ctx)
			}
			d.metrics.NodeAvailable.WithLabelValues(row.Name).Set(0)
			ok = false
		}
		n.available = ok
		if !ok || row.Group == nil {
			continue
		}
		e := table[row.Group.Name]
		if e == nil {
			e = &groupEntry{row: row.Group, idle: true}
			table[row.Group.Name] = e
			tableOrder = append(tableOrder, row.Group.Name)
		}
		e.nodes = append(e.nodes, n)
		e.idle = e.idle && n.Idle()
	}

	// Groups gone since the last pass.
	keptGroups := d.groupOrd[:0]
	for _, name := range d.groupOrd {
		if table[name] != nil {
			keptGroups = append(keptGroups, name)
			continue
		}
		if d.available[name] {
			log.Infof("Group \"%s\" no longer available.", name)
			d.metrics.GroupAvailable.WithLabelValues(name).Set(0)
		}
		d.groups[name].stop(ctx)
		d.metrics.GroupIdle.DeleteLabelValues(name)
		delete(d.groups, name)
		delete(d.available, name)
	}
	d.groupOrd = keptGroups
	for _, name := range tableOrder {
		e := table[name]
		g := d.groups[name]
		if g == nil {
			g = &group{d: d, row: e.row}
			d.groups[name] = g
			d.groupOrd = append(d.groupOrd, name)
		}
		if !d.available[name] {
			log.Infof("Group \"%s\" now available.", name)
			d.metrics.GroupAvailable.WithLabelValues(name).Set(1)
		}
		d.available[name] = g.reinit(ctx, e.row, e.nodes, e.idle)
	}

	live := d.liveNodes()
	for _, n := range live {
		if err := n.update(ctx); err != nil {
			return err
		}
	}
	groups := d.liveGroups()
	for _, g := range groups {
		if err := g.update(ctx); err != nil {
			return err
		}
	}
	for _, n := range live {
		if err := n.updateIdle(ctx); err != nil {
			return err
		}
	}
	for _, g := range groups {
		g.updateIdle(ctx)
		g.io.AfterUpdate(ctx)
	}
	for _, n := range live {
		n.IO().AfterUpdate(ctx)
	}
	d.pool.Respawn(ctx)
	return nil
}

func (d *Daemon) liveNodes() []*node {
	var out []*node
	for _, name := range d.nodeOrder {
		if n := d.nodes[name]; n.available {
			out = append(out, n)
		}
	}
	return out
}

func (d *Daemon) liveGroups() []*group {
	var out []*group
	for _, name := range d.groupOrd {
		if d.available[name] {
			out = append(out, d.groups[name])
		}
	}
	return out
}
