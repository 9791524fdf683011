package cli

import "github.com/spf13/cobra"

func init() { register("node", nodeSyncCommand) }

// nodeSyncCommand is group sync with the positional arguments swapped.
func nodeSyncCommand(a *App) *cobra.Command {
	s := &syncRun{what: "GROUP"}
	cmd := leaf("sync NODE [GROUP]", "Copy files from a node into a group, or cancel such copies", func(cmd *cobra.Command, args []string) error {
		s.node = &args[0]
		if len(args) > 1 {
			s.group = &args[1]
		}
		return a.runSync(cmd, s)
	})
	s.flags(cmd, "cancel every pending copy out of NODE, whatever its destination (with --cancel, instead of GROUP)")
	return cmd
}
