package nodeio

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

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

	path, err := n.filePath(name)
	if err != nil {
		log.Errorf("Cannot check file %s on node %s: %v", name, node.Name, err)
		return nil
	}
	if !n.onNode(ctx) {
		return nil
	}
	var has db.HasFile
	var size *int64
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
		has = db.HasNo
	case err != nil:
		// Unreachable storage says nothing about the copy: leave it
		// suspect, to be checked again next pass.
		if errors.Is(err, context.DeadlineExceeded) {
			log.Errorf("Timeout after %s calling stat.", format.DeltaT(statTimeout.Seconds()))
		}
		return nil
	case file.SizeB != nil && *file.SizeB != 0 && fi.Size() != *file.SizeB:
		log.Errorf("File %s on node %s is corrupt! Size: %d; expected: %d", name, node.Name, fi.Size(), *file.SizeB)
		has = db.HasCorrupt
	default:
		sum, ok := n.MD5(ctx, path)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case ok && file.MD5Sum != nil && sum == *file.MD5Sum:
			log.Infof("File %s on node %s is A-OK!", name, node.Name)
			has = db.HasYes
			if s, err := n.outer.FileSize(path, true); err == nil {
				size = &s
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
			has = db.HasCorrupt
		}
	}

	// A file found missing may be a node found gone: the verdict stands
	// only if the node is still there.
	if !n.onNode(ctx) {
		return nil
	}
	log.Infof("Updating file copy #%d for file %s on node %s.", copy.ID, name, node.Name)
	satisfied, err := index.RecordCheck(ctx, n.env.DB, node, copy, has, size)
	if err != nil {
		return err
	}
	n.env.Metrics.Verified(node.Name, string(has))
	if satisfied {
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
