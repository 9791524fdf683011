package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("db", dbInitCommand) }

func dbInitCommand(a *App) *cobra.Command {
	return leaf("init", "Create the data index tables", func(cmd *cobra.Command, args []string) error {
		d, err := a.DB(cmd.Context(), false)
		if err != nil {
			return err
		}
		msg, err := d.Init(cmd.Context())
		if err != nil {
			return err
		}
		if err := index.SetupFileLocks(cmd.Context(), d); err != nil {
			return err
		}
		// Printed even under -q, as alpenhorn does.
		a.Print("%s", msg)
		return nil
	})
}
