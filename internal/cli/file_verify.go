package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("file", fileVerifyCommand) }

func fileVerifyCommand(a *App) *cobra.Command {
	return leaf("verify FILE NODE", "Ask the node's daemon to re-check a file copy", func(cmd *cobra.Command, args []string) error {
		path, nodeName := args[0], args[1]
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var msg string
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			file, err := resolveFile(d, tx, path)
			if err != nil {
				return err
			}
			node, err := resolveNode(d, tx, nodeName, "no such node: %s")
			if err != nil {
				return err
			}
			cp, err := copyOn(tx, file.ID, node.ID)
			if err != nil {
				return err
			}
			// A missing copy may be checked (it may have come back); a removed one not.
			if cp == nil || (cp.HasFile == db.HasNo && cp.WantsFile != db.WantYes) {
				return errors.New("File not present on node.")
			}
			var descriptor string
			switch cp.HasFile {
			case db.HasMaybe:
				msg = "File already scheduled for verification."
				return nil
			case db.HasNo:
				descriptor = "missing "
			case db.HasCorrupt:
				descriptor = "corrupt "
			}
			msg = fmt.Sprintf("Requesting verification of %sfile \"%s\".", descriptor, path)
			return tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", cp.ID).Update("has_file", db.HasMaybe).Error
		})
		if err != nil {
			return err
		}
		a.Echo("%s", msg)
		return nil
	})
}
