package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("node", nodeRenameCommand) }

func nodeRenameCommand(a *App) *cobra.Command {
	return renameCommand(a, "rename NODE NEW_NAME", "Rename a node", renaming[db.StorageNode]{
		column:   "node name",
		max:      db.MaxNodeName,
		taken:    "Storage node \"%s\" already exists.",
		notFound: "no such node: %s",
		done:     "Storage node \"%s\" renamed to \"%s\".",
		id:       nodeID,
	})
}
