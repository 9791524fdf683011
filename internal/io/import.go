package io

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// readyWait is how long an import waits for a file its node is not yet
// ready to read (a restore from tape, say) before asking again.
const readyWait = 600 * time.Second

// settleWait is how long an import waits before trying again when the file
// changed while it was being hashed: something is still writing it.
const settleWait = 10 * time.Second

// ImportFile queues the import of path on node. path may be absolute
// (under the node root) or relative to the root. register allows creating
// the acquisition and file rows of an unknown file. req is the import
// request being served, or nil for imports nobody asked for (auto-import,
// scans), which are then retried after a database failure since nothing
// else would bring them back.
func ImportFile(ctx context.Context, env *Env, node Node, path string, register bool, req *db.ArchiveFileImportRequest) error {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	row := node.Row()
	root := ""
	if row.Root != nil {
		root = filepath.Clean(*row.Root)
	}
	if filepath.Clean(path) == root {
		log.Debug("Skipping import request of node root")
		return CompleteImport(ctx, env, req, row, "ignored")
	}
	if filepath.IsAbs(path) {
		rel, err := fsutil.Rel(root, path)
		if err != nil {
			log.Warnf("Ignoring import of %s: not rooted under node %s", path, root)
			return CompleteImport(ctx, env, req, row, "ignored")
		}
		path = rel
	}
	path = filepath.Clean(path)
	if path == nodeFile {
		log.Debug("ignoring ALPENHORN_NODE file during import")
		return CompleteImport(ctx, env, req, row, "ignored")
	}

	nio := node.IO()
	if nio == nil {
		// The node is being set up again; its new watcher or the request's
		// next pass will bring the file back.
		return nil
	}
	var flags scheduler.Flags
	if req == nil {
		flags = scheduler.RequeueOnDBError
	}
	imp := &importer{env: env, node: node, nio: nio, path: path, register: register, req: req}
	env.Queue.Submit(ctx, imp.nio.FIFO(), fmt.Sprintf("Import %s on %s", path, row.Name), imp.start, flags)
	return nil
}

// importer is one import task.
type importer struct {
	env      *Env
	node     Node
	nio      NodeIO
	path     string
	register bool
	req      *db.ArchiveFileImportRequest
}

func (im *importer) done(ctx context.Context, result string) (scheduler.Next, error) {
	return scheduler.Done(), CompleteImport(ctx, im.env, im.req, im.node.Row(), result)
}

func (im *importer) start(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	row := im.node.Row()
	full := filepath.Join(*row.Root, im.path)
	if fi, err := os.Lstat(full); err != nil || !fi.Mode().IsRegular() {
		log.Infof("Not importing \"%s\": not a file.", im.path)
		return im.done(ctx, "invalid")
	}
	log.Debugf("Considering \"%s\" for import to node %s.", im.path, row.Name)
	if fsutil.IsDotFile(im.path) {
		log.Infof("Not importing \"%s\": filename starts with a dot.", im.path)
		return im.done(ctx, "bad_name")
	}
	return im.whenReady(ctx, t)
}

func (im *importer) whenReady(ctx context.Context, t *scheduler.Task) (scheduler.Next, error) {
	if !im.nio.ReadyPath(ctx, im.path) {
		logging.FromContext(ctx, logging.LoggerDaemonAutoImport).Infof(
			"Path \"%s\" not ready for I/O during import.  Waiting 600 seconds.", im.path)
		return scheduler.After(readyWait, im.whenReady), nil
	}
	return im.run(ctx, t)
}

func (im *importer) run(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	env, d := im.env, im.env.DB
	row := im.node.Row()
	path := im.path

	if im.nio.Locked(ctx, path) {
		// The request stays pending: the file is imported once unlocked.
		log.Infof("Skipping \"%s\": locked.", path)
		return scheduler.Done(), nil
	}

	var det extension.Detection
	found := false
	if env.Ext == nil {
		log.Error("Attempt to import file with no import-detect extensions.")
	} else {
		var err error
		det, found, err = env.Ext.Detect(ctx, d, path, row)
		var bad *extension.InvalidAcqError
		if errors.As(err, &bad) {
			log.Warnf("Rejecting invalid acq path \"%s\": %s", bad.Acq, bad.Reason)
			return im.done(ctx, "bad_acq")
		}
		if err != nil {
			return scheduler.Done(), dbErr(err)
		}
	}
	if !found {
		log.Infof("Not importing non-acquisition path: %s", path)
		return im.done(ctx, "no_detection")
	}

	// Already tracked here: a duplicate event or request.
	var tracked int64
	err := d.Retry(ctx, func(g *gorm.DB) error {
		return g.Raw(`SELECT COUNT(*) FROM archivefilecopy c JOIN archivefile f ON f.id = c.file_id
 JOIN archiveacq a ON a.id = f.acq_id WHERE c.node_id = ? AND a.name = ? AND f.name = ? AND c.has_file != 'N'`,
			row.ID, det.Acq, det.File).Scan(&tracked).Error
	})
	if err != nil {
		return scheduler.Done(), dbErr(err)
	}
	if tracked > 0 {
		log.Debugf("Not importing %s: already known", path)
		return im.done(ctx, "duplicate")
	}

	acq, newAcq, err := im.acq(ctx, det.Acq)
	switch {
	case err != nil:
		return scheduler.Done(), err
	case acq == nil:
		return im.done(ctx, "unregistered")
	}
	file, newFile, retry, err := im.file(ctx, acq, det.File)
	switch {
	case err != nil:
		return scheduler.Done(), err
	case retry > 0:
		return scheduler.After(retry, im.whenReady), nil
	case file == nil && !im.register:
		return im.done(ctx, "unregistered")
	case file == nil:
		// It could not be read: any request stays pending, to be tried
		// again.
		return scheduler.Done(), nil
	}

	copy, ok, err := im.copy(ctx, file)
	if err != nil {
		return scheduler.Done(), err
	}
	if !ok {
		return im.done(ctx, "duplicate")
	}
	if err := CompleteImport(ctx, env, im.req, row, "success"); err != nil {
		return scheduler.Done(), err
	}
	if det.Callback != nil {
		cerr := det.Callback(ctx, d, extension.Imported{Copy: copy, NewFile: newFile, NewAcq: newAcq, Node: row})
		if cerr != nil {
			log.Errorf("Import callback for %s failed: %v", path, cerr)
		}
	}
	return scheduler.Done(), nil
}

// acq finds, or with register creates, the acquisition. It returns nil,
// nil, nil when the acquisition is unknown and may not be created.
func (im *importer) acq(ctx context.Context, name string) (acq, created *db.ArchiveAcq, err error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	d := im.env.DB
	find := func() (*db.ArchiveAcq, error) {
		var rows []db.ArchiveAcq
		err := d.Retry(ctx, func(g *gorm.DB) error {
			rows = nil
			return g.Where("name = ?", name).Limit(1).Find(&rows).Error
		})
		if err != nil || len(rows) == 0 {
			return nil, dbErr(err)
		}
		return &rows[0], nil
	}
	if acq, err = find(); err != nil || acq != nil {
		if acq != nil {
			log.Debugf("Acquisition \"%s\" already in DB.", name)
		}
		return acq, nil, err
	}
	if !im.register {
		log.Infof("Not importing unregistered acquistion: \"%s\".", name)
		return nil, nil, nil
	}
	acq = &db.ArchiveAcq{Name: name}
	err = d.Retry(ctx, func(g *gorm.DB) error { return g.Create(acq).Error })
	if isDuplicate(err) {
		// Created meanwhile by another worker or host.
		log.Debugf("Acquisition \"%s\" already in DB.", name)
		acq, err = find()
		if err == nil && acq == nil {
			err = dbErr(fmt.Errorf("acquisition %s vanished after a duplicate insert", name))
		}
		return acq, nil, err
	}
	if err != nil {
		return nil, nil, dbErr(err)
	}
	log.Infof("Acquisition \"%s\" added to DB.", name)
	return acq, acq, nil
}

// file finds, or with register creates, the file row. A new row gets the
// file's size and MD5; a file that cannot be hashed is not registered, and
// one that changes while being hashed is still being written, so the
// import is retried after retry.
func (im *importer) file(ctx context.Context, acq *db.ArchiveAcq, name string) (file, created *db.ArchiveFile, retry time.Duration, err error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	d := im.env.DB
	path := im.path
	find := func() (*db.ArchiveFile, error) {
		var rows []db.ArchiveFile
		err := d.Retry(ctx, func(g *gorm.DB) error {
			rows = nil
			return g.Where("acq_id = ? AND name = ?", acq.ID, name).Limit(1).Find(&rows).Error
		})
		if err != nil || len(rows) == 0 {
			return nil, dbErr(err)
		}
		rows[0].Acq = acq
		return &rows[0], nil
	}
	if file, err = find(); err != nil || file != nil {
		if file != nil {
			log.Debugf("File \"%s\" already in DB.", path)
		}
		return file, nil, 0, err
	}
	if !im.register {
		log.Infof("Not importing unregistered file: \"%s\".", path)
		return nil, nil, 0, nil
	}

	log.Debugf("Computing md5sum of \"%s\".", path)
	before, err := im.nio.FileSize(path, false)
	if err != nil {
		log.Warnf("Not importing \"%s\": %v", path, err)
		return nil, nil, 0, nil
	}
	full := filepath.Join(*im.node.Row().Root, path)
	st0, _ := os.Stat(full)
	sum, ok := im.nio.MD5(ctx, path)
	if !ok {
		return nil, nil, 0, nil
	}
	st1, err := os.Stat(full)
	if err != nil || st0 == nil || st1.Size() != before || !st1.ModTime().Equal(st0.ModTime()) {
		log.Infof("File \"%s\" changed during import.  Waiting %d seconds.", path, int(settleWait.Seconds()))
		return nil, nil, settleWait, nil
	}

	file = &db.ArchiveFile{AcqID: acq.ID, Name: name, SizeB: &before, MD5Sum: &sum, Registered: db.Now(), Acq: acq}
	err = d.Retry(ctx, func(g *gorm.DB) error { return g.Create(file).Error })
	if isDuplicate(err) {
		log.Debugf("File \"%s\" already in DB.", path)
		file, err = find()
		if err == nil && file == nil {
			err = dbErr(fmt.Errorf("file %s vanished after a duplicate insert", path))
		}
		return file, nil, 0, err
	}
	if err != nil {
		return nil, nil, 0, dbErr(err)
	}
	log.Infof("File \"%s\" added to DB.", path)
	return file, file, 0, nil
}

// copy records the file's copy on the node, and runs the auto-actions
// that follow, in one transaction. ok is false when another worker
// created the copy row first: that worker finishes the import.
func (im *importer) copy(ctx context.Context, file *db.ArchiveFile) (*db.ArchiveFileCopy, bool, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	d := im.env.DB
	row := im.node.Row()
	path := im.path

	var existing []db.ArchiveFileCopy
	err := d.Retry(ctx, func(g *gorm.DB) error {
		existing = nil
		return g.Where("file_id = ? AND node_id = ?", file.ID, row.ID).Limit(1).Find(&existing).Error
	})
	if err != nil {
		return nil, false, dbErr(err)
	}
	// The copy and the auto-actions it triggers are recorded together
	// (see PostAdd).
	now := db.Now()
	var c db.ArchiveFileCopy
	missing := false
	if len(existing) > 0 {
		c = existing[0]
		missing = c.WantsFile == db.WantYes
		if missing {
			// A copy recorded missing has reappeared: verify it.
			c.HasFile = db.HasMaybe
		} else {
			c.HasFile, c.WantsFile = db.HasYes, db.WantYes
		}
		c.Ready, c.LastUpdate = true, now
	} else {
		c = db.ArchiveFileCopy{FileID: file.ID, NodeID: row.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, LastUpdate: now}
		if size, err := im.nio.FileSize(path, true); err == nil {
			c.SizeB = &size
		}
	}
	err = d.Transaction(ctx, func(tx *gorm.DB) error {
		if len(existing) > 0 {
			// Only a copy still recorded absent: one present now was
			// imported by another worker since the tracking check.
			res := tx.Model(&db.ArchiveFileCopy{}).Where("id = ? AND has_file = ?", c.ID, db.HasNo).Updates(map[string]any{
				"has_file": c.HasFile, "wants_file": c.WantsFile, "ready": true, "last_update": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return errCopyRaced
			}
		} else {
			fresh := c
			err := tx.Create(&fresh).Error
			if isDuplicate(err) {
				return errCopyRaced
			}
			if err != nil {
				return err
			}
			c.ID = fresh.ID
		}
		return postAdd(ctx, tx, row, file)
	})
	if errors.Is(err, errCopyRaced) {
		log.Debug("ArchiveFileCopy created by another worker!")
		return nil, false, nil
	}
	if err != nil {
		return nil, false, dbErr(err)
	}
	if missing {
		log.Warnf("Imported missing file \"%s\" on node %s.  Marking suspect.", path, row.Name)
	} else {
		log.Infof("Imported file copy \"%s\" on node \"%s\".", path, row.Name)
	}
	c.File = file
	return &c, true, nil
}

// errCopyRaced ends the transaction recording an imported copy that
// another worker recorded first.
var errCopyRaced = errors.New("copy recorded by another worker")

// QueueScan queues a scan of path (relative to the node root) that imports
// every file not yet known on the node. name is the task's name:
// "Catch-up on NODE" when auto-import starts, `Scan "PATH" on NODE` for a
// request.
func QueueScan(ctx context.Context, env *Env, node Node, name, path string, register bool, req *db.ArchiveFileImportRequest, flags scheduler.Flags) {
	nio := node.IO()
	s := &scanner{env: env, node: node, nio: nio, name: name, register: register, req: req, flags: flags}
	env.Queue.Submit(ctx, nio.FIFO(), name, func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), s.scan(ctx, path)
	}, flags)
}

// scanChunk is how many imports a scan queues at once. The next ones are
// queued by a task of the scan's own, queued behind them, so that however
// large the tree, the queue holds a bounded number of imports: each costs
// about a kilobyte, and a scan of 100,000 new files would otherwise hold
// them all.
const scanChunk = 1000

// scanner is a scan of a node for files to import.
type scanner struct {
	env      *Env
	node     Node
	nio      NodeIO
	name     string
	register bool
	req      *db.ArchiveFileImportRequest
	flags    scheduler.Flags
}

func (s *scanner) scan(ctx context.Context, path string) error {
	env, node, nio := s.env, s.node, s.nio
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	row := node.Row()
	root := filepath.Clean(*row.Root)

	// Copies in any state but 'N': a file recorded missing or removed that
	// reappears is imported again.
	type known struct {
		Acq  string `gorm:"column:acq_name"`
		File string `gorm:"column:file_name"`
	}
	// MySQL would otherwise start from the acquisitions and go through
	// every file of the archive (see copySelectMySQL).
	join := "JOIN"
	if env.DB.Engine == db.MySQL {
		join = "STRAIGHT_JOIN"
	}
	var rows []known
	err := env.DB.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(`SELECT a.name AS acq_name, f.name AS file_name FROM archivefilecopy c
 `+join+` archivefile f ON f.id = c.file_id `+join+` archiveacq a ON a.id = f.acq_id
 WHERE c.node_id = ? AND c.has_file != 'N'`, row.ID).Scan(&rows).Error
	})
	if err != nil {
		return dbErr(err)
	}
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.Acq+"/"+r.File] = true
	}

	log.Infof("Scanning \"%s\" on \"%s\" for new files.", path, row.Name)
	var found []string
	lastParent := ""
	err = nio.FileWalk(ctx, path, func(abs string) error {
		rel, err := fsutil.Rel(root, abs)
		if err != nil {
			return nil
		}
		if parent := filepath.Dir(rel); parent != lastParent {
			log.Infof("Scanning \"%s\".", parent)
			lastParent = parent
		}
		if have[rel] {
			log.Debugf("Skipping already-registered file \"%s\".", rel)
			return nil
		}
		found = append(found, rel)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return dbErr(err)
	}
	return s.queue(ctx, found)
}

// queue queues the imports of the first scanChunk of paths, and a task to
// queue the rest after them. The scan's request is complete once every
// import is queued.
func (s *scanner) queue(ctx context.Context, paths []string) error {
	chunk := paths[:min(scanChunk, len(paths))]
	for _, rel := range chunk {
		if err := ImportFile(ctx, s.env, s.node, rel, s.register, nil); err != nil {
			return err
		}
	}
	rest := paths[len(chunk):]
	if len(rest) == 0 {
		return CompleteImport(ctx, s.env, s.req, s.node.Row(), "success")
	}
	s.env.Queue.Submit(ctx, s.nio.FIFO(), s.name+" (continued)", func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), s.queue(ctx, rest)
	}, s.flags)
	return nil
}
