package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeDeactivateCommand) }

func nodeDeactivateCommand(a *App) *cobra.Command {
	return leaf("deactivate NODE", "Deactivate a node", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return "", err
			}
			if !node.Active {
				return fmt.Sprintf("No change: node \"%s\" already inactive.", name), nil
			}
			_, err = index.DeactivateNode(tx, node.ID)
			return fmt.Sprintf("Storage node \"%s\" deactivated.", name), err
		})
	})
}
