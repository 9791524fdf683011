package index

import (
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// The catalogue of the data index: groups, nodes, acquisitions and files,
// looked up by name, created, renamed and modified. Every function works
// in tx, a session or a transaction of the caller; d gives the engine.

// FindByName returns the row of T's table (a group, node or acquisition)
// called name, or nil. Names compare the way MySQL's default collation
// does, on every engine (case-insensitively), so that the same names clash
// on SQLite as on MySQL.
func FindByName[T any](d *db.DB, tx *gorm.DB, name string) (*T, error) {
	var rows []T
	if err := tx.Where(d.NameEq("name"), name).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// FindFilesByPath looks up normalised ACQ/FILE paths, in two queries, and
// returns each path's file (with its acquisition), nil for none. Both
// parts may contain "/": the longest acquisition name that is a proper
// prefix of the path and holds the rest as a file wins. Absolute paths and
// paths without "/" never match. Acquisition names compare as FindByName
// does; file names as the engine's column compares them (exactly on
// SQLite, case-insensitively on MySQL).
func FindFilesByPath(d *db.DB, tx *gorm.DB, paths []string) ([]*db.ArchiveFile, error) {
	acqFold, fileFold := foldASCII, func(s string) string { return s }
	if d.Engine == db.MySQL {
		acqFold, fileFold = strings.ToLower, strings.ToLower
	}
	acqNames := map[string]bool{}
	for _, p := range paths {
		for _, sp := range splitPath(p) {
			acqNames[sp[0]] = true
		}
	}
	out := make([]*db.ArchiveFile, len(paths))
	if len(acqNames) == 0 {
		return out, nil
	}
	var acqs []db.ArchiveAcq
	if err := tx.Where(d.NameIn("name"), slices.Collect(maps.Keys(acqNames))).Find(&acqs).Error; err != nil {
		return nil, err
	}
	acqIDs := map[string]int64{}
	byID := map[int64]*db.ArchiveAcq{}
	for i, a := range acqs {
		acqIDs[acqFold(a.Name)] = a.ID
		byID[a.ID] = &acqs[i]
	}
	fileNames := map[string]bool{}
	var ids []int64
	for _, p := range paths {
		for _, sp := range splitPath(p) {
			if id, ok := acqIDs[acqFold(sp[0])]; ok {
				fileNames[sp[1]] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	type key struct {
		acq  int64
		name string
	}
	var files []db.ArchiveFile
	if err := tx.Where("acq_id IN ? AND name IN ?", ids, slices.Collect(maps.Keys(fileNames))).Find(&files).Error; err != nil {
		return nil, err
	}
	byKey := map[key]*db.ArchiveFile{}
	for i := range files {
		files[i].Acq = byID[files[i].AcqID]
		byKey[key{files[i].AcqID, fileFold(files[i].Name)}] = &files[i]
	}
	for i, p := range paths {
		for _, sp := range splitPath(p) {
			if f := byKey[key{acqIDs[acqFold(sp[0])], fileFold(sp[1])}]; f != nil {
				out[i] = f
				break
			}
		}
	}
	return out, nil
}

// splitPath returns the ways to read a normalised path as ACQ/FILE, the
// longest acquisition first; none for a path FindFilesByPath refuses.
func splitPath(p string) [][2]string {
	if strings.HasPrefix(p, "/") || !strings.Contains(p, "/") {
		return nil
	}
	parts := strings.Split(p, "/")
	out := make([][2]string, 0, len(parts)-1)
	for i := len(parts) - 1; i >= 1; i-- {
		out = append(out, [2]string{strings.Join(parts[:i], "/"), strings.Join(parts[i:], "/")})
	}
	return out
}

// foldASCII folds case as SQLite's NOCASE collation does: ASCII letters
// only.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// FindFileInAcq returns the file of an acquisition called name, as the
// engine's column compares names, or nil.
func FindFileInAcq(tx *gorm.DB, acqID int64, name string) (*db.ArchiveFile, error) {
	var files []db.ArchiveFile
	if err := tx.Where("acq_id = ? AND name = ?", acqID, name).Limit(1).Find(&files).Error; err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	return &files[0], nil
}

// CreateGroup records a new group; its id is filled in.
func CreateGroup(tx *gorm.DB, g *db.StorageGroup) error { return tx.Create(g).Error }

// CreateNode records a new node (not its Group); its id is filled in.
func CreateNode(tx *gorm.DB, n *db.StorageNode) error { return tx.Omit("Group").Create(n).Error }

// CreateAcq records a new acquisition called name.
func CreateAcq(tx *gorm.DB, name string) (*db.ArchiveAcq, error) {
	acq := &db.ArchiveAcq{Name: name}
	return acq, tx.Create(acq).Error
}

// CreateFile registers a new file (not its Acq); its id is filled in.
func CreateFile(tx *gorm.DB, f *db.ArchiveFile) error { return tx.Omit("Acq").Create(f).Error }

// Rename renames the row of T's table (a group or a node) with the given
// id.
func Rename[T any](tx *gorm.DB, id int64, name string) error {
	return tx.Model(new(T)).Where("id = ?", id).Update("name", name).Error
}

// Modify writes updates (column to value) to the row of T's table with
// the given id, and only those columns.
func Modify[T any](tx *gorm.DB, id int64, updates map[string]any) error {
	return tx.Model(new(T)).Where("id = ?", id).Updates(updates).Error
}

// DeactivateNode marks a node inactive and reports whether it was active.
func DeactivateNode(tx *gorm.DB, id int64) (bool, error) {
	res := tx.Model(&db.StorageNode{}).Where("id = ? AND active <> ?", id, false).Update("active", false)
	return res.RowsAffected > 0, res.Error
}

// ReverifyFile asks for the copies of a file to be checked again after its
// record changed: present and corrupt copies not released for removal
// become suspect ('M'). Copies already suspect are left alone, and not
// counted in the number returned.
func ReverifyFile(tx *gorm.DB, fileID int64) (int64, error) {
	res := tx.Model(&db.ArchiveFileCopy{}).
		Where("file_id = ? AND has_file <> 'N' AND wants_file <> 'N' AND has_file <> 'M'", fileID).
		Update("has_file", db.HasMaybe)
	return res.RowsAffected, res.Error
}

// RecordVerifiedCopy records that a file verified on a node is there:
// its copy, created unless it exists, becomes present, wanted and ready,
// with allocated size alloc.
func RecordVerifiedCopy(tx *gorm.DB, fileID, nodeID, alloc int64) error {
	now := db.Now()
	var copies []db.ArchiveFileCopy
	if err := tx.Where("file_id = ? AND node_id = ?", fileID, nodeID).Limit(1).Find(&copies).Error; err != nil {
		return err
	}
	if len(copies) > 0 {
		return tx.Model(&db.ArchiveFileCopy{}).Where("id = ?", copies[0].ID).Updates(map[string]any{
			"has_file": db.HasYes, "wants_file": db.WantYes, "ready": true, "size_b": alloc, "last_update": now}).Error
	}
	return tx.Create(&db.ArchiveFileCopy{FileID: fileID, NodeID: nodeID, HasFile: db.HasYes, WantsFile: db.WantYes,
		Ready: true, SizeB: &alloc, LastUpdate: now}).Error
}

// MarkUnavailable clears the ready bit of the given copies, which is how
// the base schema says a copy cannot serve as a source, and returns how
// many changed. has_file stays 'Y': the bytes are still on the device
// (a sneakernet transport node's), and the copies must stay selectable
// for its clean-up.
func MarkUnavailable(tx *gorm.DB, copyIDs []int64) (int64, error) {
	return execByIDs(tx, "UPDATE archivefilecopy SET ready = 0 WHERE ready <> 0 AND id IN ?", copyIDs)
}
