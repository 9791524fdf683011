package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("db", dbInitCommand) }

func dbInitCommand(a *App) *cobra.Command {
	return leaf("init", "Create the data index tables", func(cmd *cobra.Command, args []string) error {
		// The one command that may create an SQLite file: any other would
		// make an empty data index of a mistyped path.
		cfg, err := a.Config()
		if err != nil {
			return err
		}
		if url, err := cfg.DatabaseURL(); err == nil {
			if err := db.CreateFile(url); err != nil {
				return err
			}
		}
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
