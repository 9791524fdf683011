package cli

import (
	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("group", groupModifyCommand) }

func groupModifyCommand(a *App) *cobra.Command {
	var s commonSettings
	cmd := leaf("modify GROUP", "Change a storage group's class, notes or I/O config", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := db.CheckLength("I/O class", s.class.v, db.MaxIOClass); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			group, err := resolveGroup(d, tx, name, "Storage group \"%s\" does not exist.")
			if err != nil {
				return "", err
			}
			updates := map[string]any{}
			if err := s.collect(updates, group.IOClass, group.Notes, group.IOConfig); err != nil {
				return "", err
			}
			if len(updates) == 0 {
				return "Nothing to do.", nil
			}
			return "Storage group updated.", index.Modify[db.StorageGroup](tx, group.ID, updates)
		})
	})
	s.flags(cmd, "set the group's I/O class to `IO_CLASS` (--class= resets it to Default)",
		"set the group's notes to `COMMENT` (--notes= clears them)")
	return cmd
}
