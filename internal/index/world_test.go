package index_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// world is a small data index that conformance tests build up row by row.
type world struct {
	t      *testing.T
	d      *db.DB
	groups map[string]*db.StorageGroup
	nodes  map[string]*db.StorageNode
	files  map[string]*db.ArchiveFile
	acq    *db.ArchiveAcq
}

// newWorld initialises a fresh data index at url with one acquisition,
// "acq".
func newWorld(t *testing.T, url string) *world {
	t.Helper()
	w := &world{t: t, d: testdb.Initialised(t, url), groups: map[string]*db.StorageGroup{},
		nodes: map[string]*db.StorageNode{}, files: map[string]*db.ArchiveFile{}}
	w.acq = &db.ArchiveAcq{Name: "acq"}
	w.must(w.d.Gorm.Create(w.acq).Error)
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// group returns the group called name, creating it on first use.
func (w *world) group(name string) *db.StorageGroup {
	w.t.Helper()
	if g := w.groups[name]; g != nil {
		return g
	}
	g := &db.StorageGroup{Name: name}
	w.must(w.d.Gorm.Create(g).Error)
	w.groups[name] = g
	return g
}

// node creates an active node of the given type in group, rooted at
// /name.
func (w *world) node(name, group string, kind db.StorageType) *db.StorageNode {
	w.t.Helper()
	root := "/" + name
	n := &db.StorageNode{Name: name, GroupID: w.group(group).ID, StorageType: kind, Active: true, Root: &root}
	w.must(w.d.Gorm.Omit("Group").Create(n).Error)
	n.Group = w.groups[group]
	w.nodes[name] = n
	return n
}

// file registers acq/name with a size and MD5.
func (w *world) file(name string) *db.ArchiveFile {
	w.t.Helper()
	size, md5 := int64(len(name)), "d41d8cd98f00b204e9800998ecf8427e"
	f := &db.ArchiveFile{AcqID: w.acq.ID, Name: name, SizeB: &size, MD5Sum: &md5, Registered: db.Now()}
	w.must(w.d.Gorm.Omit("Acq").Create(f).Error)
	f.Acq = w.acq
	w.files[name] = f
	return f
}

// copy records file's copy on node with the given states.
func (w *world) copy(file, node string, has db.HasFile, wants db.WantsFile) *db.ArchiveFileCopy {
	w.t.Helper()
	f, n := w.files[file], w.nodes[node]
	c := &db.ArchiveFileCopy{FileID: f.ID, NodeID: n.ID, HasFile: has, WantsFile: wants, Ready: true, SizeB: f.SizeB, LastUpdate: db.Now()}
	w.must(w.d.Gorm.Omit("File", "Node").Create(c).Error)
	c.File = f
	return c
}

// state returns file's copy state on node as has_file/wants_file ("-"
// without a copy row).
func (w *world) state(file, node string) string {
	w.t.Helper()
	var cs []db.ArchiveFileCopy
	w.must(w.d.Gorm.Where("file_id = ? AND node_id = ?", w.files[file].ID, w.nodes[node].ID).Find(&cs).Error)
	if len(cs) == 0 {
		return "-"
	}
	return string(cs[0].HasFile) + "/" + string(cs[0].WantsFile)
}

// request records a copy request of file from node into group.
func (w *world) request(file, from, group string) *db.ArchiveFileCopyRequest {
	w.t.Helper()
	r := &db.ArchiveFileCopyRequest{FileID: w.files[file].ID, NodeFromID: w.nodes[from].ID, GroupToID: w.group(group).ID, Timestamp: db.TimePtr(db.Now())}
	w.must(w.d.Gorm.Omit("File", "GroupTo", "NodeFrom").Create(r).Error)
	return r
}

// engines runs f on a fresh world on each engine.
func engines(t *testing.T, f func(t *testing.T, w *world)) {
	testdb.Engines(t, func(t *testing.T, url string) { f(t, newWorld(t, url)) })
}

// clusterEngines is engines, and then a run on a fresh world on the test
// Galera cluster (through its node 0), for the rules that must hold there
// too.
func clusterEngines(t *testing.T, f func(t *testing.T, w *world)) {
	engines(t, f)
	t.Run("galera", func(t *testing.T) { f(t, newWorld(t, testdb.Galera(t).URL(0))) })
}
