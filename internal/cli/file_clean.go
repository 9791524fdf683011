package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileCleanCommand) }

func fileCleanCommand(a *App) *cobra.Command {
	var nodeName string
	var now, cancel, archiveOK bool
	cmd := leaf("clean FILE", "Schedule a file copy for removal, or cancel that", func(cmd *cobra.Command, args []string) error {
		path := args[0]
		if err := atLeastOne(cmd, "cancel", cancel, "node", nodeName != ""); err != nil {
			return err
		}
		if err := notBoth(cmd, "cancel", cancel, "now", now); err != nil {
			return err
		}
		wants := db.WantMaybe
		switch {
		case cancel:
			wants = db.WantYes
		case now:
			wants = db.WantNo
		}
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var out []string
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			out = nil
			var node *db.StorageNode
			if nodeName != "" {
				var err error
				if node, err = resolveNode(d, tx, nodeName, "no such node: %s"); err != nil {
					return err
				}
				if node.Archive() && !cancel {
					if !archiveOK {
						out = append(out, fmt.Sprintf("Not done: Node \"%s\" is an archive node.", node.Name))
						return nil
					}
					out = append(out, fmt.Sprintf("Node \"%s\" is an archive node: forcing clean.", node.Name))
				}
			}
			file, err := resolveFile(d, tx, path)
			if err != nil {
				return err
			}
			var nodeID int64
			if node != nil {
				nodeID = node.ID
			}
			n, err := index.SetFileWants(tx, file.ID, nodeID, wants)
			if err != nil {
				return err
			}
			out = append(out, cleanMessage(n, path, node, cancel, now))
			return nil
		})
		// What was said before a failure (the archive-node warning) stays said.
		for _, line := range out {
			a.Echo("%s", line)
		}
		return err
	})
	cmd.Flags().StringVar(&nodeName, "node", "", "the `NODE` whose copy to clean (required unless --cancel)")
	cmd.Flags().BoolVarP(&now, "now", "n", false, "release the copy for immediate removal")
	cmd.Flags().BoolVarP(&cancel, "cancel", "x", false, "cancel cleaning, on every node unless --node is given")
	cmd.Flags().BoolVar(&archiveOK, "archive-ok", false, "allow cleaning a copy on an archive node")
	return cmd
}

func cleanMessage(count int64, path string, node *db.StorageNode, cancel, now bool) string {
	switch {
	case count == 0:
		return "No change."
	case cancel && node != nil:
		return fmt.Sprintf("Cancelled cleaning for \"%s\" on Node \"%s\".", path, node.Name)
	case cancel:
		return fmt.Sprintf("Cancelled %d cleaning %s for \"%s\".", count, nounFor(count, "request", "requests"), path)
	case now:
		return fmt.Sprintf("Released \"%s\" for immediate removal on Node \"%s\".", path, node.Name)
	}
	return fmt.Sprintf("Marked \"%s\" for discretionary cleaning on Node \"%s\".", path, node.Name)
}
