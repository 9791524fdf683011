package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("node", nodeDeactivateCommand) }

func nodeDeactivateCommand(a *App) *cobra.Command {
	return leaf("deactivate NODE", "Deactivate a node", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var msg string
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return err
			}
			if !node.Active {
				msg = fmt.Sprintf("No change: node \"%s\" already inactive.", name)
				return nil
			}
			msg = fmt.Sprintf("Storage node \"%s\" deactivated.", name)
			return tx.Model(&db.StorageNode{}).Where("id = ?", node.ID).Update("active", false).Error
		})
		if err != nil {
			return err
		}
		a.Echo("%s", msg)
		return nil
	})
}
