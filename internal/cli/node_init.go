package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeInitCommand) }

func nodeInitCommand(a *App) *cobra.Command {
	return leaf("init NODE", "Ask the node's daemon to initialise it", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Requested initialisation of Node \"%s\".", name), requestNodeInit(tx, node.ID)
		})
	})
}

// requestNodeInit queues a request for the node's daemon to initialise it
// (node create and node init).
func requestNodeInit(tx *gorm.DB, nodeID int64) error { return index.RequestNodeInit(tx, nodeID) }
