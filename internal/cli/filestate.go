package cli

import (
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// copyStates is the set of --corrupt/--healthy/--missing/--suspect flags
// that select copies by state.
type copyStates struct {
	corrupt, healthy, missing, suspect bool
}

// any reports whether at least one state flag was given.
func (s copyStates) any() bool { return s.corrupt || s.healthy || s.missing || s.suspect }

// where returns the SQL condition on the archivefilecopy rows called alias
// that the flags select, OR-ed together; no flag means healthy. Copies
// released for removal match none of the states.
func (s copyStates) where(alias string) string {
	if !s.any() {
		s.healthy = true
	}
	var terms []string
	add := func(on bool, has, wants string) {
		if on {
			terms = append(terms, "("+alias+".has_file = '"+has+"' AND "+alias+".wants_file "+wants+")")
		}
	}
	add(s.corrupt, "X", "<> 'N'")
	add(s.healthy, "Y", "<> 'N'")
	add(s.missing, "N", "= 'Y'")
	add(s.suspect, "M", "<> 'N'")
	return "(" + strings.Join(terms, " OR ") + ")"
}

// healthyCopy is the condition for a healthy copy: present and not released.
func healthyCopy(alias string) string { return copyStates{healthy: true}.where(alias) }

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
	var rows []groupCopy
	err := tx.Table("archivefilecopy AS c").
		Select("c.file_id AS file_id, n.group_id AS group_id, c.has_file AS has_file, n.name AS node").
		Joins("JOIN storagenode AS n ON n.id = c.node_id").
		Where(cond, args...).
		Order("c.id").
		Scan(&rows).Error
	return rows, err
}

// fileGroupState returns the state of one file in one group.
func fileGroupState(tx *gorm.DB, fileID, groupID int64) (groupState, error) {
	rows, err := groupCopies(tx, "c.file_id = ? AND n.group_id = ?", fileID, groupID)
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
	cp, err := copyOn(tx, file.ID, node.ID)
	return file, node, cp, err
}

// copyOn returns the copy of a file on a node, or nil.
func copyOn(tx *gorm.DB, fileID, nodeID int64) (*db.ArchiveFileCopy, error) {
	var rows []db.ArchiveFileCopy
	err := tx.Where("file_id = ? AND node_id = ?", fileID, nodeID).Order("id").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// nounFor picks the singular or plural form of a word for a count.
func nounFor(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
