package cli

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileFindCommand) }

func fileFindCommand(a *App) *cobra.Command {
	var acqNames, groupNames, nodeNames []string
	var states index.CopyStates
	cmd := leaf("find", "List file copies in given states", func(cmd *cobra.Command, args []string) error {
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		nodes, err := resolveNodes(d, g, nodeNames, "no such node: %s")
		if err != nil {
			return err
		}
		groups, err := resolveGroups(d, g, groupNames, "no such group: %s")
		if err != nil {
			return err
		}
		acqs, err := resolveAcqs(d, g, acqNames, "No such acquisition: %s")
		if err != nil {
			return err
		}
		found, err := index.FindCopies(g, states, acqIDs(acqs), nodeIDs(nodes), groupIDs(groups))
		if err != nil {
			return err
		}
		if a.json {
			return a.emit(foundDoc(found))
		}
		if len(found) == 0 {
			a.Echo("No match.")
			return nil
		}
		type row struct {
			parts             []string
			path, node, state string
		}
		rows := make([]row, len(found))
		for i, f := range found {
			p := f.Acq + "/" + f.File
			rows[i] = row{strings.Split(p, "/"), p, f.Node, db.CopyState(f.HasFile, f.WantsFile)}
		}
		// Paths sort component by component, so "a/b" comes before "a-c".
		sort.Slice(rows, func(i, j int) bool {
			x, y := rows[i], rows[j]
			if c := compareParts(x.parts, y.parts); c != 0 {
				return c < 0
			}
			if x.node != y.node {
				return x.node < y.node
			}
			return x.state < y.state
		})
		cells := make([][]any, len(rows))
		for i, r := range rows {
			cells[i] = []any{r.path, r.node, r.state}
		}
		a.Echo("%s", format.Table{Headers: []string{"File", "Node", "State"}, Rows: cells})
		return nil
	})
	f := cmd.Flags()
	f.StringArrayVar(&acqNames, "acq", nil, "only files in acquisition `ACQ` (repeatable)")
	f.BoolVar(&states.Corrupt, "corrupt", false, "find corrupt copies")
	f.StringArrayVar(&groupNames, "group", nil, "only copies on nodes in `GROUP` (repeatable)")
	f.BoolVar(&states.Healthy, "healthy", false, "find healthy copies (the default)")
	f.BoolVar(&states.Missing, "missing", false, "find missing copies")
	f.StringArrayVar(&nodeNames, "node", nil, "only copies on `NODE` (repeatable)")
	f.BoolVar(&states.Suspect, "suspect", false, "find suspect copies")
	return cmd
}

// compareParts orders two lists of path components lexicographically.
func compareParts(x, y []string) int {
	for i := 0; i < len(x) && i < len(y); i++ {
		if c := strings.Compare(x[i], y[i]); c != 0 {
			return c
		}
	}
	return len(x) - len(y)
}
