package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeActivateCommand) }

func nodeActivateCommand(a *App) *cobra.Command {
	var loc nodeLocation
	cmd := leaf("activate NODE", "Activate a node, optionally updating where it is", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := loc.checkLengths(); err != nil {
			return err
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return "", err
			}
			// An active node keeps its location even if new values were
			// given: it may be in use where it is.
			if node.Active {
				return fmt.Sprintf("No change: node \"%s\" already active.", name), nil
			}
			updates := map[string]any{"active": true}
			loc.collect(updates, node)
			return fmt.Sprintf("Storage node \"%s\" activated.", name), index.Modify[db.StorageNode](tx, node.ID, updates)
		})
	})
	loc.flags(cmd, " before activating")
	return cmd
}

// nodeLocation holds the options that say where a node is and how to reach
// it: --address, --host, --root and --username.
type nodeLocation struct {
	address, host, root, username stringValue
}

// flags registers the four options; suffix ends each help line.
func (l *nodeLocation) flags(cmd *cobra.Command, suffix string) {
	cmd.Flags().Var(&l.address, "address", "set the address used for remote access to `ADDR`"+suffix)
	cmd.Flags().Var(&l.host, "host", "set the host whose daemon manages the node to `HOST`"+suffix)
	cmd.Flags().Var(&l.root, "root", "set the node's root directory or mount point to `ROOT`"+suffix)
	cmd.Flags().Var(&l.username, "username", "set the user name used for remote access to `USER`"+suffix)
}

// checkLengths refuses values that do not fit their columns.
func (l *nodeLocation) checkLengths() error {
	for _, f := range []struct {
		what string
		v    *stringValue
		max  int
	}{
		{"address", &l.address, db.MaxAddress},
		{"host", &l.host, db.MaxHost},
		{"root", &l.root, db.MaxRoot},
		{"username", &l.username, db.MaxUsername},
	} {
		if err := db.CheckLength(f.what, f.v.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// collect adds the location changes to updates.
func (l *nodeLocation) collect(updates map[string]any, node *db.StorageNode) {
	updateOrClear(updates, "address", &l.address, node.Address)
	updateOrClear(updates, "host", &l.host, node.Host)
	updateOrClear(updates, "root", &l.root, node.Root)
	updateOrClear(updates, "username", &l.username, node.Username)
}

// updateOrClear records a change of a nullable string column: an absent
// option keeps the value, an empty one clears it, any other replaces it.
func updateOrClear(updates map[string]any, column string, opt *stringValue, old *string) {
	switch {
	case !opt.set:
	case opt.v == "":
		if old != nil {
			updates[column] = nil
		}
	case old == nil || *old != opt.v:
		updates[column] = opt.v
	}
}
