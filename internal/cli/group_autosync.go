package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("group", groupAutosyncCommand) }

func groupAutosyncCommand(a *App) *cobra.Command {
	return autoActionCommand(a, "autosync GROUP NODE", "Add or remove an auto-sync source of a group",
		"stop auto-syncing NODE's new files into GROUP", autoAction{
			flag:    index.AutoSync,
			added:   "Auto-sync from \"%s\" started",
			removed: "Auto-sync from \"%s\" stopped.",
		})
}
