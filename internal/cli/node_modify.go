package cli

import (
	"strconv"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeModifyCommand) }

func nodeModifyCommand(a *App) *cobra.Command {
	var (
		loc                nodeLocation
		group              stringValue
		s                  commonSettings
		kind               storageTypeFlags
		autoImport         onOffFlags
		autoVerify         intValue
		maxTotal, minAvail floatValue
		noMaxTotal         bool
	)
	cmd := leaf("modify NAME", "Change a storage node's properties", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := notBoth(cmd, "max-total", maxTotal.set, "no-max-total", noMaxTotal); err != nil {
			return err
		}
		if err := checkNodeNumbers(cmd, &maxTotal, &autoVerify, &minAvail); err != nil {
			return err
		}
		storageType, err := kind.value(cmd)
		if err != nil {
			return err
		}
		if err := loc.checkLengths(); err != nil {
			return err
		}
		if err := db.CheckLength("I/O class", s.class.v, db.MaxIOClass); err != nil {
			return err
		}

		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			node, err := resolveNode(d, tx, name, "no such node: %s")
			if err != nil {
				return "", err
			}
			var g *db.StorageGroup
			if group.v != "" {
				if g, err = resolveGroup(d, tx, group.v, "no such group: %s"); err != nil {
					return "", err
				}
			}
			updates := map[string]any{}
			if err := s.collect(updates, node.IOClass, node.Notes, node.IOConfig); err != nil {
				return "", err
			}
			loc.collect(updates, node)
			switch {
			case noMaxTotal && node.MaxTotalGB != nil:
				updates["max_total_gb"] = nil
			case maxTotal.set && (node.MaxTotalGB == nil || maxTotal.v != *node.MaxTotalGB):
				updates["max_total_gb"] = maxTotal.v
			}
			if autoImport.set && autoImport.on != node.AutoImport {
				updates["auto_import"] = autoImport.on
			}
			if autoVerify.set && autoVerify.v != node.AutoVerify {
				updates["auto_verify"] = autoVerify.v
			}
			if g != nil && g.ID != node.GroupID {
				updates["group_id"] = g.ID
			}
			if minAvail.set && minAvail.v != node.MinAvailGB {
				updates["min_avail_gb"] = minAvail.v
			}
			if storageType != "" && storageType != node.StorageType {
				updates["storage_type"] = storageType
			}
			if len(updates) == 0 {
				return "No change.", nil
			}
			return "Node updated.", index.Modify[db.StorageNode](tx, node.ID, updates)
		})
	})
	f := cmd.Flags()
	loc.flags(cmd, " (empty: clear it)")
	kind.flags(cmd, "")
	autoImport.flags(cmd, "auto-import", "turn on importing new files as they appear on the node", "turn off auto-import")
	f.Var(&autoVerify, "auto-verify", "re-verify up to `COUNT` copies per update loop (0: never)")
	s.flags(cmd, "set the node's I/O class to `IO_CLASS` (empty: Default)", "set the node's notes to `COMMENT` (empty: clear them)")
	f.Var(&group, "group", "move the node to the existing group `GROUP`")
	f.Var(&maxTotal, "max-total", "limit the node's size to `SIZE` GiB")
	f.BoolVar(&noMaxTotal, "no-max-total", false, "remove the node's size limit")
	f.Var(&minAvail, "min-avail", "keep at least `SIZE` GiB free on the node")
	return cmd
}

// onOffFlags is a --x/--no-x option pair: the last one given wins.
type onOffFlags struct{ on, set bool }

func (o *onOffFlags) flags(cmd *cobra.Command, name, onHelp, offHelp string) {
	for _, side := range []struct {
		name, help string
		on         bool
	}{{name, onHelp, true}, {"no-" + name, offHelp, false}} {
		f := cmd.Flags().VarPF(onOffSide{o, side.on}, side.name, "", side.help)
		f.NoOptDefVal = "true"
	}
}

// onOffSide is one flag of an onOffFlags pair.
type onOffSide struct {
	pair *onOffFlags
	on   bool
}

func (s onOffSide) String() string { return "false" }
func (s onOffSide) Type() string   { return "bool" }
func (s onOffSide) Set(v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	s.pair.on, s.pair.set = b == s.on, true
	return nil
}
