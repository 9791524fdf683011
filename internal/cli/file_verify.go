package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileVerifyCommand) }

func fileVerifyCommand(a *App) *cobra.Command {
	return leaf("verify FILE NODE", "Ask the node's daemon to re-check a file copy", func(cmd *cobra.Command, args []string) error {
		path, nodeName := args[0], args[1]
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			_, _, cp, err := resolveCopy(d, tx, path, nodeName)
			if err != nil {
				return "", err
			}
			// A missing copy may be checked (it may have come back); a removed one not.
			if cp == nil || (cp.HasFile == db.HasNo && cp.WantsFile != db.WantYes) {
				return "", errors.New("File not present on node.")
			}
			var descriptor string
			switch cp.HasFile {
			case db.HasMaybe:
				return "File already scheduled for verification.", nil
			case db.HasNo:
				descriptor = "missing "
			case db.HasCorrupt:
				descriptor = "corrupt "
			}
			_, err = index.SetHasFile(tx, []int64{cp.ID}, db.HasMaybe)
			return fmt.Sprintf("Requesting verification of %sfile \"%s\".", descriptor, path), err
		})
	})
}
