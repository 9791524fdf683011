package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileListCommand) }

func fileListCommand(a *App) *cobra.Command {
	var absentGroups, absentNodes, acqNames, groupNames, nodeNames []string
	var all, details bool
	var from, to string
	var states index.CopyStates
	cmd := leaf("list", "List files, optionally by where they are or are not", func(cmd *cobra.Command, args []string) error {
		if err := bothOrNeither(cmd, "from", from != "", "to", to != ""); err != nil {
			return err
		}
		for _, s := range []struct {
			name string
			on   bool
		}{{"corrupt", states.Corrupt}, {"missing", states.Missing}, {"healthy", states.Healthy}, {"suspect", states.Suspect}} {
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
		l := &fileListing{all: all, states: states}
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
		if err == nil && nothing && a.json {
			return a.emit([]fileJSON{})
		}
		if err != nil || nothing {
			return err
		}
		acqs, err := resolveAcqs(d, g, acqNames, "No such acquisition: %s")
		if err != nil {
			return err
		}
		if len(acqs) > 0 {
			sel = index.Intersection(sel, index.FilesInAcqs(acqIDs(acqs)))
		}
		if sel == nil {
			sel = index.AllFiles()
		}
		if a.json {
			return l.emitJSON(a, g, sel)
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
	f.BoolVar(&states.Corrupt, "corrupt", false, "with --node/--group: look for corrupt copies")
	f.BoolVar(&details, "details", false, "print a table of details")
	f.StringVar(&from, "from", "", "with --to: only files that can be synced from node `SRC` to group DEST")
	f.StringArrayVar(&groupNames, "group", nil, "only files present in `GROUP` (repeatable)")
	f.BoolVar(&states.Healthy, "healthy", false, "with --node/--group: look for healthy copies (the default)")
	f.BoolVar(&states.Missing, "missing", false, "with --node/--group: look for missing copies")
	f.StringArrayVar(&nodeNames, "node", nil, "only files present on `NODE` (repeatable)")
	f.BoolVar(&states.Suspect, "suspect", false, "with --node/--group: look for suspect copies")
	f.StringVar(&to, "to", "", "with --from: only files that can be synced from node SRC to group `DEST`")
	return cmd
}

// fileListing holds the resolved constraints of a file list command.
type fileListing struct {
	all                  bool
	states               index.CopyStates
	nodes, absentNodes   []*db.StorageNode
	groups, absentGroups []*db.StorageGroup
	from                 *db.StorageNode
	to                   *db.StorageGroup
}

// selection turns the location and sync constraints into one set of files,
// or nil for "every file". nothing is true when a positive constraint
// matched no file at all: alpenhorn then lists nothing, not even the
// empty line it prints for an empty final result.
func (l *fileListing) selection(g *gorm.DB) (sel *index.FileSet, nothing bool, err error) {
	// "Any" mode ORs positive constraints and, by De Morgan, ANDs the
	// sets the negative ones exclude; --all does the opposite.
	pos, neg := index.Union, index.Intersection
	if l.all {
		pos, neg = index.Intersection, index.Union
	}
	var absentNode, absentGroup, node, group []*index.FileSet
	for _, n := range l.absentNodes {
		absentNode = append(absentNode, index.FilesOnNode(n.ID, index.Healthy))
	}
	for _, gr := range l.absentGroups {
		absentGroup = append(absentGroup, index.FilesInGroup(gr.ID, index.Healthy))
	}
	for _, n := range l.nodes {
		node = append(node, index.FilesOnNode(n.ID, l.states))
	}
	for _, gr := range l.groups {
		group = append(group, index.FilesInGroup(gr.ID, l.states))
	}
	omitted := neg(neg(absentNode...), neg(absentGroup...))
	if omitted != nil {
		if none, err := omitted.Empty(g); err != nil || none {
			omitted = nil
			if err != nil {
				return nil, false, err
			}
		}
	}
	selected := pos(pos(node...), pos(group...))
	var syncable *index.FileSet
	if l.from != nil {
		syncable = index.FilesOnNode(l.from.ID, index.Healthy).Without(index.FilesInGroup(l.to.ID, index.Healthy))
		if l.all || omitted == nil {
			selected = index.Intersection(selected, syncable)
			syncable = nil
		}
	}
	if l.all && omitted != nil && selected != nil {
		selected = selected.Without(omitted)
		omitted = nil
	}
	for _, s := range []*index.FileSet{selected, syncable} {
		if s == nil {
			continue
		}
		if none, err := s.Empty(g); err != nil || none {
			return nil, none, err
		}
	}
	var final *index.FileSet
	switch {
	case selected != nil && omitted != nil:
		final = index.Union(selected, omitted.Complement())
	case selected != nil:
		final = selected
	case omitted != nil:
		final = omitted.Complement()
	}
	return index.Intersection(syncable, final), false, nil
}

func (l *fileListing) printPaths(a *App, g *gorm.DB, sel *index.FileSet) error {
	n := 0
	err := index.EachFilePath(g, sel, func(acq, name string) {
		a.Echo("%s/%s", acq, name)
		n++
	})
	if err != nil {
		return err
	}
	if n == 0 {
		a.Echo("")
	}
	return nil
}

var detailHeaders = []string{"File", "Size", "MD5 Hash", "Registration Time"}

// detailCells are the columns every detailed row has.
func detailCells(f index.FileRow) []any {
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

func (l *fileListing) printDetails(a *App, g *gorm.DB, sel *index.FileSet) error {
	files, err := index.Files(g, sel)
	if err != nil {
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
func (l *fileListing) printNodeDetails(a *App, g *gorm.DB, sel *index.FileSet, node *db.StorageNode) error {
	files, err := index.FilesWithCopy(g, sel, node.ID)
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
func (l *fileListing) printGroupDetails(a *App, g *gorm.DB, sel *index.FileSet, group *db.StorageGroup) error {
	files, err := index.Files(g, sel)
	if err != nil {
		return err
	}
	copies, err := index.SetCopiesInGroup(g, sel, group.ID)
	if err != nil {
		return err
	}
	states, _ := index.FoldGroupStates(copies, byFile)
	cells := make([][]any, len(files))
	for i, f := range files {
		var s groupState
		if p := states[f.ID]; p != nil {
			s = *p
		}
		cells[i] = append(detailCells(f), groupWords[s.State()], nodeName(s))
	}
	echoFileTable(a, append(detailHeaders[:4:4], "State", "Node"), cells)
	return nil
}
