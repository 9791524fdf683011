package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileImportCommand) }

func fileImportCommand(a *App) *cobra.Command {
	var registerNew bool
	cmd := leaf("import PATH NODE", "Ask the node's daemon to import a file", func(cmd *cobra.Command, args []string) error {
		path, nodeName := args[0], args[1]
		if strings.HasPrefix(path, "/") {
			return usageErrorf(cmd, "PATH may not be absolute")
		}
		if err := db.CheckLength("path", path, db.MaxPath); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, nodeName, "no such node: %s")
			if err != nil {
				return "", err
			}
			// The path goes to the daemon as typed; it resolves it against the node root.
			return "Added new import request.", index.CreateImportRequest(tx, node.ID, path, false, registerNew)
		})
	})
	cmd.Flags().BoolVarP(&registerNew, "register-new", "n", false, "register the file in the data index if it is not there yet")
	return cmd
}
