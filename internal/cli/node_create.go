package cli

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("node", nodeCreateCommand) }

func nodeCreateCommand(a *App) *cobra.Command {
	var (
		loc                                         nodeLocation
		group                                       stringValue
		s                                           commonSettings
		kind                                        storageTypeFlags
		autoVerify                                  intValue
		maxTotal, minAvail                          floatValue
		createGroup, activate, autoImport, initNode bool
	)
	cmd := leaf("create NAME", "Create a new storage node", func(cmd *cobra.Command, args []string) error {
		name := args[0]
		if err := exactlyOne(cmd, "create-group", createGroup, "group", group.v != ""); err != nil {
			return err
		}
		if err := checkNodeNumbers(cmd, &maxTotal, &autoVerify, &minAvail); err != nil {
			return err
		}
		ioConfig, err := s.io.compose(nil)
		if err != nil {
			return err
		}
		storageType, err := kind.value(cmd)
		if err != nil {
			return err
		}
		if storageType == "" {
			storageType = db.StorageField
		}
		if err := checkNodeStrings(name, &loc, &s.class); err != nil {
			return err
		}

		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			if err := refuseTaken[db.StorageNode](d, tx, name, "node \"%s\" already exists."); err != nil {
				return "", err
			}
			done := fmt.Sprintf("Created storage node \"%s\".", name)
			var g *db.StorageGroup
			var err error
			if createGroup {
				if err := refuseTaken[db.StorageGroup](d, tx, name, "group \"%s\" already exists."); err != nil {
					return "", err
				}
				g = &db.StorageGroup{Name: name}
				if err := index.CreateGroup(tx, g); err != nil {
					return "", err
				}
				done = fmt.Sprintf("Created storage group \"%s\".\n", name) + done
			} else if g, err = resolveGroup(d, tx, group.v, "no such group: %s"); err != nil {
				return "", err
			}
			node := db.StorageNode{
				Name:        name,
				Root:        loc.root.Ptr(),
				Host:        loc.host.Ptr(),
				Username:    loc.username.Ptr(),
				Address:     loc.address.Ptr(),
				IOClass:     s.class.Ptr(),
				GroupID:     g.ID,
				Active:      activate,
				AutoImport:  autoImport,
				AutoVerify:  autoVerify.v,
				StorageType: storageType,
				MinAvailGB:  minAvail.v,
				Notes:       s.notes.Ptr(),
				IOConfig:    ioConfig,
			}
			if maxTotal.set {
				node.MaxTotalGB = &maxTotal.v
			}
			if err := index.CreateNode(tx, &node); err != nil {
				return "", err
			}
			if initNode {
				return done, requestNodeInit(tx, node.ID)
			}
			return done, nil
		})
	})
	f := cmd.Flags()
	loc.flags(cmd, "")
	f.BoolVar(&activate, "activate", false, "activate the node at once")
	kind.flags(cmd, " (the default)")
	f.BoolVar(&autoImport, "auto-import", false, "import new files as they appear on the node")
	f.Var(&autoVerify, "auto-verify", "re-verify up to `COUNT` copies per update loop (0: never) (default 0)")
	s.flags(cmd, "set the node's I/O class to `IO_CLASS` (default: Default)", "set the node's notes to `COMMENT`")
	f.BoolVar(&createGroup, "create-group", false, "create a group named NAME for the node (instead of --group)")
	f.Var(&group, "group", "put the node in the existing group `GROUP`")
	f.BoolVar(&initNode, "init", false, "also ask the node's daemon to initialise it (see node init)")
	f.Var(&maxTotal, "max-total", "limit the node's size to `SIZE` GiB")
	f.Var(&minAvail, "min-avail", "keep at least `SIZE` GiB free on the node (default 0)")
	return cmd
}

// checkNodeNumbers applies the range rules of node create and modify to
// the numeric options, in alpenhorn's order. The upper limits are those of
// the MySQL columns (INTEGER, FLOAT), which refuse larger values.
func checkNodeNumbers(cmd *cobra.Command, maxTotal *floatValue, autoVerify *intValue, minAvail *floatValue) error {
	if maxTotal.set && maxTotal.v <= 0 {
		return usageErrorf(cmd, "--max-total must be positive")
	}
	if autoVerify.set && autoVerify.v < 0 {
		return usageErrorf(cmd, "--auto-verify must be non-negative")
	}
	if minAvail.set && minAvail.v < 0 {
		return usageErrorf(cmd, "--min-avail must be non-negative")
	}
	switch {
	case maxTotal.set && !storableGB(maxTotal.v):
		return usageErrorf(cmd, "--max-total is out of range")
	case autoVerify.set && autoVerify.v > math.MaxInt32:
		return usageErrorf(cmd, "--auto-verify is out of range")
	case minAvail.set && !storableGB(minAvail.v):
		return usageErrorf(cmd, "--min-avail is out of range")
	}
	return nil
}

// storableGB reports whether a size in GiB fits a single-precision column.
func storableGB(v float64) bool { return !math.IsNaN(v) && math.Abs(v) <= math.MaxFloat32 }

// checkNodeStrings refuses names and fields too long for their columns.
func checkNodeStrings(name string, loc *nodeLocation, class *stringValue) error {
	if err := db.CheckLength("node name", name, db.MaxNodeName); err != nil {
		return err
	}
	if err := loc.checkLengths(); err != nil {
		return err
	}
	return db.CheckLength("I/O class", class.v, db.MaxIOClass)
}

// storageTypeFlags are --archive, --field and --transport.
type storageTypeFlags struct{ archive, field, transport bool }

func (s *storageTypeFlags) flags(cmd *cobra.Command, fieldNote string) {
	cmd.Flags().BoolVar(&s.archive, "archive", false, "make the node an archive node")
	cmd.Flags().BoolVar(&s.field, "field", false, "make the node a field node, neither archive nor transport"+fieldNote)
	cmd.Flags().BoolVar(&s.transport, "transport", false, "make the node a transport node")
}

// value returns the storage type asked for, or "" when none was.
func (s *storageTypeFlags) value(cmd *cobra.Command) (db.StorageType, error) {
	if err := notBoth(cmd, "archive", s.archive, "field", s.field); err != nil {
		return "", err
	}
	if err := notBoth(cmd, "archive", s.archive, "transport", s.transport); err != nil {
		return "", err
	}
	if err := notBoth(cmd, "field", s.field, "transport", s.transport); err != nil {
		return "", err
	}
	switch {
	case s.archive:
		return db.StorageArchive, nil
	case s.transport:
		return db.StorageTransport, nil
	case s.field:
		return db.StorageField, nil
	}
	return "", nil
}
