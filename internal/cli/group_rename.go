package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func init() { register("group", groupRenameCommand) }

func groupRenameCommand(a *App) *cobra.Command {
	return renameCommand(a, "rename GROUP NEW_NAME", "Rename a storage group", renaming[db.StorageGroup]{
		column:   "group name",
		max:      db.MaxGroupName,
		taken:    "Storage group \"%s\" already exists.",
		notFound: "No such storage group: %s.",
		// No final period: alpenhorn's message has none.
		done: "Storage group \"%s\" renamed to \"%s\"",
		id:   groupID,
	})
}
