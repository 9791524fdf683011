package extension

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	ext    string
	detect Detector
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
	// Callback, when set, runs after the file has been imported.
	Callback Callback
}

// Callback runs after an import has committed the file's copy row, outside
// any transaction, to let the extension record what it knows about the
// file. The import stands whatever the callback does.
type Callback func(ctx context.Context, d *db.DB, imp Imported) error

// Imported describes a completed import to a Callback.
type Imported struct {
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
	for _, det := range s.detectors {
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
		return found, true, nil
	}
	return Detection{}, false, nil
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
