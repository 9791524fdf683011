package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// renaming is what group rename and node rename differ in: their table T
// and their wording.
type renaming[T any] struct {
	column string // the name's column, as db.CheckLength names it
	max    int
	// taken, notFound and done are formats; done takes both names.
	taken, notFound, done string
	id                    func(*T) int64
}

func renameCommand[T any](a *App, use, short string, r renaming[T]) *cobra.Command {
	return leaf(use, short, func(cmd *cobra.Command, args []string) error {
		name, newName := args[0], args[1]
		if name == newName {
			a.Echo("No change.")
			return nil
		}
		if err := db.CheckLength(r.column, newName, r.max); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			if err := refuseTaken[T](d, tx, newName, r.taken); err != nil {
				return "", err
			}
			row, err := resolveNamed[T](d, tx, name, r.notFound)
			if err != nil {
				return "", err
			}
			msg := fmt.Sprintf(r.done, name, newName)
			return msg, index.Rename[T](tx, r.id(row), newName)
		})
	})
}
