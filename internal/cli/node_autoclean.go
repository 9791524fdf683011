package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"
)

func init() { register("node", nodeAutocleanCommand) }

func nodeAutocleanCommand(a *App) *cobra.Command {
	var remove bool
	cmd := leaf("autoclean NODE GROUP", "Add or remove an auto-clean trigger of a node", func(cmd *cobra.Command, args []string) error {
		nodeName, groupName := args[0], args[1]
		ctx := cmd.Context()
		d, err := a.DB(ctx, true)
		if err != nil {
			return err
		}
		var msg string
		err = d.Transaction(ctx, func(tx *gorm.DB) error {
			node, err := resolveNode(d, tx, nodeName, "no such node: %s")
			if err != nil {
				return err
			}
			group, err := resolveGroup(d, tx, groupName, "no such group: %s")
			if err != nil {
				return err
			}
			if node.GroupID == group.ID && !remove {
				return fmt.Errorf("can't enable autoclean: Node \"%s\" is in group \"%s\"", nodeName, groupName)
			}
			changed, err := setTransferAction(tx, node.ID, group.ID, "autoclean", !remove)
			if err != nil || !changed {
				msg = "No change"
				return err
			}
			if remove {
				msg = fmt.Sprintf("Auto-clean trigger: Group \"%s\" removed.", group.Name)
			} else {
				msg = fmt.Sprintf("Auto-clean trigger: Group \"%s\" added", group.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		a.Echo("%s", msg)
		return nil
	})
	cmd.Flags().BoolVar(&remove, "remove", false, "stop releasing NODE's copies of files that arrive in GROUP")
	return cmd
}
