package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Name look-ups compare the way MySQL's default collation does, on every
// engine, so that the same names clash on SQLite as on MySQL.

// findNode returns the node called name, or nil.
func findNode(d *db.DB, tx *gorm.DB, name string) (*db.StorageNode, error) {
	var rows []db.StorageNode
	if err := tx.Where(d.NameEq("name"), name).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// findGroup returns the group called name, or nil.
func findGroup(d *db.DB, tx *gorm.DB, name string) (*db.StorageGroup, error) {
	var rows []db.StorageGroup
	if err := tx.Where(d.NameEq("name"), name).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// findAcq returns the acquisition called name, or nil.
func findAcq(d *db.DB, tx *gorm.DB, name string) (*db.ArchiveAcq, error) {
	var rows []db.ArchiveAcq
	if err := tx.Where(d.NameEq("name"), name).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// resolveNode looks a node up, failing with notFound (a format taking the
// name, e.g. "no such node: %s": the wording differs between commands).
func resolveNode(d *db.DB, tx *gorm.DB, name, notFound string) (*db.StorageNode, error) {
	n, err := findNode(d, tx, name)
	if err == nil && n == nil {
		err = fmt.Errorf(notFound, name)
	}
	return n, err
}

// resolveGroup looks a group up, failing with notFound.
func resolveGroup(d *db.DB, tx *gorm.DB, name, notFound string) (*db.StorageGroup, error) {
	g, err := findGroup(d, tx, name)
	if err == nil && g == nil {
		err = fmt.Errorf(notFound, name)
	}
	return g, err
}

// resolveAcq looks an acquisition up, failing with notFound.
func resolveAcq(d *db.DB, tx *gorm.DB, name, notFound string) (*db.ArchiveAcq, error) {
	acq, err := findAcq(d, tx, name)
	if err == nil && acq == nil {
		err = fmt.Errorf(notFound, name)
	}
	return acq, err
}

// resolveNodes resolves a list of names in order, collapsing duplicates.
func resolveNodes(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.StorageNode, error) {
	var out []*db.StorageNode
	seen := map[int64]bool{}
	for _, name := range names {
		n, err := resolveNode(d, tx, name, notFound)
		if err != nil {
			return nil, err
		}
		if !seen[n.ID] {
			seen[n.ID] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// resolveGroups resolves a list of names in order, collapsing duplicates.
func resolveGroups(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.StorageGroup, error) {
	var out []*db.StorageGroup
	seen := map[int64]bool{}
	for _, name := range names {
		g, err := resolveGroup(d, tx, name, notFound)
		if err != nil {
			return nil, err
		}
		if !seen[g.ID] {
			seen[g.ID] = true
			out = append(out, g)
		}
	}
	return out, nil
}

// resolveAcqs resolves a list of acquisition names in order, collapsing duplicates.
func resolveAcqs(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.ArchiveAcq, error) {
	var out []*db.ArchiveAcq
	seen := map[int64]bool{}
	for _, name := range names {
		acq, err := resolveAcq(d, tx, name, notFound)
		if err != nil {
			return nil, err
		}
		if !seen[acq.ID] {
			seen[acq.ID] = true
			out = append(out, acq)
		}
	}
	return out, nil
}

// normalisePath normalises an ACQ/FILE path lexically as POSIX does,
// keeping "..", so that error messages show what was looked up. The empty
// path becomes ".", as in alpenhorn's messages ("No such file: .").
func normalisePath(p string) string {
	abs := strings.HasPrefix(p, "/")
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." {
			continue
		}
		parts = append(parts, c)
	}
	out := strings.Join(parts, "/")
	if abs {
		return "/" + out
	}
	if out == "" {
		return "."
	}
	return out
}

// findFile resolves a normalised ACQ/FILE path, trying the longest
// acquisition name first, as both parts may contain "/". It returns nil
// when nothing matches; absolute paths and paths without "/" never match.
func findFile(d *db.DB, tx *gorm.DB, p string) (*db.ArchiveFile, error) {
	if strings.HasPrefix(p, "/") || !strings.Contains(p, "/") {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	for i := len(parts) - 1; i >= 1; i-- {
		acqName, fileName := strings.Join(parts[:i], "/"), strings.Join(parts[i:], "/")
		var rows []db.ArchiveFile
		err := tx.Joins("Acq").Where("archivefile.name = ? AND "+d.NameEq("Acq.name"), fileName, acqName).Limit(1).Find(&rows).Error
		if err != nil {
			return nil, err
		}
		if len(rows) > 0 {
			return &rows[0], nil
		}
	}
	return nil, nil
}

// resolveFile resolves an ACQ/FILE argument or fails with "No such file".
func resolveFile(d *db.DB, tx *gorm.DB, p string) (*db.ArchiveFile, error) {
	p = normalisePath(p)
	f, err := findFile(d, tx, p)
	if err == nil && f == nil {
		err = fmt.Errorf("No such file: %s", p)
	}
	return f, err
}

// fileList is the content of a -F/--file-list option, read before any
// look-up so that stdin is consumed once.
type fileList struct {
	source string // as given to -F, or "stdin"
	lines  []fileListLine
	given  bool
}

type fileListLine struct {
	n    int
	text string
}

// readFileList reads a file list: lines starting with '#' are comments,
// blank lines are skipped, the rest is trimmed.
func (a *App) readFileList(name string) (*fileList, error) {
	fl := &fileList{source: name, given: name != ""}
	if name == "" {
		return fl, nil
	}
	var r io.Reader
	if name == "-" {
		fl.source = "stdin"
		r = a.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("error reading %s: %v", name, err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line = strings.TrimSpace(line); line != "" {
			fl.lines = append(fl.lines, fileListLine{n, line})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("error reading %s: %v", name, err)
	}
	return fl, nil
}

// resolve turns the list into file ids. Absolute lines under root (when
// non-nil) are made relative to it first. The first unknown line fails.
func (fl *fileList) resolve(d *db.DB, tx *gorm.DB, root *string) (map[int64]bool, error) {
	ids := map[int64]bool{}
	for _, l := range fl.lines {
		p := normalisePath(l.text)
		if root != nil && strings.HasPrefix(p, "/") {
			r := normalisePath(*root)
			if rel, ok := underRoot(r, p); ok {
				p = rel
			}
		}
		f, err := findFile(d, tx, p)
		if err != nil {
			return nil, err
		}
		if f == nil {
			return nil, fmt.Errorf("No such file on line %d of %s: %s", l.n, fl.source, p)
		}
		ids[f.ID] = true
	}
	return ids, nil
}

// underRoot is a lexical, component-wise prefix test on normalised paths.
// The rest keeps its "..": cleaning it away would let a line such as
// "/root/x/../acq/file" name a file its text does not spell.
func underRoot(root, p string) (string, bool) {
	if root == "/" {
		return strings.TrimPrefix(p, "/"), true
	}
	if strings.HasPrefix(p, root+"/") {
		return strings.TrimPrefix(p, root+"/"), true
	}
	return "", false
}
