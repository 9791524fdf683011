package io

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// pendingPulls holds the reservations of pull tasks that are queued but
// have not started: those are released by Stop if the node goes away and
// its queued tasks are discarded. A started pull releases its own.
type pendingPulls struct {
	mu   sync.Mutex
	size map[int64]int64 // by request id
}

func fileSize(f *db.ArchiveFile) int64 {
	if f.SizeB == nil {
		return 0
	}
	return *f.SizeB
}

// Pull queues the pull of req's file onto the node, unless the node is
// below its minimum free space, at its maximum total, or the file would not
// fit beside the pulls already promised space.
func (n *DefaultNode) Pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIODefault)
	node := n.Row()
	if node.UnderMin() {
		log.Infof("Skipping pull for StorageNode %s: hit minimum free space: (%.2f GiB < %.2f GiB)",
			node.Name, *node.AvailGB, node.MinAvailGB)
		return nil
	}
	over, total, err := OverMax(ctx, n.env.DB, node)
	if err != nil {
		return err
	}
	if over {
		log.Infof("Skipping pull for StorageNode %s: node full. (%.2f GiB >= %.2f GiB)", node.Name, total, *node.MaxTotalGB)
		return nil
	}
	size := fileSize(req.File)
	if !n.outer.reserve(ctx, size) {
		log.Warnf("Skipping request for %s: insufficient space on node %s.", FilePath(req.File), node.Name)
		return nil
	}

	n.pending.mu.Lock()
	if n.pending.size == nil {
		n.pending.size = map[int64]int64{}
	}
	if _, dup := n.pending.size[req.ID]; dup {
		// Already queued (a request dispatched again before its task ran).
		n.pending.mu.Unlock()
		n.outer.release(size)
		return nil
	}
	n.pending.size[req.ID] = size
	n.pending.mu.Unlock()

	name := fmt.Sprintf("AFCR#%d: %s -> %s", req.ID, req.NodeFrom.Name, node.Name)
	step := func(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
		if n.takePending(req.ID) {
			t.OnCleanup(func() { n.outer.release(size) })
		}
		return scheduler.Done(), n.pull(ctx, req)
	}
	if !n.env.Queue.Submit(ctx, n.fifo, name, step, 0) {
		if n.takePending(req.ID) {
			n.outer.release(size)
		}
	}
	return nil
}

// takePending hands the reservation of a queued pull over to its running
// task; false if it was already released.
func (n *DefaultNode) takePending(id int64) bool {
	n.pending.mu.Lock()
	defer n.pending.mu.Unlock()
	_, ok := n.pending.size[id]
	delete(n.pending.size, id)
	return ok
}

// Stop releases the space reserved for pulls that never started; the daemon
// calls it after discarding the node's queued tasks.
func (n *DefaultNode) Stop() {
	n.pending.mu.Lock()
	held := n.pending.size
	n.pending.size = nil
	n.pending.mu.Unlock()
	for _, size := range held {
		n.outer.release(size)
	}
}

// pull carries out a copy request: the destination is this node.
func (n *DefaultNode) pull(ctx context.Context, req *db.ArchiveFileCopyRequest) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	env := n.env
	node := n.Row()
	file := req.File
	path := FilePath(file)

	state, err := FileCopyState(ctx, env.DB, req.FileID, node.ID)
	if err != nil {
		return err
	}
	if state == db.HasYes {
		log.Infof("Cancelling pull request for %s to %s: already present.", path, node.Name)
		if err := CancelRequest(ctx, env, req.ID); err != nil {
			return err
		}
		env.Metrics.RequestsCompleted.WithLabelValues("copy", "duplicate", req.NodeFrom.Name, req.GroupTo.Name).Inc()
		return nil
	}

	remote, err := NewRemote(env, req.NodeFrom)
	if err != nil {
		log.Errorf("Skipping request for %s: %v", path, err)
		return nil
	}
	local := env.Local(req.NodeFrom)
	job := transfer.Job{
		Src:     remote.FilePath(file),
		Expect:  transfer.Expect{Size: fileSize(file)},
		Timeout: transfer.PullTimeout(fileSize(file), env.Settings.PullTimeoutBase, env.Settings.PullBytesPerSecond),
	}
	if file.MD5Sum != nil {
		job.Expect.MD5 = *file.MD5Sum
	}
	if !local {
		if _, err := remote.FileAddr(file); err != nil {
			log.Warnf("Skipping request for %s due to unconfigured route to host for node %s.", path, req.NodeFrom.Name)
			return nil
		}
		job.Host = *req.NodeFrom.Username + "@" + *req.NodeFrom.Address
	}
	if job.Dst, err = n.abs(path); err != nil {
		log.Errorf("Skipping request for %s: %v", path, err)
		return nil
	}

	dir := filepath.Dir(job.Dst)
	placeholder := fsutil.PlaceholderPath(job.Dst)
	var mkErr error
	n.tree.creating(func() {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			log.Infof("Creating directory \"%s\".", dir)
			if mkErr = os.MkdirAll(dir, 0o755); mkErr != nil {
				return
			}
		}
		// The placeholder keeps the directory from being pruned while
		// the transfer runs without the lock.
		if _, err := os.Lstat(job.Dst); errors.Is(err, os.ErrNotExist) {
			mkErr = fsutil.CreatePlaceholder(job.Dst)
		}
	})
	if mkErr != nil {
		os.Remove(placeholder)
		return n.pullDone(ctx, req, time.Now(), transfer.Result{},
			&transfer.Error{Op: "mkdir", Err: mkErr, Output: mkErr.Error()})
	}

	start := time.Now()
	res, err := n.transferFile(ctx, req, job, local)
	os.Remove(placeholder)
	if ctx.Err() != nil {
		// The daemon is stopping: the transfer was cut short and leaves
		// nothing behind; the request stays pending.
		log.Warnf("Pull of %s abandoned: %v", path, context.Cause(ctx))
		return nil
	}
	if err := n.pullDone(ctx, req, start, res, err); err != nil {
		return err
	}

	if avail, ok := n.outer.BytesAvail(ctx, true); ok {
		row, err := UpdateAvailGB(ctx, env.DB, n.Row(), avail, true)
		if err != nil {
			return err
		}
		n.SetStorage(row)
	}
	return nil
}

// transferFile picks the method: for a remote source bbcp if installed (and
// the paths suit it), else rsync over ssh; for a local one a hard link when
// both nodes are archive nodes or neither is, else rsync, else an
// in-process copy.
func (n *DefaultNode) transferFile(ctx context.Context, req *db.ArchiveFileCopyRequest, job transfer.Job, local bool) (transfer.Result, error) {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	path := FilePath(req.File)
	node := n.Row()
	running := func(method transfer.Method, remote string) func() {
		g := n.env.Metrics.PullRunning.WithLabelValues(string(method), remote, node.Name)
		g.Inc()
		return g.Dec
	}
	have := func(cmd string) bool { _, err := exec.LookPath(cmd); return err == nil }

	if !local {
		switch {
		case have("bbcp") && transfer.BbcpSafe(job.Src) && transfer.BbcpSafe(job.Dst):
			log.Infof("Pulling remote file %s using bbcp", path)
			defer running(transfer.MethodBbcp, "1")()
			return transfer.BbcpPull(ctx, job, scheduler.WorkerID(ctx))
		case have("rsync"):
			log.Infof("Pulling remote file %s using rsync", path)
			defer running(transfer.MethodRsync, "1")()
			return transfer.RsyncPull(ctx, job)
		}
		log.Error("No commands available to complete remote pull.")
		return transfer.Result{}, &transfer.Error{Op: "pull", Err: errors.New("no transfer command")}
	}

	if req.NodeFrom.Archive() == node.Archive() {
		done := running(transfer.MethodLink, "0")
		res, err := transfer.HardLink(ctx, job)
		done()
		if !errors.Is(err, transfer.ErrNoLink) {
			if err == nil {
				log.Infof("Hardlinked local file %s", path)
			}
			return res, err
		}
	}
	if have("rsync") {
		log.Infof("Pulling local file %s using rsync", path)
		defer running(transfer.MethodRsync, "0")()
		return transfer.RsyncPull(ctx, job)
	}
	log.Warn("Falling back on shutil.copy to complete local pull.")
	defer running(transfer.MethodInternal, "0")()
	return transfer.Copy(ctx, job)
}

// pullDone records a pull's outcome. A failure leaves the request pending;
// when the source copy may be to blame it is marked suspect ('M'), which
// holds the request back until the source has been checked. A success
// records the new copy, completes the request and runs the auto-actions
// in one transaction.
func (n *DefaultNode) pullDone(ctx context.Context, req *db.ArchiveFileCopyRequest, start time.Time, res transfer.Result, terr error) error {
	log := logging.FromContext(ctx, logging.LoggerIOUtil)
	env := n.env
	node := n.Row()
	file := req.File
	path := FilePath(file)
	transfers := func(result string) {
		env.Metrics.Transfers.WithLabelValues(result, req.NodeFrom.Name, req.GroupTo.Name).Inc()
	}
	suspect := func() error {
		return dbErr(env.DB.Retry(ctx, func(g *gorm.DB) error {
			return g.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", req.FileID, req.NodeFromID).
				Updates(map[string]any{"has_file": db.HasMaybe, "last_update": db.Now()}).Error
		}))
	}

	if terr != nil {
		var te *transfer.Error
		output := terr.Error()
		if errors.As(terr, &te) {
			output = te.Output
		}
		if output == "" {
			output = "Unspecified error."
		}
		switch {
		case te != nil && te.Integrity:
			// The file arrived, but not as recorded: it was never given
			// its final name.
			log.Errorf("MD5 mismatch on node %s; Marking source file %s on node %d suspect.", node.Name, file.Name, req.NodeFromID)
			log.Infof("Output: %s", output)
			transfers("integrity")
			return suspect()
		case transfer.SourceSuspect(terr):
			log.Error("Copy failed.  Marking source file suspect.")
			log.Infof("Output: %s", output)
			transfers("check_src")
			return suspect()
		}
		log.Error("Copy failed")
		log.Infof("Output: %s", output)
		transfers("failure")
		return nil
	}

	end := time.Now()
	elapsed := end.Sub(start)
	size := fileSize(file)
	rate := float64(size)
	if s := elapsed.Seconds(); s > 0 {
		rate /= s
	}
	log.Infof("Pull of %s complete. Transferred %s in %s [%s/s]", path, PrettyBytes(float64(size)), PrettyDeltat(elapsed), PrettyBytes(rate))

	err := env.DB.Transaction(ctx, func(tx *gorm.DB) error {
		c := db.ArchiveFileCopy{FileID: req.FileID, NodeID: node.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, LastUpdate: db.Now()}
		if s, err := n.outer.FileSize(path, true); err == nil {
			c.SizeB = &s
		}
		err := tx.Create(&c).Error
		if isDuplicate(err) {
			err = tx.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", req.FileID, node.ID).
				Updates(map[string]any{"has_file": db.HasYes, "wants_file": db.WantYes, "ready": true, "size_b": c.SizeB, "last_update": c.LastUpdate}).Error
		}
		if err != nil {
			return err
		}
		err = tx.Model(&db.ArchiveFileCopyRequest{}).Where("id = ?", req.ID).Updates(map[string]any{
			"completed": true, "transfer_started": db.NewTime(start), "transfer_completed": db.NewTime(end)}).Error
		if err != nil {
			return err
		}
		return postAdd(ctx, tx, node, file)
	})
	if err != nil {
		return dbErr(err)
	}
	env.Metrics.RequestsCompleted.WithLabelValues("copy", "success", req.NodeFrom.Name, req.GroupTo.Name).Inc()
	transfers("success")
	env.Metrics.PulledBytes.WithLabelValues(req.NodeFrom.Name, req.GroupTo.Name).Add(float64(size))
	return nil
}
