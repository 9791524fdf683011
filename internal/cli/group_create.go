package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("group", groupCreateCommand) }

func groupCreateCommand(a *App) *cobra.Command {
	s := commonSettings{class: stringValue{v: "Default"}}
	cmd := leaf("create NAME", "Create a new storage group", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		ioConfig, err := s.io.compose(nil)
		if err != nil {
			return err
		}
		if err := db.CheckLength("group name", name, db.MaxGroupName); err != nil {
			return err
		}
		if err := db.CheckLength("I/O class", s.class.v, db.MaxIOClass); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			if err := refuseTaken[db.StorageGroup](d, tx, name, "Group \"%s\" already exists."); err != nil {
				return "", err
			}
			// The class is stored even when it is the default, as
			// alpenhorn does.
			g := db.StorageGroup{Name: name, IOClass: &s.class.v, Notes: s.notes.Ptr(), IOConfig: ioConfig}
			return fmt.Sprintf("Created storage group \"%s\".", name), index.CreateGroup(tx, &g)
		})
	})
	s.flags(cmd, "set the group's I/O class to `IO_CLASS`", "set the group's notes to `COMMENT`")
	return cmd
}
