package db

// The models mirror the Python alpenhorn's data index column for column.
// Nullable columns are pointers. No gorm defaults or magic fields: every
// application default is filled in by the code that creates a row, because
// the schema has no SQL DEFAULTs.

// StorageGroup is a set of nodes that a file is copied to as a unit.
type StorageGroup struct {
	ID       int64   `gorm:"column:id;primaryKey"`
	Name     string  `gorm:"column:name"`
	IOClass  *string `gorm:"column:io_class"`
	Notes    *string `gorm:"column:notes"`
	IOConfig *string `gorm:"column:io_config"`
}

func (StorageGroup) TableName() string { return "storagegroup" }

// StorageNode is a storage location (a directory tree on one host).
type StorageNode struct {
	ID                 int64       `gorm:"column:id;primaryKey"`
	Name               string      `gorm:"column:name"`
	Root               *string     `gorm:"column:root"`
	Host               *string     `gorm:"column:host"`
	Username           *string     `gorm:"column:username"`
	Address            *string     `gorm:"column:address"`
	IOClass            *string     `gorm:"column:io_class"`
	GroupID            int64       `gorm:"column:group_id"`
	Active             bool        `gorm:"column:active"`
	AutoImport         bool        `gorm:"column:auto_import"`
	AutoVerify         int64       `gorm:"column:auto_verify"`
	StorageType        StorageType `gorm:"column:storage_type"`
	MaxTotalGB         *float64    `gorm:"column:max_total_gb"`
	MinAvailGB         float64     `gorm:"column:min_avail_gb"`
	AvailGB            *float64    `gorm:"column:avail_gb"`
	AvailGBLastChecked *Time       `gorm:"column:avail_gb_last_checked"`
	Notes              *string     `gorm:"column:notes"`
	IOConfig           *string     `gorm:"column:io_config"`

	Group *StorageGroup `gorm:"foreignKey:GroupID"`
}

func (StorageNode) TableName() string { return "storagenode" }

// Archive reports whether the node is an archive node.
func (n *StorageNode) Archive() bool { return n.StorageType == StorageArchive }

// UnderMin reports whether the node's last known free space is below its minimum.
func (n *StorageNode) UnderMin() bool { return n.AvailGB != nil && *n.AvailGB < n.MinAvailGB }

// StorageTransferAction is an auto-action edge from a node to a group.
type StorageTransferAction struct {
	ID         int64 `gorm:"column:id;primaryKey"`
	NodeFromID int64 `gorm:"column:node_from_id"`
	GroupToID  int64 `gorm:"column:group_to_id"`
	Autosync   bool  `gorm:"column:autosync"`
	Autoclean  bool  `gorm:"column:autoclean"`
}

func (StorageTransferAction) TableName() string { return "storagetransferaction" }

// ArchiveAcq is an acquisition: a directory of files relative to node roots.
type ArchiveAcq struct {
	ID      int64   `gorm:"column:id;primaryKey"`
	Name    string  `gorm:"column:name"`
	Comment *string `gorm:"column:comment"`
}

func (ArchiveAcq) TableName() string { return "archiveacq" }

// ArchiveFile is a file within an acquisition.
type ArchiveFile struct {
	ID         int64   `gorm:"column:id;primaryKey"`
	AcqID      int64   `gorm:"column:acq_id"`
	Name       string  `gorm:"column:name"`
	SizeB      *int64  `gorm:"column:size_b"`
	MD5Sum     *string `gorm:"column:md5sum"`
	Registered Time    `gorm:"column:registered"`

	Acq *ArchiveAcq `gorm:"foreignKey:AcqID"`
}

func (ArchiveFile) TableName() string { return "archivefile" }

// Path is the file's path relative to a node root, "acq/name"; Acq must be
// loaded.
func (f *ArchiveFile) Path() string { return f.Acq.Name + "/" + f.Name }

// ArchiveFileCopy is a file's copy on a node.
type ArchiveFileCopy struct {
	ID         int64     `gorm:"column:id;primaryKey"`
	FileID     int64     `gorm:"column:file_id"`
	NodeID     int64     `gorm:"column:node_id"`
	HasFile    HasFile   `gorm:"column:has_file"`
	WantsFile  WantsFile `gorm:"column:wants_file"`
	Ready      bool      `gorm:"column:ready"`
	SizeB      *int64    `gorm:"column:size_b"`
	LastUpdate Time      `gorm:"column:last_update"`

	File *ArchiveFile `gorm:"foreignKey:FileID"`
	Node *StorageNode `gorm:"foreignKey:NodeID"`
}

func (ArchiveFileCopy) TableName() string { return "archivefilecopy" }

// State is the copy's human-readable state.
func (c *ArchiveFileCopy) State() string { return CopyState(c.HasFile, c.WantsFile) }

// ArchiveFileCopyRequest asks for a file on a node to be copied into a group.
type ArchiveFileCopyRequest struct {
	ID                int64 `gorm:"column:id;primaryKey"`
	FileID            int64 `gorm:"column:file_id"`
	GroupToID         int64 `gorm:"column:group_to_id"`
	NodeFromID        int64 `gorm:"column:node_from_id"`
	Completed         bool  `gorm:"column:completed"`
	Cancelled         bool  `gorm:"column:cancelled"`
	Timestamp         *Time `gorm:"column:timestamp"`
	TransferStarted   *Time `gorm:"column:transfer_started"`
	TransferCompleted *Time `gorm:"column:transfer_completed"`

	File     *ArchiveFile  `gorm:"foreignKey:FileID"`
	GroupTo  *StorageGroup `gorm:"foreignKey:GroupToID"`
	NodeFrom *StorageNode  `gorm:"foreignKey:NodeFromID"`
}

func (ArchiveFileCopyRequest) TableName() string { return "archivefilecopyrequest" }

// NodeInitPath is the import-request path that asks a daemon to initialise a node.
const NodeInitPath = "ALPENHORN_NODE"

// ArchiveFileImportRequest asks a daemon to import a path (or init a node).
type ArchiveFileImportRequest struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	NodeID    int64  `gorm:"column:node_id"`
	Path      string `gorm:"column:path"`
	Recurse   bool   `gorm:"column:recurse"`
	Register  bool   `gorm:"column:register"`
	Completed bool   `gorm:"column:completed"`
	Timestamp *Time  `gorm:"column:timestamp"`

	Node *StorageNode `gorm:"foreignKey:NodeID"`
}

func (ArchiveFileImportRequest) TableName() string { return "archivefileimportrequest" }

// DataIndexVersion records the schema version of a component.
type DataIndexVersion struct {
	ID        int64  `gorm:"column:id;primaryKey"`
	Component string `gorm:"column:component"`
	Version   int64  `gorm:"column:version"`
}

func (DataIndexVersion) TableName() string { return "dataindexversion" }
