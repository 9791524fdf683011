package sneakernet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// ReceiptFormat names the receipt format in its "format" field.
const ReceiptFormat = "alpenhorn-sneakernet-receipt"

// The status of a file in a receipt.
const (
	// Ingested: registered at the destination by this ingest.
	Ingested = "ingested"
	// Existed: the destination already had the file, with the same MD5 sum.
	Existed = "existed"
	// Failed: not registered (missing, wrong size or MD5 sum, or
	// registered at the destination with another MD5 sum).
	Failed = "failed"
)

// Receipt is what the destination reports back for one manifest.
type Receipt struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Manifest is the ID of the manifest ingested.
	Manifest string `json:"manifest"`
	// Source is the identity of the data index that wrote the manifest.
	Source string `json:"source"`
	// Destination is the identity of the data index that ingested it.
	Destination string        `json:"destination"`
	Node        string        `json:"node"`
	Created     time.Time     `json:"created"`
	Files       []ReceiptFile `json:"files"`
}

// ReceiptFile is the outcome for one manifest entry.
type ReceiptFile struct {
	Acq    string `json:"acq"`
	Name   string `json:"name"`
	MD5    string `json:"md5"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Path is the file's path relative to the node root.
func (f ReceiptFile) Path() string { return pathKey(f.Acq, f.Name) }

// Held reports whether the destination holds the file.
func (f ReceiptFile) Held() bool { return f.Status == Ingested || f.Status == Existed }

// NewReceipt starts the receipt of manifest m at data index destination.
func NewReceipt(m *Manifest, destination string) *Receipt {
	return &Receipt{
		Format: ReceiptFormat, Version: FormatVersion, Manifest: m.ID, Source: m.Source,
		Destination: destination, Node: m.Node, Created: time.Now().UTC().Truncate(time.Microsecond),
		Files: []ReceiptFile{},
	}
}

// ReceiptPath is where the receipt of the manifest at manifestPath goes
// by default: beside it, "NAME.receipt.json" for "NAME.json".
func ReceiptPath(manifestPath string) string {
	dir, base := filepath.Split(manifestPath)
	return filepath.Join(dir, strings.TrimSuffix(base, ".json")+".receipt.json")
}

// Marshal renders the receipt, one entry per line.
func (r *Receipt) Marshal() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	head := *r
	head.Files = []ReceiptFile{}
	return marshal(&head, len(r.Files), func(i int) any { return r.Files[i] })
}

// Validate checks the identities, the names, the MD5 sums and statuses,
// and that no path is listed twice.
func (r *Receipt) Validate() error {
	switch {
	case r.Format != ReceiptFormat:
		return fmt.Errorf("not a sneakernet receipt (format %q)", r.Format)
	case r.Version != FormatVersion:
		return fmt.Errorf("unsupported format version %d", r.Version)
	case !validUUID(r.Manifest):
		return fmt.Errorf("invalid manifest id %q", r.Manifest)
	case !validUUID(r.Source):
		return fmt.Errorf("invalid source data index %q", r.Source)
	case !validUUID(r.Destination):
		return fmt.Errorf("invalid destination data index %q", r.Destination)
	case r.Source == r.Destination:
		return fmt.Errorf("source and destination are the same data index %s", r.Source)
	case r.Node == "":
		return fmt.Errorf("empty node name")
	case r.Files == nil:
		return errMissing("files")
	}
	if err := db.CheckLength("node name", r.Node, db.MaxNodeName); err != nil {
		return err
	}
	if err := checkTime("creation time", r.Created); err != nil {
		return err
	}
	seen := make(map[string]int, len(r.Files))
	for i, f := range r.Files {
		if err := f.validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
		if j, dup := seen[f.Path()]; dup {
			return fmt.Errorf("entry %d duplicates entry %d: %s", i+1, j, f.Path())
		}
		seen[f.Path()] = i + 1
	}
	return nil
}

func (f ReceiptFile) validate() error {
	if err := checkName("acquisition name", f.Acq, db.MaxAcqName); err != nil {
		return err
	}
	if err := checkName("file name", f.Name, db.MaxFileName); err != nil {
		return fmt.Errorf("%s: %w", f.Acq, err)
	}
	if _, ok := normalMD5(f.MD5); !ok {
		return fmt.Errorf("%s: invalid MD5 sum %q", f.Path(), f.MD5)
	}
	switch f.Status {
	case Ingested, Existed, Failed:
		return nil
	}
	return fmt.Errorf("%s: unknown status %q", f.Path(), f.Status)
}

type wireReceipt struct {
	Format      *string            `json:"format"`
	Version     *json.RawMessage   `json:"version"`
	Manifest    *string            `json:"manifest"`
	Source      *string            `json:"source"`
	Destination *string            `json:"destination"`
	Node        *string            `json:"node"`
	Created     *time.Time         `json:"created"`
	Files       *[]wireReceiptFile `json:"files"`
}

type wireReceiptFile struct {
	Acq    *string `json:"acq"`
	Name   *string `json:"name"`
	MD5    *string `json:"md5"`
	Status *string `json:"status"`
	Reason *string `json:"reason"`
}

// ParseReceipt reads and validates a receipt. MD5 sums come back in lower
// case, times in UTC.
func ParseReceipt(data []byte) (*Receipt, error) {
	var w wireReceipt
	if err := decode(data, "receipt", ReceiptFormat, &w); err != nil {
		return nil, err
	}
	if err := require(field{"manifest", w.Manifest != nil}, field{"source", w.Source != nil},
		field{"destination", w.Destination != nil}, field{"node", w.Node != nil}, field{"created", w.Created != nil},
		field{"files", w.Files != nil && *w.Files != nil}); err != nil {
		return nil, err
	}
	r := &Receipt{Format: ReceiptFormat, Version: FormatVersion, Manifest: *w.Manifest, Source: *w.Source,
		Destination: *w.Destination, Node: *w.Node, Created: w.Created.UTC(), Files: make([]ReceiptFile, len(*w.Files))}
	for i, e := range *w.Files {
		if err := require(field{"acq", e.Acq != nil}, field{"name", e.Name != nil}, field{"md5", e.MD5 != nil},
			field{"status", e.Status != nil}); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		sum, _ := normalMD5(*e.MD5)
		if sum == "" {
			sum = *e.MD5
		}
		r.Files[i] = ReceiptFile{Acq: *e.Acq, Name: *e.Name, MD5: sum, Status: *e.Status}
		if e.Reason != nil {
			r.Files[i].Reason = *e.Reason
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// ReadReceipt reads the receipt file at path.
func ReadReceipt(path string) (*Receipt, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := ParseReceipt(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
