package cli

import (
	"encoding/json"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// The --json documents of the show commands: the item's fields, then one
// member per optional section, null unless its option asked for it.

// ioConfigDoc is a stored io_config as JSON: the object itself, or, if
// the column does not hold valid JSON, its text; null when unset.
func ioConfigDoc(stored *string) any {
	if stored == nil || *stored == "" {
		return nil
	}
	if json.Valid([]byte(*stored)) {
		return json.RawMessage(*stored)
	}
	return *stored
}

type transferJSON struct {
	Name       string `json:"name"`
	Requests   int64  `json:"requests"`
	TotalBytes *int64 `json:"total_bytes"`
}

func transferDoc(r *index.TransferTotal) transferJSON {
	return transferJSON{Name: r.Name, Requests: r.Count, TotalBytes: r.Size}
}

type actionJSON struct {
	Name      string `json:"name"`
	Autosync  bool   `json:"autosync"`
	Autoclean bool   `json:"autoclean"`
}

func actionDoc(r *index.ActionRow) actionJSON {
	return actionJSON{Name: r.Name, Autosync: r.Autosync, Autoclean: r.Autoclean}
}

type importJSON struct {
	Path        string  `json:"path"`
	NodeInit    bool    `json:"node_init"`
	Scan        bool    `json:"scan"`
	RegisterNew bool    `json:"register_new"`
	Requested   *string `json:"requested"`
}

type nodeShowJSON struct {
	nodeJSON
	IOConfig          any            `json:"io_config"`
	Stats             *nodeStatJSON  `json:"stats"`
	PendingImports    []importJSON   `json:"pending_imports"`
	OutboundTransfers []transferJSON `json:"outbound_transfers"`
	AutoActions       []actionJSON   `json:"auto_actions"`
}

// nodeShowDoc is node show's document; the sections are those asked for.
func nodeShowDoc(g *gorm.DB, n *db.StorageNode, group string, stats, imports, transfers, actions bool) (*nodeShowJSON, error) {
	doc := &nodeShowJSON{nodeJSON: nodeDoc(n, &group), IOConfig: ioConfigDoc(n.IOConfig)}
	if stats {
		all, err := nodeStats(g, []db.StorageNode{*n}, false)
		if err != nil {
			return nil, err
		}
		s := nodeStatsDoc([]db.StorageNode{*n}, all, false)[0]
		doc.Stats = &s
	}
	if imports {
		reqs, err := index.PendingImportsByTime(g, n.ID)
		if err != nil {
			return nil, err
		}
		doc.PendingImports = docs(reqs, func(r *db.ArchiveFileImportRequest) importJSON {
			return importJSON{Path: r.Path, NodeInit: r.Path == db.NodeInitPath, Scan: r.Recurse,
				RegisterNew: r.Register, Requested: jsonTime(r.Timestamp)}
		})
	}
	if transfers {
		rows, err := index.OutboundTransfers(g, n.ID)
		if err != nil {
			return nil, err
		}
		doc.OutboundTransfers = docs(rows, transferDoc)
	}
	if actions {
		rows, err := index.NodeActions(g, n.ID)
		if err != nil {
			return nil, err
		}
		doc.AutoActions = docs(rows, actionDoc)
	}
	return doc, nil
}

type groupShowJSON struct {
	groupJSON
	IOConfig         any            `json:"io_config"`
	Nodes            []string       `json:"nodes"`
	InboundTransfers []transferJSON `json:"inbound_transfers"`
	AutoActions      []actionJSON   `json:"auto_actions"`
}

// groupShowDoc is group show's document: the group, its nodes' names, and
// the sections asked for.
func groupShowDoc(g *gorm.DB, group *db.StorageGroup, transfers, actions bool) (*groupShowJSON, error) {
	nodes, err := index.GroupNodes(g, group.ID)
	if err != nil {
		return nil, err
	}
	doc := &groupShowJSON{groupJSON: groupDoc(group), IOConfig: ioConfigDoc(group.IOConfig),
		Nodes: docs(nodes, func(n *db.StorageNode) string { return n.Name })}
	if transfers {
		rows, err := index.InboundTransfers(g, group.ID)
		if err != nil {
			return nil, err
		}
		doc.InboundTransfers = docs(rows, transferDoc)
	}
	if actions {
		rows, err := index.GroupActions(g, group.ID)
		if err != nil {
			return nil, err
		}
		doc.AutoActions = docs(rows, actionDoc)
	}
	return doc, nil
}

type fileCopyJSON struct {
	Node      string  `json:"node"`
	State     string  `json:"state"`
	HasFile   string  `json:"has_file"`
	WantsFile string  `json:"wants_file"`
	Ready     bool    `json:"ready"`
	SizeBytes *int64  `json:"size_bytes"`
	Updated   *string `json:"last_update"`
}

type fileTransferJSON struct {
	From      string  `json:"node_from"`
	To        string  `json:"group_to"`
	Completed bool    `json:"completed"`
	Cancelled bool    `json:"cancelled"`
	Requested *string `json:"requested"`
	Started   *string `json:"transfer_started"`
	Finished  *string `json:"transfer_completed"`
}

type fileShowJSON struct {
	fileJSON
	Copies    []fileCopyJSON     `json:"copies"`
	Transfers []fileTransferJSON `json:"transfers"`
}

// fileShowDoc is file show's document: the file, its copy records with
// --nodes, its copy requests with --transfers.
func fileShowDoc(g *gorm.DB, f *db.ArchiveFile, nodes, transfers bool) (*fileShowJSON, error) {
	doc := &fileShowJSON{fileJSON: fileDoc(&index.FileRow{Acq: f.Acq.Name, Name: f.Name, SizeB: f.SizeB, MD5Sum: f.MD5Sum, Registered: f.Registered})}
	if nodes {
		copies, err := index.FileCopies(g, f.ID)
		if err != nil {
			return nil, err
		}
		doc.Copies = docs(copies, func(c *db.ArchiveFileCopy) fileCopyJSON {
			return fileCopyJSON{Node: c.Node.Name, State: copyStateWords(c), HasFile: string(c.HasFile),
				WantsFile: string(c.WantsFile), Ready: c.Ready, SizeBytes: c.SizeB, Updated: jsonTime(&c.LastUpdate)}
		})
	}
	if transfers {
		reqs, err := index.FileTransfers(g, f.ID)
		if err != nil {
			return nil, err
		}
		doc.Transfers = docs(reqs, func(r *db.ArchiveFileCopyRequest) fileTransferJSON {
			return fileTransferJSON{From: r.NodeFrom.Name, To: r.GroupTo.Name, Completed: r.Completed, Cancelled: r.Cancelled,
				Requested: jsonTime(r.Timestamp), Started: jsonTime(r.TransferStarted), Finished: jsonTime(r.TransferCompleted)}
		})
	}
	return doc, nil
}

type shareJSON struct {
	Name       string `json:"name"`
	Files      int64  `json:"files"`
	TotalBytes *int64 `json:"total_bytes"`
}

type acqShowJSON struct {
	Name       string      `json:"name"`
	FileCount  int64       `json:"file_count"`
	TotalBytes *int64      `json:"total_bytes"`
	Groups     []shareJSON `json:"groups"`
	Nodes      []shareJSON `json:"nodes"`
}

// acqShowDoc is acq show's document: the totals, and the present copies
// per group (--show-groups) and per node (--show-nodes).
func acqShowDoc(g *gorm.DB, acq *db.ArchiveAcq, count int64, size *int64, groups, nodes bool) (*acqShowJSON, error) {
	doc := &acqShowJSON{Name: acq.Name, FileCount: count, TotalBytes: size}
	for _, s := range []struct {
		on      bool
		byGroup bool
		dst     *[]shareJSON
	}{{groups, true, &doc.Groups}, {nodes, false, &doc.Nodes}} {
		if !s.on {
			continue
		}
		shares, err := index.AcqShares(g, acq.ID, s.byGroup)
		if err != nil {
			return nil, err
		}
		*s.dst = docs(shares, func(sh *index.AcqShare) shareJSON {
			return shareJSON{Name: sh.Name, Files: sh.Count, TotalBytes: sh.Size}
		})
	}
	return doc, nil
}

type acqFileJSON struct {
	Name        string  `json:"name"`
	SizeBytes   *int64  `json:"size_bytes"`
	MD5         *string `json:"md5"`
	State       *string `json:"state"`
	Node        *string `json:"node"`
	BytesOnNode *int64  `json:"size_on_node_bytes"`
}

// acqFilesDoc is acq files' document; state, node and size_on_node_bytes
// are null where the text has no such column.
func acqFilesDoc(rows []acqFileRow) []acqFileJSON {
	return docs(rows, func(r *acqFileRow) acqFileJSON {
		doc := acqFileJSON{Name: r.name, SizeBytes: r.size, MD5: r.md5, BytesOnNode: r.nodeSize}
		if r.state != "" {
			doc.State = &r.state
		}
		if r.node != "" && r.node != "-" {
			doc.Node = &r.node
		}
		return doc
	})
}
