// Package patternimporter is the pattern_importer extension: an import
// detector driven by regular expressions kept in the data index, the port of
// upstream's examples/pattern_importer.py that the alpenhorn demo uses.
//
// It keeps four tables beside alpenhorn's. acqtype and filetype hold named
// lists of patterns (a JSON array of regular expressions per row);
// acqdata and filedata record, for each acquisition and file first
// registered by an import through this detector, which type it matched.
// Rows are those the Python extension writes, so Go and Python daemons can
// share a data index.
//
// A file is accepted when some ancestor directory of its path fully matches
// a pattern of an acqtype (the deepest such directory is the acquisition;
// among acqtypes the first by id wins) and the rest of the path fully
// matches a pattern of a filetype (the last matching filetype by id wins).
//
// `alpenhorn pattern-importer demo-init` creates the tables and the demo's
// types, the equivalent of upstream's demo_init().
package patternimporter

import (
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
)

// Name is the extension's name in the config's extensions list.
const Name = "pattern_importer"

func init() {
	extension.Register(extension.Extension{
		Name:         Name,
		Capabilities: extension.Capabilities{ImportDetect: detect, Imported: recordTypes},
		Commands:     commands,
	})
}

// AcqType is a kind of acquisition: the patterns its names match.
type AcqType struct {
	ID   int64  `gorm:"column:id;primaryKey"`
	Name string `gorm:"column:name"`
	// Patterns is a JSON array of regular expressions, tried in order.
	Patterns string  `gorm:"column:patterns"`
	Notes    *string `gorm:"column:notes"`
}

func (AcqType) TableName() string { return "acqtype" }

// FileType is a kind of file: the patterns its names (relative to the
// acquisition) match.
type FileType struct {
	ID       int64   `gorm:"column:id;primaryKey"`
	Name     string  `gorm:"column:name"`
	Patterns string  `gorm:"column:patterns"`
	Notes    *string `gorm:"column:notes"`
}

func (FileType) TableName() string { return "filetype" }

// AcqData records the type of an acquisition registered by an import.
type AcqData struct {
	ID     int64  `gorm:"column:id;primaryKey"`
	AcqID  int64  `gorm:"column:acq_id"`
	TypeID *int64 `gorm:"column:type_id"`
}

func (AcqData) TableName() string { return "acqdata" }

// FileData records the type of a file registered by an import.
type FileData struct {
	ID     int64  `gorm:"column:id;primaryKey"`
	FileID int64  `gorm:"column:file_id"`
	TypeID *int64 `gorm:"column:type_id"`
}

func (FileData) TableName() string { return "filedata" }
