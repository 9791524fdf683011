package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("acq", acqCreateCommand) }

func acqCreateCommand(a *App) *cobra.Command {
	return leaf("create NAME", "Create a new acquisition", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if reason := db.InvalidImportPath(name); reason != "" {
			return fmt.Errorf("invalid name: %s", reason)
		}
		if err := db.CheckLength("acquisition name", name, db.MaxAcqName); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			if err := refuseTaken[db.ArchiveAcq](d, tx, name, "Acquisition \"%s\" already exists."); err != nil {
				return "", err
			}
			_, err := index.CreateAcq(tx, name)
			return fmt.Sprintf("Created acquisition \"%s\".", name), err
		})
	})
}
