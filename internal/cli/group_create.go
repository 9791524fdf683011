package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("group", groupCreateCommand) }

func groupCreateCommand(a *App) *cobra.Command {
	var (
		class  = stringValue{v: "Default"}
		notes  stringValue
		ioEdit ioConfigEdit
	)
	cmd := leaf("create NAME", "Create a new storage group", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		ioConfig, err := ioEdit.compose(nil)
		if err != nil {
			return err
		}
		if err := db.CheckLength("group name", name, db.MaxGroupName); err != nil {
			return err
		}
		if err := db.CheckLength("I/O class", class.v, db.MaxIOClass); err != nil {
			return err
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			existing, err := findGroup(d, tx, name)
			if err != nil {
				return err
			}
			if existing != nil {
				return fmt.Errorf("Group \"%s\" already exists.", name)
			}
			// The class is stored even when it is the default, as
			// alpenhorn does.
			g := db.StorageGroup{Name: name, IOClass: &class.v, Notes: notes.Ptr(), IOConfig: ioConfig}
			return tx.Create(&g).Error
		})
		if err != nil {
			return err
		}
		a.Echo("Created storage group \"%s\".", name)
		return nil
	})
	cmd.Flags().VarP(&class, "class", "i", "set the group's I/O class to `IO_CLASS`")
	ioEdit.flags(cmd)
	cmd.Flags().Var(&notes, "notes", "set the group's notes to `COMMENT`")
	return cmd
}
