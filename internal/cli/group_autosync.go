package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("group", groupAutosyncCommand) }

func groupAutosyncCommand(a *App) *cobra.Command {
	var remove bool
	cmd := leaf("autosync GROUP NODE", "Add or remove an auto-sync source of a group", func(cmd *cobra.Command, args []string) error {
		groupName, nodeName := args[0], args[1]
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var msg string
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			group, err := resolveGroup(d, tx, groupName, "no such group: %s")
			if err != nil {
				return err
			}
			node, err := resolveNode(d, tx, nodeName, "no such node: %s")
			if err != nil {
				return err
			}
			if node.GroupID == group.ID && !remove {
				return fmt.Errorf("can't enable autosync: Node \"%s\" is in group \"%s\"", nodeName, groupName)
			}
			changed, err := setTransferAction(tx, node.ID, group.ID, "autosync", !remove)
			if err != nil || !changed {
				msg = "No change"
				return err
			}
			if remove {
				msg = fmt.Sprintf("Auto-sync from \"%s\" stopped.", node.Name)
			} else {
				msg = fmt.Sprintf("Auto-sync from \"%s\" started", node.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		a.Echo("%s", msg)
		return nil
	})
	cmd.Flags().BoolVar(&remove, "remove", false, "stop auto-syncing NODE's new files into GROUP")
	return cmd
}

// setTransferAction sets one flag ("autosync" or "autoclean") of the
// auto-action edge from a node to a group, creating the edge when turning
// a flag on. It reports whether anything changed.
func setTransferAction(tx *gorm.DB, nodeID, groupID int64, flag string, on bool) (bool, error) {
	var rows []db.StorageTransferAction
	if err := tx.Where("node_from_id = ? AND group_to_id = ?", nodeID, groupID).Limit(1).Find(&rows).Error; err != nil {
		return false, err
	}
	if len(rows) == 0 {
		if !on {
			return false, nil
		}
		edge := db.StorageTransferAction{NodeFromID: nodeID, GroupToID: groupID, Autosync: flag == "autosync", Autoclean: flag == "autoclean"}
		return true, tx.Create(&edge).Error
	}
	current := rows[0].Autosync
	if flag == "autoclean" {
		current = rows[0].Autoclean
	}
	if current == on {
		return false, nil
	}
	return true, tx.Model(&db.StorageTransferAction{}).Where("id = ?", rows[0].ID).Update(flag, on).Error
}
