package io

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// check verifies a copy against the data index: missing ('N'), wrong size
// or hash ('X'), or good ('Y', with its allocated size refreshed).
func (n *DefaultNode) check(ctx context.Context, copy *db.ArchiveFileCopy) error {
	log := logging.FromContext(ctx, logging.LoggerIODefaultTasks)
	node := n.Row()
	file := copy.File
	name := FilePath(file)
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
			log.Errorf("Timeout after %s calling stat.", PrettyDeltat(statTimeout))
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
	// Only the columns the check decides: a concurrent change of
	// wants_file (a clean request) must survive.
	return dbErr(n.env.DB.Retry(ctx, func(g *gorm.DB) error {
		return g.Model(&db.ArchiveFileCopy{}).Where("id = ?", copy.ID).Updates(updates).Error
	}))
}
