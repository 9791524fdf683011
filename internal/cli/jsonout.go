package cli

import (
	"math"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// The --json documents. Field names are part of alpenhorn's interface
// (docs/observability.md lists them): add fields, never rename them. Sizes
// are bytes, times RFC 3339 in UTC, and unknown values null.

// emit prints v as the command's one JSON document; -q does not hide it.
func (a *App) emit(v any) error { return format.WriteJSON(a.Stdout, v) }

// emitDoc prints the document a show command built, or returns the error
// that kept it from being built.
func (a *App) emitDoc(doc any, err error) error {
	if err != nil {
		return err
	}
	return a.emit(doc)
}

// docs is the document of each row, in order: [] for no rows.
func docs[R, D any](rows []R, doc func(*R) D) []D {
	out := make([]D, len(rows))
	for i := range rows {
		out[i] = doc(&rows[i])
	}
	return out
}

// gib converts a size in GiB, as the data index keeps node sizes, to bytes.
func gib(gb *float64) *int64 {
	if gb == nil {
		return nil
	}
	b := int64(math.Round(*gb * math.Exp2(30)))
	return &b
}

func jsonTime(t *db.Time) *string {
	if t == nil {
		return nil
	}
	return format.RFC3339(&t.Time)
}

var storageTypes = map[db.StorageType]string{db.StorageArchive: "archive", db.StorageField: "field", db.StorageTransport: "transport"}

type nodeJSON struct {
	Name          string  `json:"name"`
	Group         *string `json:"group"`
	StorageType   string  `json:"storage_type"`
	IOClass       *string `json:"io_class"`
	Host          *string `json:"host"`
	Username      *string `json:"username"`
	Address       *string `json:"address"`
	Root          *string `json:"root"`
	Active        bool    `json:"active"`
	AutoImport    bool    `json:"auto_import"`
	AutoVerify    int64   `json:"auto_verify"`
	MaxTotalBytes *int64  `json:"max_total_bytes"`
	MinAvailBytes *int64  `json:"min_avail_bytes"`
	AvailBytes    *int64  `json:"avail_bytes"`
	AvailChecked  *string `json:"avail_checked"`
	Notes         *string `json:"notes"`
}

func nodeDoc(n *db.StorageNode, group *string) nodeJSON {
	var max *float64
	if n.MaxTotalGB != nil && *n.MaxTotalGB > 0 {
		max = n.MaxTotalGB
	}
	kind, ok := storageTypes[n.StorageType]
	if !ok {
		kind = string(n.StorageType)
	}
	return nodeJSON{Name: n.Name, Group: group, StorageType: kind, IOClass: n.IOClass, Host: n.Host,
		Username: n.Username, Address: n.Address, Root: n.Root, Active: n.Active, AutoImport: n.AutoImport,
		AutoVerify: n.AutoVerify, MaxTotalBytes: gib(max), MinAvailBytes: gib(&n.MinAvailGB), AvailBytes: gib(n.AvailGB),
		AvailChecked: jsonTime(n.AvailGBLastChecked), Notes: n.Notes}
}

// nodesDoc is node list's document: the nodes, with their groups loaded.
func nodesDoc(nodes []db.StorageNode) []nodeJSON {
	return docs(nodes, func(n *db.StorageNode) nodeJSON {
		var group *string
		if n.Group != nil {
			group = &n.Group.Name
		}
		return nodeDoc(n, group)
	})
}

type nodeStatJSON struct {
	Name        string   `json:"name"`
	FileCount   int64    `json:"file_count"`
	TotalBytes  int64    `json:"total_bytes"`
	PercentFull *float64 `json:"percent_full"`
	// Only with --extra-stats; null without.
	Corrupt *int64 `json:"corrupt_files"`
	Suspect *int64 `json:"suspect_files"`
	Missing *int64 `json:"missing_files"`
}

// nodeStatsDoc is node stats' document.
func nodeStatsDoc(nodes []db.StorageNode, stats map[int64]*nodeStat, extra bool) []nodeStatJSON {
	return docs(nodes, func(n *db.StorageNode) nodeStatJSON {
		s := stats[n.ID]
		r := nodeStatJSON{Name: n.Name, FileCount: s.Count, TotalBytes: s.TotalB, PercentFull: s.full}
		if extra {
			r.Corrupt, r.Suspect, r.Missing = &s.Corrupt, &s.Suspect, &s.Missing
		}
		return r
	})
}

type groupJSON struct {
	Name    string  `json:"name"`
	IOClass *string `json:"io_class"`
	Notes   *string `json:"notes"`
}

func groupDoc(g *db.StorageGroup) groupJSON {
	return groupJSON{Name: g.Name, IOClass: g.IOClass, Notes: g.Notes}
}

type acqJSON struct {
	Name  string `json:"name"`
	Files int64  `json:"files"`
}

func acqDoc(r *index.AcqCount) acqJSON { return acqJSON{Name: r.Name, Files: r.Files} }

type fileJSON struct {
	Path       string  `json:"path"`
	Acq        string  `json:"acq"`
	Name       string  `json:"name"`
	SizeBytes  *int64  `json:"size_bytes"`
	MD5        *string `json:"md5"`
	Registered *string `json:"registered"`
}

func fileDoc(f *index.FileRow) fileJSON {
	return fileJSON{Path: f.Acq + "/" + f.Name, Acq: f.Acq, Name: f.Name, SizeBytes: f.SizeB, MD5: f.MD5Sum,
		Registered: jsonTime(&f.Registered)}
}

// emitJSON prints file list's document: the selected files.
func (l *fileListing) emitJSON(a *App, g *gorm.DB, sel *index.FileSet) error {
	rows, err := index.Files(g, sel)
	if err != nil {
		return err
	}
	return a.emit(docs(rows, fileDoc))
}

// foundDoc is file find's document, in the order of its table.
func foundDoc(found []index.FoundCopy) []foundJSON {
	out := docs(found, func(f *index.FoundCopy) foundJSON {
		return foundJSON{File: f.Acq + "/" + f.File, Node: f.Node, State: db.CopyState(f.HasFile, f.WantsFile),
			HasFile: string(f.HasFile), WantsFile: string(f.WantsFile)}
	})
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if c := compareParts(strings.Split(x.File, "/"), strings.Split(y.File, "/")); c != 0 {
			return c < 0
		}
		return x.Node < y.Node
	})
	return out
}

type foundJSON struct {
	File      string `json:"file"`
	Node      string `json:"node"`
	State     string `json:"state"`
	HasFile   string `json:"has_file"`
	WantsFile string `json:"wants_file"`
}

type copyStateJSON struct {
	File      string  `json:"file"`
	Node      string  `json:"node"`
	State     string  `json:"state"`
	HasFile   *string `json:"has_file"`
	WantsFile *string `json:"wants_file"`
	Ready     *bool   `json:"ready"`
	SizeBytes *int64  `json:"size_bytes"`
	Updated   *string `json:"last_update"`
}

// copyStateDoc is file state's document; a file without a copy on the
// node is "Absent" with nulls.
func copyStateDoc(path, node string, c *db.ArchiveFileCopy) copyStateJSON {
	r := copyStateJSON{File: path, Node: node, State: copyStateWords(c)}
	if c != nil {
		has, wants := string(c.HasFile), string(c.WantsFile)
		r.HasFile, r.WantsFile, r.Ready, r.SizeBytes, r.Updated = &has, &wants, &c.Ready, c.SizeB, jsonTime(&c.LastUpdate)
	}
	return r
}
