package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
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
		var u copyUpdate
		readyLeft := ready
		if set != "" {
			s, ok := settableStates[strings.ToLower(set)]
			if !ok {
				return usageErrorf(cmd, "invalid state for --set: %s", set)
			}
			u.has = &s.has
			if s.wants != "" {
				u.wants = &s.wants
			}
			if ready {
				if s.has != db.HasYes {
					return errNotReadyable
				}
				on := true
				u.ready = &on
				readyLeft = false
			}
		}
		return a.write(cmd, func(d *db.DB, tx *gorm.DB) (string, error) {
			return u.apply(d, tx, path, nodeName, readyLeft, unready)
		})
	})
	cmd.Flags().StringVar(&set, "set", "", "record `STATE` (healthy, suspect, corrupt, missing or absent)")
	cmd.Flags().BoolVar(&ready, "ready", false, "set the copy's ready bit")
	cmd.Flags().BoolVar(&unready, "unready", false, "clear the copy's ready bit")
	return cmd
}

// copyUpdate is the change file state makes; nil fields stay as they are.
type copyUpdate struct {
	has   *db.HasFile
	wants *db.WantsFile
	ready *bool
}

// apply records the update on the copy of the file on the node and
// returns the message to print. ready and unready are the ready-bit flags
// not already folded into u.
func (u copyUpdate) apply(d *db.DB, tx *gorm.DB, path, nodeName string, ready, unready bool) (string, error) {
	file, node, cp, err := resolveCopy(d, tx, path, nodeName)
	if err != nil {
		return "", err
	}
	// A copy recorded as present must be wanted; one merely removable stays so.
	if u.has != nil && *u.has != db.HasNo && (cp == nil || cp.WantsFile == db.WantNo) {
		yes := db.WantYes
		u.wants = &yes
	}
	switch {
	case ready:
		if cp == nil || cp.HasFile != db.HasYes {
			return "", errNotReadyable
		}
		on := true
		u.ready = &on
	case unready:
		no := false
		u.ready = &no
	}
	if cp == nil {
		if u.has == nil || (*u.has == db.HasNo && *u.wants == db.WantNo) {
			return "No change.", nil
		}
		row := db.ArchiveFileCopy{FileID: file.ID, NodeID: node.ID, HasFile: *u.has, WantsFile: *u.wants, LastUpdate: db.Now()}
		if u.ready != nil {
			row.Ready = *u.ready
		}
		return "State updated.", tx.Create(&row).Error
	}
	// Only a real change counts, as MySQL reports it.
	set := map[string]any{}
	if u.has != nil {
		set["has_file"] = *u.has
	}
	if u.wants != nil {
		set["wants_file"] = *u.wants
	}
	if u.ready != nil {
		set["ready"] = *u.ready
	}
	var differs []string
	var args []any
	for col, v := range set {
		differs = append(differs, col+" <> ?")
		args = append(args, v)
	}
	res := tx.Model(&db.ArchiveFileCopy{}).
		Where("id = ?", cp.ID).
		Where(strings.Join(differs, " OR "), args...).
		Updates(set)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 {
		return "No change.", nil
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
