package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
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
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			acq, err := findAcq(d, tx, name)
			if err != nil {
				return err
			}
			if acq != nil {
				return fmt.Errorf("Acquisition \"%s\" already exists.", name)
			}
			return tx.Create(&db.ArchiveAcq{Name: name}).Error
		})
		if err != nil {
			return err
		}
		a.Echo("Created acquisition \"%s\".", name)
		return nil
	})
}
