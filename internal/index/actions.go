package index

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// AutoActions runs, in the transaction tx, the auto-actions due when file has
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
//
// files may be many (a batch of imports or pulls recorded together): the
// statements are per action, not per file.
func AutoActions(ctx context.Context, tx *gorm.DB, node *db.StorageNode, files ...*db.ArchiveFile) error {
	log := logging.FromContext(ctx, logging.LoggerIOUtil)
	if len(files) == 0 {
		return nil
	}

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
	ids := make([]int64, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}

	syncs, err := load("a.node_from_id = ? AND a.group_to_id != ? AND a.autosync = ?", node.ID, node.GroupID, true)
	if err != nil {
		return err
	}
	for _, e := range syncs {
		present, err := IDsSelected(tx, ids, `SELECT DISTINCT c.file_id FROM archivefilecopy c JOIN storagenode n ON n.id = c.node_id
 WHERE n.group_id = ? AND c.has_file = 'Y' AND c.file_id IN ?`, e.Group)
		if err != nil {
			return err
		}
		var sync []int64
		for _, f := range files {
			if present[f.ID] {
				continue
			}
			log.Debugf("Autosyncing %s from node %s to group %s", f.Path(), node.Name, e.Name)
			sync = append(sync, f.ID)
		}
		if err := CreateCopyRequests(tx, node.ID, e.Group, sync, nil); err != nil {
			return err
		}
	}

	cleans, err := load("a.group_to_id = ? AND a.node_from_id != ? AND a.autoclean = ?", node.GroupID, node.ID, true)
	if err != nil {
		return err
	}
	for _, e := range cleans {
		held, err := IDsSelected(tx, ids, `SELECT file_id FROM archivefilecopy
 WHERE node_id = ? AND has_file = 'Y' AND wants_file = 'Y' AND file_id IN ?`, e.NodeID)
		if err != nil {
			return err
		}
		release := make([]int64, 0, len(held))
		for _, f := range files {
			if held[f.ID] {
				release = append(release, f.ID)
				log.Debugf("Autocleaning %s from node %s", f.Path(), e.Node)
			}
		}
		for chunk := range slices.Chunk(release, IDChunk) {
			err := tx.Model(&db.ArchiveFileCopy{}).
				Where("node_id = ? AND has_file = ? AND wants_file = ? AND file_id IN ?", e.NodeID, db.HasYes, db.WantYes, chunk).
				Updates(map[string]any{"wants_file": db.WantNo, "last_update": db.Now()}).Error
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// IDsSelected returns which of ids the query selects: its last argument,
// after args, is a list of ids ("… IN ?"). It runs once per IDChunk ids.
func IDsSelected(g *gorm.DB, ids []int64, query string, args ...any) (map[int64]bool, error) {
	found := map[int64]bool{}
	for chunk := range slices.Chunk(ids, IDChunk) {
		var got []int64
		if err := g.Raw(query, append(args, chunk)...).Scan(&got).Error; err != nil {
			return nil, err
		}
		for _, id := range got {
			found[id] = true
		}
	}
	return found, nil
}

// IDChunk is how many ids a statement lists at most (IN lists, multi-row
// INSERTs): far below SQLite's and MySQL's limits on arguments.
const IDChunk = 500

// AutoAction is a flag of the auto-action edge from a node to a group: the
// column it is stored in.
type AutoAction string

// The auto-actions: AutoSync copies the node's new files into the group;
// AutoClean releases the node's copies of files that arrive in the group.
const (
	AutoSync  AutoAction = "autosync"
	AutoClean AutoAction = "autoclean"
)

// SetAutoAction turns one auto-action from node nodeID to group groupID on
// or off, creating the edge (with the other flag off) when turning a flag
// on; an edge is never deleted. It reports whether anything changed.
func SetAutoAction(tx *gorm.DB, nodeID, groupID int64, action AutoAction, on bool) (bool, error) {
	var rows []db.StorageTransferAction
	if err := tx.Where("node_from_id = ? AND group_to_id = ?", nodeID, groupID).Limit(1).Find(&rows).Error; err != nil {
		return false, err
	}
	if len(rows) == 0 {
		if !on {
			return false, nil
		}
		edge := db.StorageTransferAction{NodeFromID: nodeID, GroupToID: groupID, Autosync: action == AutoSync, Autoclean: action == AutoClean}
		return true, tx.Create(&edge).Error
	}
	current := rows[0].Autosync
	if action == AutoClean {
		current = rows[0].Autoclean
	}
	if current == on {
		return false, nil
	}
	return true, tx.Model(&db.StorageTransferAction{}).Where("id = ?", rows[0].ID).Update(string(action), on).Error
}
