package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeAutocleanCommand) }

func nodeAutocleanCommand(a *App) *cobra.Command {
	return autoActionCommand(a, "autoclean NODE GROUP", "Add or remove an auto-clean trigger of a node",
		"stop releasing NODE's copies of files that arrive in GROUP", autoAction{
			flag:      index.AutoClean,
			nodeFirst: true,
			added:     "Auto-clean trigger: Group \"%s\" added",
			removed:   "Auto-clean trigger: Group \"%s\" removed.",
		})
}
