package cli

import (
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// groupState is the state of a file in a storage group, with the name of
// the node that decides it.
type groupState = index.GroupFileState[string]

// nodeName is the node deciding s, or "-" when no copy is in the group.
func nodeName(s groupState) string {
	if s.Has == "" {
		return "-"
	}
	return s.Node
}

// groupWords names group-level states in file list and file show.
var groupWords = map[db.HasFile]string{
	db.HasYes:     "Present",
	db.HasMaybe:   "Suspect",
	db.HasCorrupt: "Corrupt",
	db.HasNo:      "Absent",
}

// byFile and byGroup key copy rows for index.FoldGroupStates.
func byFile(c index.PlacedCopy) int64  { return c.FileID }
func byGroup(c index.PlacedCopy) int64 { return c.GroupID }

// fileGroupState returns the state of one file in one group.
func fileGroupState(tx *gorm.DB, fileID, groupID int64) (groupState, error) {
	rows, err := index.FileGroupCopies(tx, fileID, groupID)
	var s groupState
	for _, r := range rows {
		s.Meet(r.HasFile, r.Node)
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
