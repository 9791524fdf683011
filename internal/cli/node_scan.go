package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeScanCommand) }

func nodeScanCommand(a *App) *cobra.Command {
	var registerNew bool
	cmd := leaf("scan NODE [PATH]", "Ask the node's daemon to import files found under a path", func(cmd *cobra.Command, args []string) error {
		name, scanPath := args[0], "."
		if len(args) > 1 && args[1] != "" {
			scanPath = normalisePath(args[1])
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return "", err
			}
			p := scanPath
			if strings.HasPrefix(p, "/") {
				if node.Root == nil {
					return "", fmt.Errorf("PATH can't be absolute: Node \"%s\" has no root.", node.Name)
				}
				rel, ok := relativeTo(p, *node.Root)
				if !ok {
					return "", fmt.Errorf("absolute path \"%s\" outside node root: %s", p, *node.Root)
				}
				p = rel
			}
			if err := db.CheckLength("path", p, db.MaxPath); err != nil {
				return "", err
			}
			return fmt.Sprintf("Added request for scan of \"%s\" on Node \"%s\".", p, node.Name), index.CreateImportRequest(tx, node.ID, p, true, registerNew)
		})
	})
	cmd.Flags().BoolVarP(&registerNew, "register-new", "n", false, "register files not yet in the data index instead of skipping them")
	return cmd
}

// relativeTo makes the normalised absolute path p relative to root,
// comparing whole components lexically and keeping any ".." as it is;
// "." when they are the same. A relative root contains no absolute path.
func relativeTo(p, root string) (string, bool) {
	r := normalisePath(root)
	switch {
	case !strings.HasPrefix(r, "/"):
		return "", false
	case p == r:
		return ".", true
	case r == "/":
		return strings.TrimPrefix(p, "/"), true
	case strings.HasPrefix(p, r+"/"):
		return strings.TrimPrefix(p, r+"/"), true
	}
	return "", false
}
