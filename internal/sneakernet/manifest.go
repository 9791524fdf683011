package sneakernet

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// ManifestFormat names the manifest format in its "format" field.
const ManifestFormat = "alpenhorn-sneakernet-manifest"

// DeviceManifest is the name of the copy of the manifest kept at the root
// of the node it describes, so that it travels with the data. The leading
// dot keeps the daemon's import away from it.
const DeviceManifest = ".alpenhorn-manifest.json"

// Manifest lists the present copies of a node when it was written.
type Manifest struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// ID identifies the manifest; receipts refer to it.
	ID string `json:"id"`
	// Source is the identity of the data index that wrote it.
	Source string `json:"source"`
	Node   string `json:"node"`
	// Destination is the --destination given, a label for people.
	Destination string         `json:"destination,omitempty"`
	Created     time.Time      `json:"created"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one file of a manifest, as registered at the source.
type ManifestFile struct {
	Acq        string    `json:"acq"`
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	MD5        string    `json:"md5"`
	Registered time.Time `json:"registered"`
}

// Path is the file's path relative to the node root.
func (f ManifestFile) Path() string { return pathKey(f.Acq, f.Name) }

// NewManifest starts a manifest of node written now by data index source.
func NewManifest(source, node, destination string) *Manifest {
	return &Manifest{
		Format: ManifestFormat, Version: FormatVersion, ID: NewUUID(), Source: source,
		Node: node, Destination: destination, Created: time.Now().UTC().Truncate(time.Microsecond),
		Files: []ManifestFile{},
	}
}

// Marshal renders the manifest, one entry per line.
func (m *Manifest) Marshal() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	head := *m
	head.Files = []ManifestFile{}
	return marshal(&head, len(m.Files), func(i int) any { return m.Files[i] })
}

// Validate checks everything a reader relies on: identities, names that
// stay under the node root, sizes, MD5 sums, no two entries for one path.
func (m *Manifest) Validate() error {
	switch {
	case m.Format != ManifestFormat:
		return fmt.Errorf("not a sneakernet manifest (format %q)", m.Format)
	case m.Version != FormatVersion:
		return fmt.Errorf("unsupported format version %d", m.Version)
	case !validUUID(m.ID):
		return fmt.Errorf("invalid manifest id %q", m.ID)
	case !validUUID(m.Source):
		return fmt.Errorf("invalid source data index %q", m.Source)
	case m.Node == "":
		return fmt.Errorf("empty node name")
	case m.Files == nil:
		return errMissing("files")
	}
	if err := db.CheckLength("node name", m.Node, db.MaxNodeName); err != nil {
		return err
	}
	if err := db.CheckLength("destination", m.Destination, db.MaxNodeName); err != nil {
		return err
	}
	if err := checkTime("creation time", m.Created); err != nil {
		return err
	}
	seen := make(map[string]int, len(m.Files))
	for i, f := range m.Files {
		if err := f.Validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
		if j, dup := seen[f.Path()]; dup {
			return fmt.Errorf("entry %d duplicates entry %d: %s", i+1, j, f.Path())
		}
		seen[f.Path()] = i + 1
	}
	return nil
}

// Validate checks the entry on its own: names that stay under the node
// root, a size, an MD5 sum and a registration time.
func (f ManifestFile) Validate() error {
	if err := checkName("acquisition name", f.Acq, db.MaxAcqName); err != nil {
		return err
	}
	if err := checkName("file name", f.Name, db.MaxFileName); err != nil {
		return fmt.Errorf("%s: %w", f.Acq, err)
	}
	if f.Size < 0 {
		return fmt.Errorf("%s: negative size %d", f.Path(), f.Size)
	}
	if _, ok := normalMD5(f.MD5); !ok {
		return fmt.Errorf("%s: invalid MD5 sum %q", f.Path(), f.MD5)
	}
	return checkTime(f.Path()+": registration time", f.Registered)
}

// wireManifest is a manifest as read: pointers tell absent fields.
type wireManifest struct {
	Format      *string             `json:"format"`
	Version     *json.RawMessage    `json:"version"`
	ID          *string             `json:"id"`
	Source      *string             `json:"source"`
	Node        *string             `json:"node"`
	Destination *string             `json:"destination"`
	Created     *time.Time          `json:"created"`
	Files       *[]wireManifestFile `json:"files"`
}

type wireManifestFile struct {
	Acq        *string    `json:"acq"`
	Name       *string    `json:"name"`
	Size       *int64     `json:"size"`
	MD5        *string    `json:"md5"`
	Registered *time.Time `json:"registered"`
}

// ParseManifest reads and validates a manifest. MD5 sums come back in
// lower case, times in UTC.
func ParseManifest(data []byte) (*Manifest, error) {
	var w wireManifest
	if err := decode(data, "manifest", ManifestFormat, &w); err != nil {
		return nil, err
	}
	if err := require(field{"id", w.ID != nil}, field{"source", w.Source != nil}, field{"node", w.Node != nil},
		field{"created", w.Created != nil}, field{"files", w.Files != nil && *w.Files != nil}); err != nil {
		return nil, err
	}
	m := &Manifest{Format: ManifestFormat, Version: FormatVersion, ID: *w.ID, Source: *w.Source,
		Node: *w.Node, Created: w.Created.UTC(), Files: make([]ManifestFile, len(*w.Files))}
	if w.Destination != nil {
		m.Destination = *w.Destination
	}
	for i, e := range *w.Files {
		if err := require(field{"acq", e.Acq != nil}, field{"name", e.Name != nil}, field{"size", e.Size != nil},
			field{"md5", e.MD5 != nil}, field{"registered", e.Registered != nil}); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		sum, _ := normalMD5(*e.MD5)
		if sum == "" {
			sum = *e.MD5 // for Validate's message
		}
		m.Files[i] = ManifestFile{Acq: *e.Acq, Name: *e.Name, Size: *e.Size, MD5: sum, Registered: e.Registered.UTC()}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadManifest reads the manifest file at path.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
