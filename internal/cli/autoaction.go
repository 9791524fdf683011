package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// autoAction is what group autosync and node autoclean, which turn one
// flag of the auto-action edge from a node to a group on or off, differ in.
type autoAction struct {
	flag index.AutoAction
	// nodeFirst: the command takes NODE before GROUP, and looks it up first.
	nodeFirst bool
	// added and removed are the messages, formats taking the stored name of
	// the second argument.
	added, removed string
}

func autoActionCommand(a *App, use, short, removeHelp string, act autoAction) *cobra.Command {
	var remove bool
	cmd := leaf(use, short, func(cmd *cobra.Command, args []string) error {
		nodeName, groupName := args[1], args[0]
		if act.nodeFirst {
			nodeName, groupName = args[0], args[1]
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, group, err := act.resolve(d, tx, nodeName, groupName)
			if err != nil {
				return "", err
			}
			if node.GroupID == group.ID && !remove {
				return "", fmt.Errorf("can't enable %s: Node \"%s\" is in group \"%s\"", act.flag, nodeName, groupName)
			}
			changed, err := index.SetAutoAction(tx, node.ID, group.ID, act.flag, !remove)
			if err != nil || !changed {
				return "No change", err
			}
			msg, second := act.added, node.Name
			if remove {
				msg = act.removed
			}
			if act.nodeFirst {
				second = group.Name
			}
			return fmt.Sprintf(msg, second), nil
		})
	})
	cmd.Flags().BoolVar(&remove, "remove", false, removeHelp)
	return cmd
}

// resolve looks the node and the group up in the order the command takes
// them, so that of two unknown names the first is reported.
func (act autoAction) resolve(d *db.DB, tx *gorm.DB, nodeName, groupName string) (*db.StorageNode, *db.StorageGroup, error) {
	if act.nodeFirst {
		node, err := resolveNode(d, tx, nodeName, "no such node: %s")
		if err != nil {
			return nil, nil, err
		}
		group, err := resolveGroup(d, tx, groupName, "no such group: %s")
		return node, group, err
	}
	group, err := resolveGroup(d, tx, groupName, "no such group: %s")
	if err != nil {
		return nil, nil, err
	}
	node, err := resolveNode(d, tx, nodeName, "no such node: %s")
	return node, group, err
}
