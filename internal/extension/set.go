package extension

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// Set is the loaded extensions of one alpenhorn process.
type Set struct {
	detectors    []namedDetector
	io           map[string]ioModule
	database     *Database
	databaseName string
}

type namedDetector struct {
	ext      string
	detect   Detector
	imported Callback
}

type ioModule struct {
	ext    string
	module any
}

// Detector decides whether a file is data to import, and into which
// acquisition. path is relative to the node root, slash-separated and
// clean (e.g. 2025/02/21/23/1324.dat); node is the node being imported to.
// Detectors run in the daemon's workers, concurrently.
//
// A zero Detection means "not mine". A returned error stops detection and
// reaches the daemon, which treats it like any failed statement (retrying
// database trouble); a detector that merely cannot decide, say because its
// own configuration is broken, returns Decline(err) instead, which is
// logged and counts as "not mine".
type Detector func(ctx context.Context, d *db.DB, path string, node *db.StorageNode) (Detection, error)

// Detection is a detector's verdict on an accepted file.
type Detection struct {
	// Acq is the acquisition name: a proper ancestor directory of the path.
	Acq string
	// File is the file name within the acquisition. A detector may leave it
	// empty; Set.Detect fills it in as the path relative to Acq.
	File string
	// Data is the detector's, handed back to its extension's Imported
	// callback in Imported.Detection.
	Data any

	// detector is the index in the Set of the detector that accepted.
	detector int
}

// Callback runs in the transaction that records a batch of imports (the
// files' copy rows, and the acquisition and file rows when new), with the
// imports its extension's detector accepted, to let the extension record
// what it knows about the files alongside: a crash leaves both or neither.
// The imports stand whatever the callback does: an error is logged, and
// the statement that failed is undone on its own (as SQLite and MySQL do
// for a failed statement), not the transaction.
type Callback func(ctx context.Context, tx *gorm.DB, imps []Imported) error

// memoKey is the context key of the reads an import batch shares.
type memoKey struct{}

type memo struct {
	mu   sync.Mutex
	vals map[any]any
}

// WithMemo returns a context within which Memo shares what it loads: the
// daemon gives one to each batch of imports, so that a detector reading
// its configuration from the data index reads it once per batch, not once
// per file, and never longer than the batch lasts.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{vals: map[any]any{}})
}

// Memo returns what load returns, loading it at most once (when it
// succeeds) within a context made by WithMemo; elsewhere it just calls
// load.
func Memo[T any](ctx context.Context, key any, load func() (T, error)) (T, error) {
	m, _ := ctx.Value(memoKey{}).(*memo)
	if m == nil {
		return load()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.vals[key]; ok {
		return v.(T), nil
	}
	v, err := load()
	if err == nil {
		m.vals[key] = v
	}
	return v, err
}

// Imported describes a completed import to a Callback.
type Imported struct {
	// Detection is the detector's verdict on the file.
	Detection Detection
	// Copy is the archivefilecopy row just created or updated.
	Copy *db.ArchiveFileCopy
	// NewFile is the archivefile row if this import created it, else nil.
	NewFile *db.ArchiveFile
	// NewAcq is the archiveacq row if this import created it, else nil.
	// When it is set, NewFile is too.
	NewAcq *db.ArchiveAcq
	// Node is the node imported to, as passed to the detector.
	Node *db.StorageNode
}

// declined marks a detector failure that means "cannot decide".
type declined struct{ err error }

func (d declined) Error() string { return d.err.Error() }
func (d declined) Unwrap() error { return d.err }

// Decline wraps a detector failure that should be logged and treated as
// "not mine" rather than stop the import.
func Decline(err error) error { return declined{err} }

// InvalidAcqError is returned by Set.Detect when the accepting detector
// named an acquisition that is not a valid acquisition name. The daemon
// logs it as a warning and completes the import request as bad_acq.
type InvalidAcqError struct {
	Acq, Reason string
}

func (e *InvalidAcqError) Error() string {
	return fmt.Sprintf("Rejecting invalid acq path \"%s\": %s", e.Acq, e.Reason)
}

// Detect asks the import detectors, in config order, about path on node;
// the first to accept decides. It reports false when none accepted (the
// caller logs "Not importing non-acquisition path"). On acceptance the
// Detection's File is set.
//
// Where upstream lets a misbehaving detector abort the whole daemon, Detect
// logs and skips it: one bad detector verdict must not stop the archive.
func (s *Set) Detect(ctx context.Context, d *db.DB, path string, node *db.StorageNode) (Detection, bool, error) {
	log := logging.FromContext(ctx, logging.LoggerExtensions)
	if len(s.detectors) == 0 {
		log.Error("Attempt to import file with no import-detect extensions.")
		return Detection{}, false, nil
	}
	for i, det := range s.detectors {
		found, err := det.detect(ctx, d, path, node)
		var dec declined
		if errors.As(err, &dec) {
			log.Errorf("Import detection by extension %s failed for %q: %v", det.ext, path, dec.err)
			continue
		}
		if err != nil {
			return Detection{}, false, fmt.Errorf("import detection by extension %s: %w", det.ext, err)
		}
		if found.Acq == "" {
			continue
		}
		if reason := db.InvalidImportPath(found.Acq); reason != "" {
			return Detection{}, false, &InvalidAcqError{found.Acq, reason}
		}
		rest, ok := strings.CutPrefix(path, found.Acq+"/")
		if !ok || rest == "" {
			log.Errorf("Import detection by extension %s failed for %q: acquisition %q is not a parent directory of the path", det.ext, path, found.Acq)
			continue
		}
		if found.File == "" {
			found.File = rest
		} else if found.File != rest {
			log.Errorf("Import detection by extension %s failed for %q: acquisition %q and file %q do not make up the path", det.ext, path, found.Acq, found.File)
			continue
		}
		found.detector = i
		return found, true, nil
	}
	return Detection{}, false, nil
}

// Imported runs, in the transaction tx recording imps, the Imported
// callback of each extension whose detector accepted some of them.
func (s *Set) Imported(ctx context.Context, tx *gorm.DB, imps []Imported) {
	for i, det := range s.detectors {
		if det.imported == nil {
			continue
		}
		var mine []Imported
		for _, imp := range imps {
			if imp.Detection.detector == i {
				mine = append(mine, imp)
			}
		}
		if len(mine) == 0 {
			continue
		}
		if err := det.imported(ctx, tx, mine); err != nil {
			logging.FromContext(ctx, logging.LoggerExtensions).Errorf("Import callback of extension %s failed: %v", det.ext, err)
		}
	}
}

// Detectors returns the names of the extensions providing import
// detectors, in the order they are consulted.
func (s *Set) Detectors() []string {
	names := make([]string, len(s.detectors))
	for i, det := range s.detectors {
		names[i] = det.ext
	}
	return names
}

// IOModule returns what an extension registered for the I/O class ioClass,
// or nil. Like upstream, the class name is lower-cased and "base" is never
// loadable. The daemon consults its built-in classes first.
func (s *Set) IOModule(ioClass string) any {
	k := strings.ToLower(ioClass)
	if k == "base" {
		return nil
	}
	return s.io[k].module
}

// Database returns the database extension, or nil when the built-in
// connector is to be used. Like upstream, it logs which extension is used,
// since it is asked once per connection.
func (s *Set) Database(ctx context.Context) *Database {
	if s.database == nil {
		return nil
	}
	logging.FromContext(ctx, logging.LoggerExtensions).Infof("Using database extension %s", s.databaseName)
	return s.database
}
