package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// resolveNamed looks a row up by name, failing with notFound (a format
// taking the name, e.g. "no such node: %s": the wording differs between
// commands).
func resolveNamed[T any](d *db.DB, tx *gorm.DB, name, notFound string) (*T, error) {
	row, err := index.FindByName[T](d, tx, name)
	if err == nil && row == nil {
		err = fmt.Errorf(notFound, name)
	}
	return row, err
}

// refuseTaken fails with taken (a format taking the name) when T's table
// already has a row called name.
func refuseTaken[T any](d *db.DB, tx *gorm.DB, name, taken string) error {
	row, err := index.FindByName[T](d, tx, name)
	if err == nil && row != nil {
		err = fmt.Errorf(taken, name)
	}
	return err
}

// resolveAllNamed resolves a list of names in order, collapsing
// duplicates; id gives a row's key.
func resolveAllNamed[T any](d *db.DB, tx *gorm.DB, names []string, notFound string, id func(*T) int64) ([]*T, error) {
	var out []*T
	seen := map[int64]bool{}
	for _, name := range names {
		row, err := resolveNamed[T](d, tx, name, notFound)
		if err != nil {
			return nil, err
		}
		if !seen[id(row)] {
			seen[id(row)] = true
			out = append(out, row)
		}
	}
	return out, nil
}

// keys lists the keys of rows, in order.
func keys[T any](rows []*T, id func(*T) int64) []int64 {
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = id(row)
	}
	return out
}

func nodeID(n *db.StorageNode) int64   { return n.ID }
func groupID(g *db.StorageGroup) int64 { return g.ID }
func acqID(a *db.ArchiveAcq) int64     { return a.ID }

// The look-ups of nodes, groups and acquisitions by name.
var (
	resolveNode  = resolveNamed[db.StorageNode]
	resolveGroup = resolveNamed[db.StorageGroup]
	resolveAcq   = resolveNamed[db.ArchiveAcq]
)

func resolveNodes(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.StorageNode, error) {
	return resolveAllNamed(d, tx, names, notFound, nodeID)
}

func resolveGroups(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.StorageGroup, error) {
	return resolveAllNamed(d, tx, names, notFound, groupID)
}

func resolveAcqs(d *db.DB, tx *gorm.DB, names []string, notFound string) ([]*db.ArchiveAcq, error) {
	return resolveAllNamed(d, tx, names, notFound, acqID)
}

func nodeIDs(nodes []*db.StorageNode) []int64    { return keys(nodes, nodeID) }
func groupIDs(groups []*db.StorageGroup) []int64 { return keys(groups, groupID) }
func acqIDs(acqs []*db.ArchiveAcq) []int64       { return keys(acqs, acqID) }

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

// resolveFile resolves an ACQ/FILE argument (see index.FindFilesByPath)
// or fails with "No such file".
func resolveFile(d *db.DB, tx *gorm.DB, p string) (*db.ArchiveFile, error) {
	p = normalisePath(p)
	files, err := index.FindFilesByPath(d, tx, []string{p})
	if err != nil {
		return nil, err
	}
	if files[0] == nil {
		return nil, fmt.Errorf("No such file: %s", p)
	}
	return files[0], nil
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
//
// Lines are looked up listChunk at a time, two queries a chunk, with
// index.FindFilesByPath's rule. A list of 100,000 files
// takes a few hundred queries instead of one or more per line.
func (fl *fileList) resolve(d *db.DB, tx *gorm.DB, root *string) (map[int64]bool, error) {
	ids := map[int64]bool{}
	paths := make([]string, len(fl.lines))
	for i, l := range fl.lines {
		p := normalisePath(l.text)
		if root != nil && strings.HasPrefix(p, "/") {
			r := normalisePath(*root)
			if rel, ok := underRoot(r, p); ok {
				p = rel
			}
		}
		paths[i] = p
	}
	for start := 0; start < len(paths); start += listChunk {
		chunk := paths[start:min(start+listChunk, len(paths))]
		found, err := index.FindFilesByPath(d, tx, chunk)
		if err != nil {
			return nil, err
		}
		for i, p := range chunk {
			if found[i] == nil {
				return nil, fmt.Errorf("No such file on line %d of %s: %s", fl.lines[start+i].n, fl.source, p)
			}
			ids[found[i].ID] = true
		}
	}
	return ids, nil
}

// listChunk is how many lines of a file list one look-up takes.
const listChunk = 200

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
