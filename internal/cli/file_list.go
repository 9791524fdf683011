package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

func init() { register("file", fileListCommand) }

// fileSet is a set of archive files, kept as an SQL condition on
// archivefile.id so that large sets never travel as id lists. A nil
// *fileSet means "no constraint of this kind".
type fileSet struct {
	cond string
	args []any
}

// onNode is the set of files with a copy on a node in the given state.
func filesOnNode(id int64, state string) *fileSet {
	return &fileSet{"archivefile.id IN (SELECT c.file_id FROM archivefilecopy AS c WHERE c.node_id = ? AND " + state + ")", []any{id}}
}

// inGroup is the set of files with a copy in a group in the given state.
func filesInGroup(id int64, state string) *fileSet {
	return &fileSet{"archivefile.id IN (SELECT c.file_id FROM archivefilecopy AS c JOIN storagenode AS n ON n.id = c.node_id WHERE n.group_id = ? AND " + state + ")", []any{id}}
}

// combineSets joins sets with "OR" (union) or "AND" (intersection); nil sets
// are skipped, and nothing left gives nil.
func combineSets(op string, sets ...*fileSet) *fileSet {
	var conds []string
	var args []any
	for _, s := range sets {
		if s != nil {
			conds = append(conds, "("+s.cond+")")
			args = append(args, s.args...)
		}
	}
	if len(conds) == 0 {
		return nil
	}
	return &fileSet{strings.Join(conds, " "+op+" "), args}
}

// without is s minus o.
func (s *fileSet) without(o *fileSet) *fileSet {
	return &fileSet{"(" + s.cond + ") AND NOT (" + o.cond + ")", append(append([]any{}, s.args...), o.args...)}
}

// complement is every file not in s.
func (s *fileSet) complement() *fileSet { return &fileSet{"NOT (" + s.cond + ")", s.args} }

// empty reports whether no file is in s.
func (s *fileSet) empty(g *gorm.DB) (bool, error) {
	var ids []int64
	err := g.Table("archivefile").Where(s.cond, s.args...).Limit(1).Pluck("archivefile.id", &ids).Error
	return len(ids) == 0, err
}

func fileListCommand(a *App) *cobra.Command {
	var absentGroups, absentNodes, acqNames, groupNames, nodeNames []string
	var all, details bool
	var from, to string
	var states copyStates
	cmd := leaf("list", "List files, optionally by where they are or are not", func(cmd *cobra.Command, args []string) error {
		if err := bothOrNeither(cmd, "from", from != "", "to", to != ""); err != nil {
			return err
		}
		for _, s := range []struct {
			name string
			on   bool
		}{{"corrupt", states.corrupt}, {"missing", states.missing}, {"healthy", states.healthy}, {"suspect", states.suspect}} {
			if s.on {
				if err := notBoth(cmd, "from", from != "", s.name, true); err != nil {
					return err
				}
				break
			}
		}
		if all && len(nodeNames)+len(groupNames)+len(absentNodes)+len(absentGroups) == 0 {
			return usageErrorf(cmd, "--all cannot be used without a location constraint (one or more of --absent-group, --absent-node, --group, --node)")
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		l := &fileListing{all: all, state: states.where("c")}
		if l.absentNodes, err = resolveNodes(d, g, absentNodes, "no such node: %s"); err != nil {
			return err
		}
		if l.absentGroups, err = resolveGroups(d, g, absentGroups, "no such group: %s"); err != nil {
			return err
		}
		if l.nodes, err = resolveNodes(d, g, nodeNames, "no such node: %s"); err != nil {
			return err
		}
		if l.groups, err = resolveGroups(d, g, groupNames, "no such group: %s"); err != nil {
			return err
		}
		if from != "" {
			if l.from, err = resolveNode(d, g, from, "no such node: %s"); err != nil {
				return err
			}
			if l.to, err = resolveGroup(d, g, to, "no such group: %s"); err != nil {
				return err
			}
		}
		sel, nothing, err := l.selection(g)
		if err != nil || nothing {
			return err
		}
		acqs, err := resolveAcqs(d, g, acqNames, "No such acquisition: %s")
		if err != nil {
			return err
		}
		if len(acqs) > 0 {
			sel = combineSets("AND", sel, &fileSet{"archivefile.acq_id IN ?", []any{acqIDs(acqs)}})
		}
		if sel == nil {
			sel = &fileSet{"1 = 1", nil}
		}
		if !details {
			return l.printPaths(a, g, sel)
		}
		// Per-copy details need exactly one place to look, and no sync limit.
		switch {
		case l.from == nil && len(l.nodes) == 1 && len(l.groups) == 0:
			return l.printNodeDetails(a, g, sel, l.nodes[0])
		case l.from == nil && len(l.groups) == 1 && len(l.nodes) == 0:
			return l.printGroupDetails(a, g, sel, l.groups[0])
		}
		return l.printDetails(a, g, sel)
	})
	f := cmd.Flags()
	f.StringArrayVar(&absentGroups, "absent-group", nil, "only files not healthy in `GROUP` (repeatable)")
	f.StringArrayVar(&absentNodes, "absent-node", nil, "only files not healthy on `NODE` (repeatable)")
	f.StringArrayVar(&acqNames, "acq", nil, "only files in acquisition `ACQ` (repeatable)")
	f.BoolVarP(&all, "all", "a", false, "require every location constraint instead of any one")
	f.BoolVar(&states.corrupt, "corrupt", false, "with --node/--group: look for corrupt copies")
	f.BoolVar(&details, "details", false, "print a table of details")
	f.StringVar(&from, "from", "", "with --to: only files that can be synced from node `SRC` to group DEST")
	f.StringArrayVar(&groupNames, "group", nil, "only files present in `GROUP` (repeatable)")
	f.BoolVar(&states.healthy, "healthy", false, "with --node/--group: look for healthy copies (the default)")
	f.BoolVar(&states.missing, "missing", false, "with --node/--group: look for missing copies")
	f.StringArrayVar(&nodeNames, "node", nil, "only files present on `NODE` (repeatable)")
	f.BoolVar(&states.suspect, "suspect", false, "with --node/--group: look for suspect copies")
	f.StringVar(&to, "to", "", "with --from: only files that can be synced from node SRC to group `DEST`")
	return cmd
}

// fileListing holds the resolved constraints of a file list command.
type fileListing struct {
	all                  bool
	state                string
	nodes, absentNodes   []*db.StorageNode
	groups, absentGroups []*db.StorageGroup
	from                 *db.StorageNode
	to                   *db.StorageGroup
}

// selection turns the location and sync constraints into one set of files,
// or nil for "every file". nothing is true when a positive constraint
// matched no file at all: alpenhorn then lists nothing, not even the
// empty line it prints for an empty final result.
func (l *fileListing) selection(g *gorm.DB) (sel *fileSet, nothing bool, err error) {
	// "Any" mode ORs positive constraints and, by De Morgan, ANDs the
	// sets the negative ones exclude; --all does the opposite.
	pos, neg := "OR", "AND"
	if l.all {
		pos, neg = "AND", "OR"
	}
	var absentNode, absentGroup, node, group []*fileSet
	for _, n := range l.absentNodes {
		absentNode = append(absentNode, filesOnNode(n.ID, healthyCopy("c")))
	}
	for _, gr := range l.absentGroups {
		absentGroup = append(absentGroup, filesInGroup(gr.ID, healthyCopy("c")))
	}
	for _, n := range l.nodes {
		node = append(node, filesOnNode(n.ID, l.state))
	}
	for _, gr := range l.groups {
		group = append(group, filesInGroup(gr.ID, l.state))
	}
	omitted := combineSets(neg, combineSets(neg, absentNode...), combineSets(neg, absentGroup...))
	if omitted != nil {
		if none, err := omitted.empty(g); err != nil || none {
			omitted = nil
			if err != nil {
				return nil, false, err
			}
		}
	}
	selected := combineSets(pos, combineSets(pos, node...), combineSets(pos, group...))
	var syncable *fileSet
	if l.from != nil {
		syncable = filesOnNode(l.from.ID, healthyCopy("c")).without(filesInGroup(l.to.ID, healthyCopy("c")))
		if l.all || omitted == nil {
			selected = combineSets("AND", selected, syncable)
			syncable = nil
		}
	}
	if l.all && omitted != nil && selected != nil {
		selected = selected.without(omitted)
		omitted = nil
	}
	for _, s := range []*fileSet{selected, syncable} {
		if s == nil {
			continue
		}
		if none, err := s.empty(g); err != nil || none {
			return nil, none, err
		}
	}
	var final *fileSet
	switch {
	case selected != nil && omitted != nil:
		final = combineSets("OR", selected, omitted.complement())
	case selected != nil:
		final = selected
	case omitted != nil:
		final = omitted.complement()
	}
	return combineSets("AND", syncable, final), false, nil
}

// fileListRow is one row of the final query.
type fileListRow struct {
	ID         int64        `gorm:"column:id"`
	Acq        string       `gorm:"column:acq"`
	Name       string       `gorm:"column:name"`
	SizeB      *int64       `gorm:"column:size_b"`
	MD5Sum     *string      `gorm:"column:md5sum"`
	Registered db.Time      `gorm:"column:registered"`
	HasFile    db.HasFile   `gorm:"column:has_file"`
	WantsFile  db.WantsFile `gorm:"column:wants_file"`
	CopySize   *int64       `gorm:"column:copy_size"`
}

// query selects the files of sel in acquisition, then file, order.
func (l *fileListing) query(g *gorm.DB, sel *fileSet) *gorm.DB {
	return g.Table("archivefile").
		Select("archivefile.id AS id, archiveacq.name AS acq, archivefile.name AS name, archivefile.size_b AS size_b, archivefile.md5sum AS md5sum, archivefile.registered AS registered").
		Joins("JOIN archiveacq ON archiveacq.id = archivefile.acq_id").
		Where(sel.cond, sel.args...).
		Order("archiveacq.name, archivefile.name")
}

func (l *fileListing) printPaths(a *App, g *gorm.DB, sel *fileSet) error {
	rows, err := l.query(g, sel).Select("archiveacq.name, archivefile.name").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var acq, name string
		if err := rows.Scan(&acq, &name); err != nil {
			return err
		}
		a.Echo("%s/%s", acq, name)
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		a.Echo("")
	}
	return nil
}

var detailHeaders = []string{"File", "Size", "MD5 Hash", "Registration Time"}

// detailCells are the columns every detailed row has.
func detailCells(f fileListRow) []any {
	md5 := "-"
	if f.MD5Sum != nil {
		md5 = strings.ToLower(*f.MD5Sum)
	}
	return []any{f.Acq + "/" + f.Name, format.Bytes(f.SizeB), md5, format.Ctime(&f.Registered.Time)}
}

func echoFileTable(a *App, headers []string, cells [][]any) {
	if len(cells) > 0 {
		a.Echo("%s", format.Table{Headers: headers, Rows: cells})
	}
}

func (l *fileListing) printDetails(a *App, g *gorm.DB, sel *fileSet) error {
	var files []fileListRow
	if err := l.query(g, sel).Scan(&files).Error; err != nil {
		return err
	}
	cells := make([][]any, len(files))
	for i, f := range files {
		cells[i] = detailCells(f)
	}
	echoFileTable(a, detailHeaders, cells)
	return nil
}

// printNodeDetails adds the state and size of each file's copy on node.
func (l *fileListing) printNodeDetails(a *App, g *gorm.DB, sel *fileSet, node *db.StorageNode) error {
	var files []fileListRow
	err := l.query(g, sel).
		Select("archivefile.id AS id, archiveacq.name AS acq, archivefile.name AS name, archivefile.size_b AS size_b, archivefile.md5sum AS md5sum, archivefile.registered AS registered, dc.has_file AS has_file, dc.wants_file AS wants_file, dc.size_b AS copy_size").
		Joins("LEFT JOIN archivefilecopy AS dc ON dc.file_id = archivefile.id AND dc.node_id = ?", node.ID).
		Scan(&files).Error
	if err != nil {
		return err
	}
	cells := make([][]any, len(files))
	for i, f := range files {
		// Without "all", a file may be listed for a negative constraint
		// and have no copy on the node at all.
		state := "Absent"
		if f.HasFile != "" {
			state = db.CopyState(f.HasFile, f.WantsFile)
		}
		cells[i] = append(detailCells(f), state, format.Bytes(f.CopySize))
	}
	echoFileTable(a, append(detailHeaders[:4:4], "State", "Size on Node"), cells)
	return nil
}

// printGroupDetails adds each file's state in group and the node providing it.
func (l *fileListing) printGroupDetails(a *App, g *gorm.DB, sel *fileSet, group *db.StorageGroup) error {
	var files []fileListRow
	if err := l.query(g, sel).Scan(&files).Error; err != nil {
		return err
	}
	copies, err := groupCopies(g, "n.group_id = ? AND c.file_id IN (SELECT archivefile.id FROM archivefile WHERE "+sel.cond+")", append([]any{group.ID}, sel.args...)...)
	if err != nil {
		return err
	}
	states, _ := foldStates(copies, groupCopy.file)
	cells := make([][]any, len(files))
	for i, f := range files {
		var s groupState
		if p := states[f.ID]; p != nil {
			s = *p
		}
		cells[i] = append(detailCells(f), groupWords[s.state()], s.nodeName())
	}
	echoFileTable(a, append(detailHeaders[:4:4], "State", "Node"), cells)
	return nil
}
