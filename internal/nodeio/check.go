package nodeio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// check verifies a copy against the data index: missing ('N'), wrong size
// or hash ('X'), or good ('Y', with its allocated size refreshed).
func (n *DefaultNode) check(ctx context.Context, copy *db.ArchiveFileCopy) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	node := n.Row()
	file := copy.File
	name := file.Path()
	n.env.Metrics.VerificationChecks.WithLabelValues(node.Name).Inc()

	path, err := n.abs(name)
	if err != nil {
		log.Errorf("Cannot check file %s on node %s: %v", name, node.Name, err)
		return nil
	}
	updates := map[string]any{}
	var fi os.FileInfo
	statCtx, cancel := context.WithTimeout(ctx, statTimeout)
	err = fsutil.Bounded(statCtx, func() error {
		var err error
		fi, err = os.Stat(path)
		return err
	})
	cancel()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Errorf("File %s on node %s is missing!", name, node.Name)
		updates["has_file"] = db.HasNo
	case err != nil:
		// Unreachable storage says nothing about the copy: leave it
		// suspect, to be checked again next pass.
		if errors.Is(err, context.DeadlineExceeded) {
			log.Errorf("Timeout after %s calling stat.", format.DeltaT(statTimeout.Seconds()))
		}
		return nil
	case file.SizeB != nil && *file.SizeB != 0 && fi.Size() != *file.SizeB:
		log.Errorf("File %s on node %s is corrupt! Size: %d; expected: %d", name, node.Name, fi.Size(), *file.SizeB)
		updates["has_file"] = db.HasCorrupt
	default:
		sum, ok := n.MD5(ctx, path)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case ok && file.MD5Sum != nil && sum == *file.MD5Sum:
			log.Infof("File %s on node %s is A-OK!", name, node.Name)
			updates["has_file"] = db.HasYes
			if size, err := n.outer.FileSize(path, true); err == nil {
				updates["size_b"] = size
			}
		default:
			got, want := "None", "None"
			if ok {
				got = sum
			}
			if file.MD5Sum != nil {
				want = *file.MD5Sum
			}
			log.Errorf("File %s on node %s is corrupt! MD5: %s; expected: %s", name, node.Name, got, want)
			updates["has_file"] = db.HasCorrupt
		}
	}

	log.Infof("Updating file copy #%d for file %s on node %s.", copy.ID, name, node.Name)
	updates["last_update"] = db.Now()
	// A good copy satisfies the pull requests waiting for it: those into
	// this node's group, held back while the copy needed this check. Most
	// come from a pre-pull search that found the file on disk, unrecorded:
	// a daemon died after a pull put the file in place and before it
	// recorded it. The request is completed and the auto-actions of the
	// new copy run, in the same transaction as the copy's new state, as a
	// finished pull would have done; cancelling the request instead (as
	// the next pass otherwise would, "already present") would leave them
	// undone for ever.
	var satisfied int64
	err = n.env.DB.Transaction(ctx, func(tx *gorm.DB) error {
		satisfied = 0
		// Only the columns the check decides: a concurrent change of
		// wants_file (a clean request) must survive.
		if err := tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", copy.ID).Updates(updates).Error; err != nil {
			return err
		}
		if updates["has_file"] != db.HasYes {
			return nil
		}
		res := tx.Model(&db.ArchiveFileCopyRequest{}).
			Where("file_id = ? AND group_to_id = ? AND completed = ? AND cancelled = ?", copy.FileID, node.GroupID, false, false).
			Update("completed", true)
		if res.Error != nil {
			return res.Error
		}
		if satisfied = res.RowsAffected; satisfied == 0 {
			return nil
		}
		return index.AutoActions(ctx, tx, node, file)
	})
	if err != nil {
		return err
	}
	if satisfied > 0 {
		log.Infof("Pull request for %s into group %s satisfied by the copy on node %s.", name, groupName(node), node.Name)
	}
	return nil
}

// groupName is the name of node's group, or its id when not loaded.
func groupName(node *db.StorageNode) string {
	if node.Group != nil {
		return node.Group.Name
	}
	return fmt.Sprintf("#%d", node.GroupID)
}
