package index

import (
	"context"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// Tx is a transaction of the data index, as handed to the callbacks that
// write in it.
type Tx = *gorm.DB

// Registration is one file of an import batch: a file found on a node, to
// be recorded with its acquisition, file and copy rows.
type Registration struct {
	// Path is the file's path on the node, for the logs.
	Path string
	// Acq and File are the acquisition's and the file's names.
	Acq, File string
	// SizeB and MD5 are set for a file to register (MD5 empty otherwise):
	// read before the transaction, since hashing is what takes time.
	SizeB int64
	MD5   string
	// DiskSize is the space the file takes on the node, for a new copy
	// row (nil when unknown); read before the transaction too, which
	// holds SQLite's write lock.
	DiskSize *int64

	// What RecordImports recorded.
	AcqRow  *db.ArchiveAcq
	FileRow *db.ArchiveFile
	Copy    *db.ArchiveFileCopy // nil when not recorded
	NewAcq  bool                // the first of the batch in an acquisition it created
	NewFile bool
	Missing bool // a copy recorded missing reappeared: it is now suspect
	Raced   bool // the copy was recorded by another worker meanwhile
}

// ImportState is what the data index holds about an import batch's files:
// their acquisitions, files, and copies on the node.
type ImportState struct {
	nodeID int64
	mysql  bool
	acqs   map[string]*db.ArchiveAcq     // by name key
	files  map[fileKey]*db.ArchiveFile   // by acquisition id and name key
	copies map[int64]*db.ArchiveFileCopy // the node's, by file id
}

type fileKey struct {
	acq  int64
	name string
}

// LookupImports reads what the data index holds about regs' files on
// node, in three queries (one per IDChunk copies for the last), so that
// only the files to register are hashed.
func LookupImports(ctx context.Context, d *db.DB, nodeID int64, regs []*Registration) (*ImportState, error) {
	var st *ImportState
	err := d.Retry(ctx, func(g *gorm.DB) (err error) {
		st, err = lookupImports(g, d.Engine == db.MySQL, nodeID, regs)
		return err
	})
	return st, err
}

// lookupImports reads, with g (the database or a transaction), the
// acquisitions, files and node's copies of regs.
func lookupImports(g *gorm.DB, mysql bool, nodeID int64, regs []*Registration) (*ImportState, error) {
	st := &ImportState{nodeID: nodeID, mysql: mysql}
	for _, read := range []func(*gorm.DB, []*Registration) error{st.readAcqs, st.readFiles, st.readCopies} {
		if err := read(g, regs); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// nameKey is how names are compared: MySQL's collation ignores case, so
// that a look-up there finds a row whose name differs in case only.
func (st *ImportState) nameKey(name string) string {
	if st.mysql {
		return strings.ToLower(name)
	}
	return name
}

// readAcqs (re)reads regs' acquisitions.
func (st *ImportState) readAcqs(g *gorm.DB, regs []*Registration) error {
	names := map[string]bool{}
	for _, r := range regs {
		names[r.Acq] = true
	}
	var acqs []db.ArchiveAcq
	if err := g.Where("name IN ?", slices.Collect(maps.Keys(names))).Find(&acqs).Error; err != nil {
		return err
	}
	st.acqs = make(map[string]*db.ArchiveAcq, len(acqs))
	for i := range acqs {
		st.acqs[st.nameKey(acqs[i].Name)] = &acqs[i]
	}
	return nil
}

// readFiles (re)reads regs' files in the acquisitions read.
func (st *ImportState) readFiles(g *gorm.DB, regs []*Registration) error {
	st.files = map[fileKey]*db.ArchiveFile{}
	if len(st.acqs) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(st.acqs))
	for _, a := range st.acqs {
		ids = append(ids, a.ID)
	}
	names := map[string]bool{}
	for _, r := range regs {
		names[r.File] = true
	}
	var files []db.ArchiveFile
	if err := g.Where("acq_id IN ? AND name IN ?", ids, slices.Collect(maps.Keys(names))).Find(&files).Error; err != nil {
		return err
	}
	for i := range files {
		st.files[fileKey{files[i].AcqID, st.nameKey(files[i].Name)}] = &files[i]
	}
	return nil
}

// readCopies (re)reads the node's copies of the files read.
func (st *ImportState) readCopies(g *gorm.DB, _ []*Registration) error {
	st.copies = map[int64]*db.ArchiveFileCopy{}
	ids := make([]int64, 0, len(st.files))
	for _, f := range st.files {
		ids = append(ids, f.ID)
	}
	for chunk := range slices.Chunk(ids, IDChunk) {
		var copies []db.ArchiveFileCopy
		if err := g.Where("node_id = ? AND file_id IN ?", st.nodeID, chunk).Find(&copies).Error; err != nil {
			return err
		}
		for i := range copies {
			st.copies[copies[i].FileID] = &copies[i]
		}
	}
	return nil
}

// Acq returns r's acquisition, nil when not registered.
func (st *ImportState) Acq(r *Registration) *db.ArchiveAcq {
	return st.acqs[st.nameKey(r.Acq)]
}

// File returns r's file, nil when not registered.
func (st *ImportState) File(r *Registration) *db.ArchiveFile {
	if a := st.Acq(r); a != nil {
		return st.files[fileKey{a.ID, st.nameKey(r.File)}]
	}
	return nil
}

// Tracked reports whether the node already has a copy of r's file that
// is not recorded absent: such a file is not imported again.
func (st *ImportState) Tracked(r *Registration) bool {
	if f := st.File(r); f != nil {
		cp := st.copies[f.ID]
		return cp != nil && cp.HasFile != db.HasNo
	}
	return false
}

// recordAttempts is how many times a batch's transaction is tried when it
// meets rows inserted meanwhile by another.
const recordAttempts = 5

// RecordImports records regs on node in one transaction: the acquisitions
// and files not yet registered (those with an MD5), the copies ('Y', or
// 'M' for a copy recorded missing that reappeared), the auto-actions of
// the files added (AutoActions), and then whatever imported writes (the
// extensions' records), so that all or nothing of it is committed. What
// was recorded is set in each Registration.
//
// On MySQL another worker or host may insert one of the rows between the
// transaction's reads and its inserts; the insert then fails on a unique
// key, and the transaction is run again, reading what the other
// committed. (SQLite runs the whole transaction under its write lock.)
func RecordImports(ctx context.Context, d *db.DB, node *db.StorageNode, regs []*Registration,
	imported func(ctx context.Context, tx Tx)) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = d.Transaction(ctx, func(tx *gorm.DB) error { return recordImports(ctx, tx, d.Engine == db.MySQL, node, regs, imported) })
		if !IsDuplicate(err) || attempt == recordAttempts {
			break
		}
		logging.FromContext(ctx, logging.LoggerDaemonAutoImport).Debugf("Import of %s and %d more raced with another: trying again.", regs[0].Path, len(regs)-1)
	}
	return err
}

// recordImports is RecordImports' transaction, reading again what the
// data index has: another worker or host may have registered some of the
// files since the look-up. A file found registered meanwhile is used as
// it is (as a file registered before the import would be); a copy
// recorded meanwhile leaves Copy nil and Raced set.
//
// New rows are inserted many to a statement and then read back by name:
// the ids an engine reports for a multi-row insert are not reliably
// consecutive (MySQL's interleaved auto-increment, Galera's increments).
func recordImports(ctx context.Context, tx *gorm.DB, mysql bool, node *db.StorageNode, regs []*Registration,
	imported func(ctx context.Context, tx Tx)) error {
	st, err := lookupImports(tx, mysql, node.ID, regs)
	if err != nil {
		return err
	}

	newAcqs := map[string]bool{}
	var acqRows []db.ArchiveAcq
	for _, r := range regs {
		if k := st.nameKey(r.Acq); st.Acq(r) == nil && !newAcqs[k] {
			newAcqs[k] = true
			acqRows = append(acqRows, db.ArchiveAcq{Name: r.Acq})
		}
	}
	if err := insertRows(tx, acqRows, func() error { return st.readAcqs(tx, regs) }); err != nil {
		return err
	}

	now := db.Now()
	newFiles := map[fileKey]bool{}
	var fileRows []db.ArchiveFile
	for _, r := range regs {
		a := st.Acq(r)
		if a == nil || st.File(r) != nil || r.MD5 == "" {
			// Without a hash: registered when looked up, gone since; left
			// for a later attempt.
			continue
		}
		size, sum := r.SizeB, r.MD5
		newFiles[fileKey{a.ID, st.nameKey(r.File)}] = true
		fileRows = append(fileRows, db.ArchiveFile{AcqID: a.ID, Name: r.File, SizeB: &size, MD5Sum: &sum, Registered: now})
	}
	if err := insertRows(tx, fileRows, func() error { return st.readFiles(tx, regs) }); err != nil {
		return err
	}

	var copyRows []db.ArchiveFileCopy
	for _, r := range regs {
		r.AcqRow, r.FileRow, r.Copy = st.Acq(r), st.File(r), nil
		r.NewAcq, r.NewFile, r.Missing, r.Raced = false, false, false, false
		if r.FileRow == nil {
			continue
		}
		r.FileRow.Acq = r.AcqRow
		r.NewFile = newFiles[fileKey{r.AcqRow.ID, st.nameKey(r.FileRow.Name)}]
		existing := st.copies[r.FileRow.ID]
		switch {
		case existing == nil:
			copyRows = append(copyRows, db.ArchiveFileCopy{FileID: r.FileRow.ID, NodeID: node.ID, HasFile: db.HasYes, WantsFile: db.WantYes,
				Ready: true, SizeB: r.DiskSize, LastUpdate: now})
		case existing.HasFile != db.HasNo:
			// Recorded by another worker since the look-up.
			r.FileRow, r.Raced = nil, true
		default:
			cp := *existing
			r.Missing = cp.WantsFile == db.WantYes
			if r.Missing {
				// A copy recorded missing has reappeared: verify it.
				cp.HasFile = db.HasMaybe
			} else {
				cp.HasFile, cp.WantsFile = db.HasYes, db.WantYes
			}
			cp.Ready, cp.LastUpdate = true, now
			err := tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", cp.ID).Updates(map[string]any{
				"has_file": cp.HasFile, "wants_file": cp.WantsFile, "ready": true, "last_update": now}).Error
			if err != nil {
				return err
			}
			r.Copy = &cp
		}
	}
	if err := insertRows(tx, copyRows, func() error { return st.readCopies(tx, regs) }); err != nil {
		return err
	}

	var added []*db.ArchiveFile
	for _, r := range regs {
		if r.FileRow == nil {
			continue
		}
		if r.Copy == nil {
			r.Copy = st.copies[r.FileRow.ID]
		}
		r.Copy.File = r.FileRow
		// The first file recorded of a new acquisition reports it.
		if k := st.nameKey(r.AcqRow.Name); newAcqs[k] {
			delete(newAcqs, k)
			r.NewAcq = true
		}
		added = append(added, r.FileRow)
	}
	if err := AutoActions(ctx, tx, node, added...); err != nil {
		return err
	}
	if imported != nil {
		imported(ctx, tx)
	}
	return nil
}

// insertRows adds rows, many to a statement, then has reread read back
// the table they went into (a new acquisition has no files yet, a new file
// no copies: the tables after it need no second look).
func insertRows[T any](tx *gorm.DB, rows []T, reread func() error) error {
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Omit(clause.Associations).CreateInBatches(rows, IDChunk).Error; err != nil {
		return err
	}
	return reread()
}

// KnownPaths returns the paths (acquisition/file) of the files a node has
// a copy of in any state but absent ('N'): a scan passes those over, so
// that a file recorded missing or removed that reappears is imported
// again.
func KnownPaths(ctx context.Context, d *db.DB, nodeID int64) (map[string]bool, error) {
	type known struct {
		Acq  string `gorm:"column:acq_name"`
		File string `gorm:"column:file_name"`
	}
	// MySQL would otherwise start from the acquisitions and go through
	// every file of the archive (see copySelectMySQL).
	join := "JOIN"
	if d.Engine == db.MySQL {
		join = "STRAIGHT_JOIN"
	}
	var rows []known
	err := d.Retry(ctx, func(g *gorm.DB) error {
		rows = nil
		return g.Raw(`SELECT a.name AS acq_name, f.name AS file_name FROM archivefilecopy c
 `+join+` archivefile f ON f.id = c.file_id `+join+` archiveacq a ON a.id = f.acq_id
 WHERE c.node_id = ? AND c.has_file != 'N'`, nodeID).Scan(&rows).Error
	})
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.Acq+"/"+r.File] = true
	}
	return have, nil
}
