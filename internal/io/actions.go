package io

import (
	"context"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// postAdd runs, in the transaction tx, the auto-actions due when file has
// just been added to node (by an import, a pull, or a check confirming a
// file a pull left unrecorded). They only write requests and flags; other
// passes, possibly on other hosts, carry them out.
//
// Autosync: for each action from node into another group with autosync on,
// a copy request is created unless the file is already present there.
// Pending duplicates are not looked for: the destination handles one
// request per file per pass.
//
// Autoclean: for each action into node's group, from another node, with
// autoclean on, the file's copy on that node is released (wants_file 'N')
// if it is present and wanted. Deleting it is that node's business, under
// the archive-copies rule.
//
// tx is the transaction recording the new copy, so that a daemon dying in
// between cannot leave a copy recorded whose auto-actions never happen:
// nothing would run them later.
func postAdd(ctx context.Context, tx *gorm.DB, node *db.StorageNode, file *db.ArchiveFile) error {
	log := logging.FromContext(ctx, logging.LoggerIOUtil)

	type edge struct {
		ID     int64  `gorm:"column:id"`
		NodeID int64  `gorm:"column:node_from_id"`
		Node   string `gorm:"column:node_name"`
		Group  int64  `gorm:"column:group_to_id"`
		Name   string `gorm:"column:group_name"`
	}
	load := func(where string, args ...any) ([]edge, error) {
		var edges []edge
		err := tx.Raw(`SELECT a.id, a.node_from_id, n.name AS node_name, a.group_to_id, g.name AS group_name
 FROM storagetransferaction a JOIN storagenode n ON n.id = a.node_from_id JOIN storagegroup g ON g.id = a.group_to_id
 WHERE `+where+` ORDER BY a.id`, args...).Scan(&edges).Error
		return edges, err
	}

	syncs, err := load("a.node_from_id = ? AND a.group_to_id != ? AND a.autosync = ?", node.ID, node.GroupID, true)
	if err != nil {
		return err
	}
	for _, e := range syncs {
		var present int64
		err := tx.Raw(`SELECT COUNT(*) FROM archivefilecopy c JOIN storagenode n ON n.id = c.node_id
 WHERE n.group_id = ? AND c.file_id = ? AND c.has_file = 'Y'`, e.Group, file.ID).Scan(&present).Error
		if err != nil {
			return err
		}
		if present > 0 {
			continue
		}
		log.Debugf("Autosyncing %s from node %s to group %s", FilePath(file), node.Name, e.Name)
		now := db.Now()
		req := db.ArchiveFileCopyRequest{FileID: file.ID, GroupToID: e.Group, NodeFromID: node.ID, Timestamp: &now}
		if err := tx.Create(&req).Error; err != nil {
			return err
		}
	}

	cleans, err := load("a.group_to_id = ? AND a.node_from_id != ? AND a.autoclean = ?", node.GroupID, node.ID, true)
	if err != nil {
		return err
	}
	for _, e := range cleans {
		res := tx.Model(&db.ArchiveFileCopy{}).
			Where("file_id = ? AND node_id = ? AND has_file = ? AND wants_file = ?", file.ID, e.NodeID, db.HasYes, db.WantYes).
			Updates(map[string]any{"wants_file": db.WantNo, "last_update": db.Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			log.Debugf("Autocleaning %s from node %s", FilePath(file), e.Node)
		}
	}
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
	var n int64
	err := env.DB.Retry(ctx, func(g *gorm.DB) error {
		res := g.Model(&db.ArchiveFileImportRequest{}).Where("id = ? AND completed = ?", req.ID, false).Update("completed", true)
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return dbErr(err)
	}
	if n == 0 {
		return nil
	}
	logging.FromContext(ctx, logging.LoggerDaemonAutoImport).Infof("Completed import request #%d.", req.ID)
	group := ""
	if node.Group != nil {
		group = node.Group.Name
	}
	env.Metrics.RequestsCompleted.WithLabelValues("import", result, node.Name, group).Inc()
	return nil
}
