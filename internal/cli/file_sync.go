package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileSyncCommand) }

func fileSyncCommand(a *App) *cobra.Command {
	var cancel, force bool
	var from, to string
	cmd := leaf("sync FILE", "Request, or cancel, a copy of a file into a group", func(cmd *cobra.Command, args []string) error {
		path := args[0]
		if !cancel {
			if from == "" {
				return usageErrorf(cmd, "missing --from")
			}
			if to == "" {
				return usageErrorf(cmd, "missing --to")
			}
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			file, err := resolveFile(d, tx, path)
			if err != nil {
				return "", err
			}
			if cancel {
				return cancelFileSync(d, tx, file.ID, from, to)
			}
			src, err := resolveNode(d, tx, from, "no such node: %s")
			if err != nil {
				return "", err
			}
			dest, err := resolveGroup(d, tx, to, "no such group: %s")
			if err != nil {
				return "", err
			}
			there, err := fileGroupState(tx, file.ID, dest.ID)
			if err != nil {
				return "", err
			}
			if there.State() == db.HasYes {
				return fmt.Sprintf("Not done: %s already present on Node \"%s\" in destination Group \"%s\".", path, there.Node, to), nil
			}
			cp, err := index.CopyOn(tx, file.ID, src.ID)
			if err != nil {
				return "", err
			}
			var forced string
			if cp == nil || cp.HasFile != db.HasYes {
				if !force {
					return "Not done: File missing from source.", nil
				}
				forced = "File missing from source: forcing request.\n"
			}
			return forced + "Request submitted.", index.CreateCopyRequests(tx, src.ID, dest.ID, []int64{file.ID}, nil)
		})
	})
	f := cmd.Flags()
	f.BoolVar(&cancel, "cancel", false, "cancel pending requests for FILE, limited by --from and --to if given")
	f.BoolVar(&force, "force", false, "request the copy even if the source node has no copy of FILE")
	f.StringVar(&from, "from", "", "the `SOURCE_NODE` to copy FILE from (required unless --cancel)")
	f.StringVar(&to, "to", "", "the `DEST_GROUP` to copy FILE into (required unless --cancel)")
	return cmd
}

// cancelFileSync cancels the pending requests for a file, limited to a
// source node and a destination group when they are named.
func cancelFileSync(d *db.DB, tx *gorm.DB, fileID int64, from, to string) (string, error) {
	var nodeID, groupID int64
	if from != "" {
		node, err := resolveNode(d, tx, from, "no such node: %s")
		if err != nil {
			return "", err
		}
		nodeID = node.ID
	}
	if to != "" {
		group, err := resolveGroup(d, tx, to, "no such group: %s")
		if err != nil {
			return "", err
		}
		groupID = group.ID
	}
	n, err := index.CancelFileCopyRequests(tx, fileID, nodeID, groupID)
	switch {
	case err != nil:
		return "", err
	case n == 1:
		return "Cancelled 1 request.", nil
	case n > 1:
		return fmt.Sprintf("Cancelled %d requests.", n), nil
	}
	return "No requests to cancel.", nil
}
