package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("node", nodeRenameCommand) }

func nodeRenameCommand(a *App) *cobra.Command {
	return leaf("rename NODE NEW_NAME", "Rename a node", func(cmd *cobra.Command, args []string) error {
		name, newName := args[0], args[1]
		if name == newName {
			a.Echo("No change.")
			return nil
		}
		if err := db.CheckLength("node name", newName, db.MaxNodeName); err != nil {
			return err
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			clash, err := findNode(d, tx, newName)
			if err != nil {
				return err
			}
			if clash != nil {
				return fmt.Errorf("Storage node \"%s\" already exists.", newName)
			}
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return err
			}
			return tx.Model(&db.StorageNode{}).Where("id = ?", node.ID).Update("name", newName).Error
		})
		if err != nil {
			return err
		}
		a.Echo("Storage node \"%s\" renamed to \"%s\".", name, newName)
		return nil
	})
}
