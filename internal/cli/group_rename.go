package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("group", groupRenameCommand) }

func groupRenameCommand(a *App) *cobra.Command {
	return leaf("rename GROUP NEW_NAME", "Rename a storage group", func(cmd *cobra.Command, args []string) error {
		name, newName := args[0], args[1]
		if name == newName {
			a.Echo("No change.")
			return nil
		}
		if err := db.CheckLength("group name", newName, db.MaxGroupName); err != nil {
			return err
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			clash, err := findGroup(d, tx, newName)
			if err != nil {
				return err
			}
			if clash != nil {
				return fmt.Errorf("Storage group \"%s\" already exists.", newName)
			}
			group, err := resolveGroup(d, tx, name, "No such storage group: %s.")
			if err != nil {
				return err
			}
			return tx.Model(&db.StorageGroup{}).Where("id = ?", group.ID).Update("name", newName).Error
		})
		if err != nil {
			return err
		}
		// No final period: alpenhorn's message has none.
		a.Echo("Storage group \"%s\" renamed to \"%s\"", name, newName)
		return nil
	})
}
