package cli

import (
	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("group", groupModifyCommand) }

func groupModifyCommand(a *App) *cobra.Command {
	var (
		class, notes stringValue
		ioEdit       ioConfigEdit
	)
	cmd := leaf("modify GROUP", "Change a storage group's class, notes or I/O config", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := db.CheckLength("I/O class", class.v, db.MaxIOClass); err != nil {
			return err
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var changed bool
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			group, err := resolveGroup(d, tx, name, "Storage group \"%s\" does not exist.")
			if err != nil {
				return err
			}
			ioConfig, err := ioEdit.compose(group.IOConfig)
			if err != nil {
				return err
			}
			updates := map[string]any{}
			updateOrClear(updates, "notes", &notes, group.Notes)
			updateOrClear(updates, "io_class", &class, group.IOClass)
			if ioEdit.given() && ioConfigDiffers(ioConfig, group.IOConfig) {
				updates["io_config"] = ioConfig
			}
			changed = len(updates) > 0
			if !changed {
				return nil
			}
			return tx.Model(&db.StorageGroup{}).Where("id = ?", group.ID).Updates(updates).Error
		})
		if err != nil {
			return err
		}
		if changed {
			a.Echo("Storage group updated.")
		} else {
			a.Echo("Nothing to do.")
		}
		return nil
	})
	cmd.Flags().VarP(&class, "class", "i", "set the group's I/O class to `IO_CLASS` (--class= resets it to Default)")
	ioEdit.flags(cmd)
	cmd.Flags().Var(&notes, "notes", "set the group's notes to `COMMENT` (--notes= clears them)")
	return cmd
}
