package sneakernet

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// chunk bounds IN lists and multi-row inserts: long ones exceed SQLite's
// variable limit and slow MySQL's parser.
const chunk = 500

type manifestRow struct {
	ID          int64   `gorm:"column:id;primaryKey"`
	UUID        string  `gorm:"column:uuid"`
	NodeID      int64   `gorm:"column:node_id"`
	Destination *string `gorm:"column:destination"`
	Created     db.Time `gorm:"column:created"`
}

func (manifestRow) TableName() string { return "sneakernet_manifest" }

type manifestFileRow struct {
	ID          int64 `gorm:"column:id;primaryKey"`
	ManifestID  int64 `gorm:"column:manifest_id"`
	FileID      int64 `gorm:"column:file_id"`
	CopyID      int64 `gorm:"column:copy_id"`
	Unavailable bool  `gorm:"column:unavailable"`
}

func (manifestFileRow) TableName() string { return "sneakernet_manifest_file" }

type confirmationRow struct {
	ID         int64   `gorm:"column:id;primaryKey"`
	FileID     int64   `gorm:"column:file_id"`
	DataIndex  string  `gorm:"column:dataindex"`
	ManifestID int64   `gorm:"column:manifest_id"`
	Confirmed  db.Time `gorm:"column:confirmed"`
}

func (confirmationRow) TableName() string { return "sneakernet_confirmation" }

// Listed ties a manifest entry to the rows it was made from.
type Listed struct {
	FileID, CopyID int64
}

// RecordManifest records manifest m, written for node nodeID, and its
// entries (listed[i] is the source of m.Files[i]). With unavailable set,
// the entries are recorded as marked unavailable (see index.MarkUnavailable).
// progress, when not nil, is told how many entries are recorded after each
// batch of them.
func RecordManifest(tx *gorm.DB, m *Manifest, nodeID int64, listed []Listed, unavailable bool, progress func(done, total int)) error {
	if len(listed) != len(m.Files) {
		return fmt.Errorf("manifest %s: %d entries but %d sources", m.ID, len(m.Files), len(listed))
	}
	row := manifestRow{UUID: m.ID, NodeID: nodeID, Created: db.NewTime(m.Created)}
	if m.Destination != "" {
		row.Destination = &m.Destination
	}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	if len(listed) == 0 {
		return nil
	}
	rows := make([]manifestFileRow, len(listed))
	for i, l := range listed {
		rows[i] = manifestFileRow{ManifestID: row.ID, FileID: l.FileID, CopyID: l.CopyID, Unavailable: unavailable}
	}
	for start := 0; start < len(rows); start += chunk {
		end := min(start+chunk, len(rows))
		if err := tx.Create(rows[start:end]).Error; err != nil {
			return err
		}
		if progress != nil {
			progress(end, len(rows))
		}
	}
	return nil
}

// RecordedManifest is a manifest this data index wrote, as recorded.
type RecordedManifest struct {
	ID int64
	// Files maps each entry's path to its file as registered now.
	Files map[string]RecordedFile
}

// RecordedFile is a manifest entry's file.
type RecordedFile struct {
	FileID int64
	MD5    *string
}

// LoadManifest reads the manifest with the given ID and its entries, or
// returns nil when this data index recorded no such manifest.
func LoadManifest(tx *gorm.DB, uuid string) (*RecordedManifest, error) {
	var rows []manifestRow
	if err := tx.Where("uuid = ?", uuid).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	m := &RecordedManifest{ID: rows[0].ID, Files: map[string]RecordedFile{}}
	var files []struct {
		FileID  int64   `gorm:"column:file_id"`
		AcqName string  `gorm:"column:acq_name"`
		Name    string  `gorm:"column:name"`
		MD5     *string `gorm:"column:md5sum"`
	}
	err := tx.Raw(`SELECT mf.file_id, a.name AS acq_name, f.name, f.md5sum FROM sneakernet_manifest_file mf
 JOIN archivefile f ON f.id = mf.file_id JOIN archiveacq a ON a.id = f.acq_id WHERE mf.manifest_id = ?`, m.ID).Scan(&files).Error
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		m.Files[pathKey(f.AcqName, f.Name)] = RecordedFile{FileID: f.FileID, MD5: f.MD5}
	}
	return m, nil
}

// Confirm records that data index dataIndex holds the given files, as its
// receipt for manifest manifestID says, and returns how many were not
// recorded before.
func Confirm(tx *gorm.DB, manifestID int64, dataIndex string, fileIDs []int64) (int, error) {
	now := db.Now()
	added := 0
	for start := 0; start < len(fileIDs); start += chunk {
		ids := fileIDs[start:min(start+chunk, len(fileIDs))]
		var known []int64
		if err := tx.Raw(`SELECT file_id FROM sneakernet_confirmation WHERE dataindex = ? AND file_id IN ?`, dataIndex, ids).
			Scan(&known).Error; err != nil {
			return added, err
		}
		skip := make(map[int64]bool, len(known))
		for _, id := range known {
			skip[id] = true
		}
		var rows []confirmationRow
		for _, id := range ids {
			if !skip[id] {
				skip[id] = true
				rows = append(rows, confirmationRow{FileID: id, DataIndex: dataIndex, ManifestID: manifestID, Confirmed: now})
			}
		}
		if len(rows) == 0 {
			continue
		}
		if err := tx.Create(&rows).Error; err != nil {
			return added, err
		}
		added += len(rows)
	}
	return added, nil
}

// ConfirmedRemoteCopies returns, for each of the given files that another
// data index has confirmed holding, the number of such data indexes.
// Deletion guards add it to the file's archive copies, so that a copy on a
// transport node can be released once the data it carried is safe at the
// destination. A data index that has never used sneakernet has none; the
// call then only reads dataindexversion. tx may be a transaction or not.
func ConfirmedRemoteCopies(tx *gorm.DB, fileIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(fileIDs) == 0 {
		return out, nil
	}
	var versions []int64
	if err := tx.Raw(`SELECT version FROM dataindexversion WHERE component = ?`, Component).Scan(&versions).Error; err != nil {
		return nil, err
	}
	if len(versions) == 0 {
		return out, nil
	}
	if versions[0] != SchemaVersion {
		return nil, &db.VersionMismatchError{Component: Component, Wanted: SchemaVersion, Found: int(versions[0])}
	}
	for start := 0; start < len(fileIDs); start += chunk {
		var rows []struct {
			FileID int64 `gorm:"column:file_id"`
			N      int   `gorm:"column:n"`
		}
		err := tx.Raw(`SELECT file_id, COUNT(DISTINCT dataindex) AS n FROM sneakernet_confirmation WHERE file_id IN ? GROUP BY file_id`,
			fileIDs[start:min(start+chunk, len(fileIDs))]).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.FileID] = r.N
		}
	}
	return out, nil
}
