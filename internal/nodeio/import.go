package nodeio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
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
// request being served: a database failure leaves it pending, for the next
// pass to bring back.
func ImportFile(ctx context.Context, env *Env, node Node, path string, register bool, req *db.ArchiveFileImportRequest) error {
	it, ok, err := importItemFor(ctx, env, node, path, register, req)
	if !ok {
		return err
	}
	queueImports(ctx, env, node, []importItem{it}, 0)
	return nil
}

// ImportFiles queues, in batches, the imports of paths nobody asked for
// (auto-import, scans). Their tasks are retried after a database failure,
// since nothing else would bring them back.
func ImportFiles(ctx context.Context, env *Env, node Node, paths []string, register bool) {
	items := make([]importItem, 0, len(paths))
	// A watcher may see a file more than once (created, then its lock
	// file removed); a batch holds each file once.
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		if it, ok, _ := importItemFor(ctx, env, node, p, register, nil); ok && !seen[it.path] {
			seen[it.path] = true
			items = append(items, it)
		}
	}
	// A task hashes its files one after the other: large files go to
	// tasks of their own, for the workers to hash them side by side.
	root := ""
	if r := node.Row().Root; r != nil {
		root = *r
	}
	var batch []importItem
	var bytes int64
	for _, it := range items {
		if fi, err := os.Lstat(filepath.Join(root, it.path)); err == nil {
			bytes += fi.Size()
		}
		batch = append(batch, it)
		if len(batch) == importBatch || bytes >= importBatchBytes {
			queueImports(ctx, env, node, batch, scheduler.RequeueOnDBError)
			batch, bytes = nil, 0
		}
	}
	if len(batch) > 0 {
		queueImports(ctx, env, node, batch, scheduler.RequeueOnDBError)
	}
}

// importItemFor checks path (see ImportFile) and returns it as an import
// task's item; false, with req completed, for a path never imported.
func importItemFor(ctx context.Context, env *Env, node Node, path string, register bool, req *db.ArchiveFileImportRequest) (importItem, bool, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	row := node.Row()
	root := ""
	if row.Root != nil {
		root = filepath.Clean(*row.Root)
	}
	if filepath.Clean(path) == root {
		log.Debug("Skipping import request of node root")
		return importItem{}, false, CompleteImport(ctx, env, req, row, "ignored")
	}
	if filepath.IsAbs(path) {
		rel, err := fsutil.Rel(root, path)
		if err != nil {
			log.Warnf("Ignoring import of %s: not rooted under node %s", path, root)
			return importItem{}, false, CompleteImport(ctx, env, req, row, "ignored")
		}
		path = rel
	}
	path = filepath.Clean(path)
	if path == nodeFile {
		log.Debug("ignoring ALPENHORN_NODE file during import")
		return importItem{}, false, CompleteImport(ctx, env, req, row, "ignored")
	}
	return importItem{path: path, register: register, req: req}, true, nil
}

// importBatch is how many files one import task takes: a scan's files are
// hashed by the task and recorded in one transaction per batch, with
// statements per batch rather than per file. A few hundred keep the
// transaction short (it holds SQLite's write lock) while its fixed cost
// is shared widely.
const importBatch = 250

// importBatchBytes closes a batch early: hashing a quarter of a gigabyte
// takes a fraction of a second, beside which the batch's statements are
// nothing, and larger files are hashed in parallel by separate tasks.
const importBatchBytes = 256 << 20

// importItem is one file for an import task.
type importItem struct {
	path     string // relative to the node root, cleaned
	register bool
	req      *db.ArchiveFileImportRequest
}

// queueImports queues one task importing items, named after the first.
func queueImports(ctx context.Context, env *Env, node Node, items []importItem, flags scheduler.Flags) {
	nio := node.IO()
	if nio == nil {
		// The node is being set up again; its new watcher or the request's
		// next pass will bring the files back.
		return
	}
	name := fmt.Sprintf("Import %s on %s", items[0].path, node.Row().Name)
	if len(items) > 1 {
		name = fmt.Sprintf("Import %s and %d more on %s", items[0].path, len(items)-1, node.Row().Name)
	}
	im := &importer{env: env, node: node, nio: nio, items: items}
	env.Queue.Submit(ctx, nio.FIFO(), name, im.run, flags)
}

// importer is one import task: a batch of files of one node.
type importer struct {
	env   *Env
	node  Node
	nio   NodeIO
	items []importItem
}

// candidate is a file of the batch that passed the checks on disk and was
// accepted by an import detector, with what the data index is to record
// of it.
type candidate struct {
	importItem
	det extension.Detection
	index.Registration
}

func (im *importer) complete(ctx context.Context, it importItem, result string) error {
	return CompleteImport(ctx, im.env, it.req, im.node.Row(), result)
}

// run imports the batch: checks on disk and detection file by file, one
// look-up of what the data index already has, hashing of the files to
// register, then one transaction recording the acquisitions, files and
// copies, the auto-actions and the extensions' records. Files not ready
// or still being written are tried again later by the same task.
func (im *importer) run(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	env := im.env
	row := im.node.Row()
	ctx = extension.WithMemo(ctx)

	var cands []*candidate
	var later []importItem
	wait := readyWait
	for _, it := range im.items {
		if !present(ctx, im.nio) {
			// A file not found on a node gone says nothing: any request
			// stays pending.
			return scheduler.Done(), nil
		}
		full := filepath.Join(*row.Root, it.path)
		if fi, err := os.Lstat(full); err != nil || !fi.Mode().IsRegular() {
			log.Infof("Not importing \"%s\": not a file.", it.path)
			if err := im.complete(ctx, it, "invalid"); err != nil {
				return scheduler.Done(), err
			}
			continue
		}
		log.Debugf("Considering \"%s\" for import to node %s.", it.path, row.Name)
		if fsutil.IsDotFile(it.path) {
			log.Infof("Not importing \"%s\": filename starts with a dot.", it.path)
			if err := im.complete(ctx, it, "bad_name"); err != nil {
				return scheduler.Done(), err
			}
			continue
		}
		if !im.nio.ReadyPath(ctx, it.path) {
			log.Infof("Path \"%s\" not ready for I/O during import.  Waiting 600 seconds.", it.path)
			later = append(later, it)
			continue
		}
		if im.nio.Locked(ctx, it.path) {
			// The request stays pending: the file is imported once unlocked.
			log.Infof("Skipping \"%s\": locked.", it.path)
			continue
		}
		c, result, err := im.detect(ctx, it)
		if err != nil {
			return scheduler.Done(), err
		}
		if c == nil {
			if err := im.complete(ctx, it, result); err != nil {
				return scheduler.Done(), err
			}
			continue
		}
		cands = append(cands, c)
	}

	if len(cands) > 0 {
		retry, err := im.record(ctx, cands)
		if err != nil {
			return scheduler.Done(), err
		}
		if len(retry) > 0 {
			later = append(later, retry...)
			wait = settleWait
		}
	}
	if len(later) > 0 {
		next := &importer{env: env, node: im.node, nio: im.nio, items: later}
		return scheduler.After(wait, next.run), nil
	}
	return scheduler.Done(), nil
}

// detect asks the import detectors about it. A nil candidate comes with
// the result completing its request.
func (im *importer) detect(ctx context.Context, it importItem) (*candidate, string, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	if im.env.Ext == nil {
		log.Error("Attempt to import file with no import-detect extensions.")
		log.Infof("Not importing non-acquisition path: %s", it.path)
		return nil, "no_detection", nil
	}
	det, found, err := im.env.Ext.Detect(ctx, im.env.DB, it.path, im.node.Row())
	var bad *extension.InvalidAcqError
	if errors.As(err, &bad) {
		log.Warnf("Rejecting invalid acq path \"%s\": %s", bad.Acq, bad.Reason)
		return nil, "bad_acq", nil
	}
	if err != nil {
		return nil, "", err
	}
	if !found {
		log.Infof("Not importing non-acquisition path: %s", it.path)
		return nil, "no_detection", nil
	}
	return &candidate{importItem: it, det: det, Registration: index.Registration{Path: it.path, Acq: det.Acq, File: det.File}}, "", nil
}

// record registers the candidates. It returns the items to try again
// later: files that changed while being hashed.
func (im *importer) record(ctx context.Context, cands []*candidate) ([]importItem, error) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	d := im.env.DB
	regs := make([]*index.Registration, len(cands))
	for i, c := range cands {
		regs[i] = &c.Registration
	}
	st, err := index.LookupImports(ctx, d, im.node.Row().ID, regs)
	if err != nil {
		return nil, err
	}

	// What the data index has decides each file's fate; only files to
	// register are hashed.
	var keep []*candidate
	var retry []importItem
	for _, c := range cands {
		switch {
		case st.Tracked(&c.Registration):
			log.Debugf("Not importing %s: already known", c.path)
			if err := im.complete(ctx, c.importItem, "duplicate"); err != nil {
				return nil, err
			}
			continue
		case st.Acq(&c.Registration) != nil:
			log.Debugf("Acquisition \"%s\" already in DB.", c.det.Acq)
		case !c.register:
			log.Infof("Not importing unregistered acquistion: \"%s\".", c.det.Acq)
			if err := im.complete(ctx, c.importItem, "unregistered"); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case st.File(&c.Registration) != nil:
			log.Debugf("File \"%s\" already in DB.", c.path)
		case !c.register:
			log.Infof("Not importing unregistered file: \"%s\".", c.path)
			if err := im.complete(ctx, c.importItem, "unregistered"); err != nil {
				return nil, err
			}
			continue
		default:
			ok, changed := im.hash(ctx, c)
			if changed {
				retry = append(retry, c.importItem)
			}
			if !ok {
				// Unreadable, or still being written: any request stays
				// pending.
				continue
			}
		}
		if size, err := im.nio.FileSize(c.path, true); err == nil {
			c.DiskSize = &size
		}
		keep = append(keep, c)
	}
	if len(keep) == 0 {
		return retry, nil
	}

	if !present(ctx, im.nio) {
		return nil, nil
	}
	regs = regs[:0]
	for _, c := range keep {
		regs = append(regs, &c.Registration)
	}
	var imported func(ctx context.Context, tx index.Tx)
	if im.env.Ext != nil {
		imported = func(ctx context.Context, tx index.Tx) {
			var imps []extension.Imported
			for _, c := range keep {
				if c.Copy == nil {
					continue
				}
				imp := extension.Imported{Detection: c.det, Copy: c.Copy, Node: im.node.Row()}
				if c.NewFile {
					imp.NewFile = c.FileRow
				}
				if c.NewAcq {
					imp.NewAcq = c.AcqRow
				}
				imps = append(imps, imp)
			}
			im.env.Ext.Imported(ctx, tx, imps)
		}
	}
	if err := index.RecordImports(ctx, d, im.node.Row(), regs, imported); err != nil {
		return nil, err
	}
	for _, c := range keep {
		switch {
		case c.Raced:
			log.Debug("ArchiveFileCopy created by another worker!")
			if err := im.complete(ctx, c.importItem, "duplicate"); err != nil {
				return nil, err
			}
			continue
		case c.Copy == nil:
			// Its file row vanished since the look-up: any request stays
			// pending, to be tried again.
			continue
		}
		if c.NewAcq {
			log.Infof("Acquisition \"%s\" added to DB.", c.det.Acq)
		}
		if c.NewFile {
			log.Infof("File \"%s\" added to DB.", c.path)
		}
		if c.Missing {
			log.Warnf("Imported missing file \"%s\" on node %s.  Marking suspect.", c.path, im.node.Row().Name)
		} else {
			log.Infof("Imported file copy \"%s\" on node \"%s\".", c.path, im.node.Row().Name)
		}
		if err := im.complete(ctx, c.importItem, "success"); err != nil {
			return nil, err
		}
	}
	return retry, nil
}

// hash reads the size and MD5 of c's file. changed is true when the file
// changed while being hashed: something is still writing it.
func (im *importer) hash(ctx context.Context, c *candidate) (ok, changed bool) {
	log := logging.FromContext(ctx, logging.LoggerDaemonAutoImport)
	log.Debugf("Computing md5sum of \"%s\".", c.path)
	before, err := im.nio.FileSize(c.path, false)
	if err != nil {
		log.Warnf("Not importing \"%s\": %v", c.path, err)
		return false, false
	}
	full := filepath.Join(*im.node.Row().Root, c.path)
	st0, _ := os.Stat(full)
	sum, ok := im.nio.MD5(ctx, c.path)
	if !ok {
		return false, false
	}
	st1, err := os.Stat(full)
	if err != nil || st0 == nil || st1.Size() != before || !st1.ModTime().Equal(st0.ModTime()) {
		log.Infof("File \"%s\" changed during import.  Waiting %d seconds.", c.path, int(settleWait.Seconds()))
		return false, true
	}
	c.SizeB, c.MD5 = before, sum
	return true, false
}

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

	have, err := index.KnownPaths(ctx, env.DB, row.ID)
	if err != nil {
		return err
	}

	log.Infof("Scanning \"%s\" on \"%s\" for new files.", path, row.Name)
	start := time.Now()
	seen := 0
	var found []string
	lastParent := ""
	err = nio.FileWalk(ctx, path, func(abs string) error {
		rel, err := fsutil.Rel(root, abs)
		if err != nil {
			return nil
		}
		seen++
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
		return err
	}
	log.Infof("Scan of \"%s\" on \"%s\" done: %d files seen, %d to import, %d already registered skipped, in %s.",
		path, row.Name, seen, len(found), seen-len(found), format.DeltaT(time.Since(start).Seconds()))
	return s.queue(ctx, found)
}

// queue queues the imports of the first scanChunk of paths, in batches,
// and a task to queue the rest after them. The scan's request is complete
// once every import is queued.
func (s *scanner) queue(ctx context.Context, paths []string) error {
	chunk := paths[:min(scanChunk, len(paths))]
	ImportFiles(ctx, s.env, s.node, chunk, s.register)
	rest := paths[len(chunk):]
	if len(rest) == 0 {
		return CompleteImport(ctx, s.env, s.req, s.node.Row(), "success")
	}
	s.env.Queue.Submit(ctx, s.nio.FIFO(), s.name+" (continued)", func(ctx context.Context, _ *scheduler.Task) (scheduler.Next, error) {
		return scheduler.Done(), s.queue(ctx, rest)
	}, s.flags)
	return nil
}

// CompleteImport marks an import request completed, with result as the
// outcome counted in the requests_completed metric. Only the call that
// actually completes the request logs and counts it. A nil req (an import
// nobody asked for) does nothing.
func CompleteImport(ctx context.Context, env *Env, req *db.ArchiveFileImportRequest, node *db.StorageNode, result string) error {
	if req == nil {
		return nil
	}
	done, err := index.CompleteImportRequest(ctx, env.DB, req.ID)
	if err != nil || !done {
		return err
	}
	logging.FromContext(ctx, logging.LoggerDaemonAutoImport).Infof("Completed import request #%d.", req.ID)
	group := ""
	if node.Group != nil {
		group = node.Group.Name
	}
	env.Metrics.RequestsCompleted.WithLabelValues("import", result, node.Name, group).Inc()
	return nil
}
