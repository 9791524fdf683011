package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileStateCommand) }

// errNotReadyable refuses to set the ready bit of a copy that is not there.
var errNotReadyable = errors.New("can't set ready bit: file not present.")

// settableStates are the --set words, with the has_file they record and,
// for the absent states, the wants_file that goes with it.
var settableStates = map[string]struct {
	has   db.HasFile
	wants db.WantsFile
}{
	"healthy": {db.HasYes, ""},
	"suspect": {db.HasMaybe, ""},
	"corrupt": {db.HasCorrupt, ""},
	"absent":  {db.HasNo, db.WantNo},
	"missing": {db.HasNo, db.WantYes},
}

func fileStateCommand(a *App) *cobra.Command {
	var set string
	var ready, unready bool
	cmd := leaf("state FILE NODE", "Show or change the recorded state of a file on a node", func(cmd *cobra.Command, args []string) error {
		path, nodeName := args[0], args[1]
		if set == "" && !ready && !unready {
			return a.reportFileState(cmd, path, nodeName)
		}
		if err := notBoth(cmd, "ready", ready, "unready", unready); err != nil {
			return err
		}
		var u index.CopyChange
		readyLeft := ready
		if set != "" {
			s, ok := settableStates[strings.ToLower(set)]
			if !ok {
				return usageErrorf(cmd, "invalid state for --set: %s", set)
			}
			u.Has = &s.has
			if s.wants != "" {
				u.Wants = &s.wants
			}
			if ready {
				if s.has != db.HasYes {
					return errNotReadyable
				}
				on := true
				u.Ready = &on
				readyLeft = false
			}
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			return applyCopyChange(d, tx, u, path, nodeName, readyLeft, unready)
		})
	})
	cmd.Flags().StringVar(&set, "set", "", "record `STATE` (healthy, suspect, corrupt, missing or absent)")
	cmd.Flags().BoolVar(&ready, "ready", false, "set the copy's ready bit")
	cmd.Flags().BoolVar(&unready, "unready", false, "clear the copy's ready bit")
	return cmd
}

// applyCopyChange records u on the copy of the file on the node and
// returns the message to print. ready and unready are the ready-bit flags
// not already folded into u.
func applyCopyChange(d *db.DB, tx *gorm.DB, u index.CopyChange, path, nodeName string, ready, unready bool) (string, error) {
	file, node, cp, err := resolveCopy(d, tx, path, nodeName)
	if err != nil {
		return "", err
	}
	switch {
	case ready:
		if cp == nil || cp.HasFile != db.HasYes {
			return "", errNotReadyable
		}
		on := true
		u.Ready = &on
	case unready:
		no := false
		u.Ready = &no
	}
	changed, err := index.RecordCopyState(tx, file.ID, node.ID, cp, u)
	if err != nil || !changed {
		return "No change.", err
	}
	return "State updated.", nil
}

// reportFileState prints the recorded state of a file on a node.
func (a *App) reportFileState(cmd *cobra.Command, path, nodeName string) error {
	d, g, err := a.read(cmd)
	if err != nil {
		return err
	}
	_, _, cp, err := resolveCopy(d, g, path, nodeName)
	if err != nil {
		return err
	}
	if a.json {
		return a.emit(copyStateDoc(path, nodeName, cp))
	}
	a.Echo("%s", copyStateWords(cp))
	return nil
}

// copyStateWords describes a copy as file state does: its presence first,
// then any cleaning request and the ready bit.
func copyStateWords(c *db.ArchiveFileCopy) string {
	if c == nil {
		return "Absent"
	}
	var words []string
	switch c.HasFile {
	case db.HasYes:
		words = append(words, "Healthy")
	case db.HasMaybe:
		words = append(words, "Suspect")
	case db.HasNo:
		if c.WantsFile == db.WantYes {
			return "Missing"
		}
		return "Absent"
	default:
		words = append(words, "Corrupt")
	}
	switch c.WantsFile {
	case db.WantNo:
		words = append(words, "Released")
	case db.WantMaybe:
		words = append(words, "Removable")
	}
	if c.Ready {
		words = append(words, "Ready")
	}
	return strings.Join(words, " ")
}
