package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileModifyCommand) }

func fileModifyCommand(a *App) *cobra.Command {
	var md5 stringValue
	var size intValue
	var noReverify bool
	cmd := leaf("modify FILE", "Change a file's recorded MD5 hash or size", func(cmd *cobra.Command, args []string) error {
		path := args[0]
		if !md5.set && !size.set {
			return usageErrorf(cmd, "at least of --md5 or --size must be used.")
		}
		if size.set && size.v < 0 {
			return errors.New("negative file size.")
		}
		if md5.set {
			if err := checkMD5(md5.v); err != nil {
				return err
			}
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			file, err := resolveFile(d, tx, path)
			if err != nil {
				return "", err
			}
			updates := map[string]any{}
			// The hash is compared as typed: a change of case is a change.
			if md5.set && (file.MD5Sum == nil || *file.MD5Sum != md5.v) {
				updates["md5sum"] = md5.v
			}
			if size.set && (file.SizeB == nil || *file.SizeB != size.v) {
				updates["size_b"] = size.v
			}
			if len(updates) == 0 {
				return "No change.", nil
			}
			if err := index.Modify[db.ArchiveFile](tx, file.ID, updates); err != nil {
				return "", err
			}
			if noReverify {
				return "File updated.  Re-verification skipped.", nil
			}
			n, err := index.ReverifyFile(tx, file.ID)
			if err != nil {
				return "", err
			}
			if n > 0 {
				return fmt.Sprintf("File updated.  %d %s will be re-verified.", n, nounFor(n, "copy", "copies")), nil
			}
			return "File updated.  No additional copies need re-verification.", nil
		})
	})
	cmd.Flags().Var(&md5, "md5", "the new MD5 `HASH` (32 hex digits)")
	cmd.Flags().BoolVar(&noReverify, "no-reverify", false, "do not ask for the file's copies to be re-verified")
	cmd.Flags().Var(&size, "size", "the new `SIZE` in bytes")
	return cmd
}
