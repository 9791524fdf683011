package cli

import (
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// copyStates is the set of --corrupt/--healthy/--missing/--suspect flags
// that select copies by state.
type copyStates struct {
	corrupt, healthy, missing, suspect bool
}

// where returns the SQL condition on the archivefilecopy rows called alias
// that the flags select (index.CopyStates.Where).
func (s copyStates) where(alias string) string {
	return index.CopyStates{Corrupt: s.corrupt, Healthy: s.healthy, Missing: s.missing, Suspect: s.suspect}.Where(alias)
}

// healthyCopy is the condition for a healthy copy: present and not released.
func healthyCopy(alias string) string { return index.HealthyCopy(alias) }

// groupState is the state of a file in a storage group: the best has_file
// among the file's copies on the group's nodes (Y, then M, then X), and the
// node holding that copy. The zero value means no copy is there.
type groupState struct {
	has  db.HasFile
	node string
}

// meet folds in the next copy, in row order: the first present copy wins
// outright, a later suspect copy replaces an earlier one, and a corrupt
// copy counts only while nothing better was met.
func (s *groupState) meet(has db.HasFile, node string) {
	switch {
	case s.has == db.HasYes:
	case has == db.HasYes, has == db.HasMaybe:
		s.has, s.node = has, node
	case has == db.HasCorrupt && s.has == "":
		s.has, s.node = has, node
	}
}

// state returns the group-level has_file value, N when nothing was met.
func (s groupState) state() db.HasFile {
	if s.has == "" {
		return db.HasNo
	}
	return s.has
}

// nodeName is the providing node, or "-" when there is none.
func (s groupState) nodeName() string {
	if s.has == "" {
		return "-"
	}
	return s.node
}

// groupWords names group-level states in file list and file show.
var groupWords = map[db.HasFile]string{
	db.HasYes:     "Present",
	db.HasMaybe:   "Suspect",
	db.HasCorrupt: "Corrupt",
	db.HasNo:      "Absent",
}

// groupCopy is one copy row seen from its group.
type groupCopy struct {
	FileID  int64
	GroupID int64
	HasFile db.HasFile
	Node    string
}

func (c groupCopy) file() int64  { return c.FileID }
func (c groupCopy) group() int64 { return c.GroupID }

// foldStates folds copy rows, in row order, into states keyed by key (the
// file or the group of a row), and lists the keys in the order first met.
func foldStates(rows []groupCopy, key func(groupCopy) int64) (map[int64]*groupState, []int64) {
	states := map[int64]*groupState{}
	var order []int64
	for _, r := range rows {
		k := key(r)
		s := states[k]
		if s == nil {
			s = &groupState{}
			states[k] = s
			order = append(order, k)
		}
		s.meet(r.HasFile, r.Node)
	}
	return states, order
}

// groupCopies returns the copy rows matching cond (on the archivefilecopy
// alias c and the storagenode alias n) in row order, with their groups.
func groupCopies(tx *gorm.DB, cond string, args ...any) ([]groupCopy, error) {
	rows, err := index.NodeCopies(tx, cond, args...)
	out := make([]groupCopy, len(rows))
	for i, r := range rows {
		out[i] = groupCopy(r)
	}
	return out, err
}

// fileGroupState returns the state of one file in one group.
func fileGroupState(tx *gorm.DB, fileID, groupID int64) (groupState, error) {
	rows, err := index.FileGroupCopies(tx, fileID, groupID)
	var s groupState
	for _, r := range rows {
		s.meet(r.HasFile, r.Node)
	}
	return s, err
}

// resolveCopy resolves an ACQ/FILE path and a node name, and finds the
// file's copy on the node: nil when there is none.
func resolveCopy(d *db.DB, tx *gorm.DB, path, nodeName string) (*db.ArchiveFile, *db.StorageNode, *db.ArchiveFileCopy, error) {
	file, err := resolveFile(d, tx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	node, err := resolveNode(d, tx, nodeName, "no such node: %s")
	if err != nil {
		return nil, nil, nil, err
	}
	cp, err := index.CopyOn(tx, file.ID, node.ID)
	return file, node, cp, err
}

// nounFor picks the singular or plural form of a word for a count.
func nounFor(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
