package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// completionLimit bounds a completion's look-up in the data index: a slow
// or unreachable database must not hang the user's shell.
const completionLimit = 2 * time.Second

// completionMax caps the candidates offered.
const completionMax = 200

// argNames says what a positional word of a command's use line names.
// NAME names the thing its command group manages, except for create.
var argNames = map[string]string{"NODE": index.NamedNodes, "GROUP": index.NamedGroups, "ACQ": index.NamedAcqs}

var groupNamed = map[string]string{"node": index.NamedNodes, "group": index.NamedGroups, "acq": index.NamedAcqs}

// flagNames are the options whose values name nodes, groups or
// acquisitions.
var flagNames = map[string]string{
	"node": index.NamedNodes, "absent-node": index.NamedNodes, "from": index.NamedNodes,
	"group": index.NamedGroups, "absent-group": index.NamedGroups, "to": index.NamedGroups, "target": index.NamedGroups,
	"acq": index.NamedAcqs,
}

// addCompletions makes shell completion offer the data index's node,
// group and acquisition names for the arguments and options that take
// them.
func (a *App) addCompletions(root *cobra.Command) {
	for _, group := range root.Commands() {
		for _, cmd := range group.Commands() {
			words := strings.Fields(cmd.Use)[1:]
			var tables []string
			for _, w := range words {
				w = strings.Trim(w, "[]")
				t := argNames[w]
				if w == "NAME" && !strings.HasPrefix(cmd.Use, "create ") {
					t = groupNamed[group.Name()]
				}
				tables = append(tables, t)
			}
			if len(tables) > 0 {
				cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
					if len(args) >= len(tables) || tables[len(args)] == "" {
						return nil, cobra.ShellCompDirectiveDefault
					}
					return a.completeNames(cmd, tables[len(args)], prefix)
				}
			}
			for flag, table := range flagNames {
				if cmd.Flags().Lookup(flag) != nil {
					cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
						return a.completeNames(cmd, table, prefix)
					})
				}
			}
		}
	}
}

// completeNames looks up the names starting with prefix. Any failure
// (no configuration, no database, the time limit) offers nothing rather
// than an error.
func (a *App) completeNames(cmd *cobra.Command, table, prefix string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(cmd.Context(), completionLimit)
	defer cancel()
	d, err := a.DB(ctx, false)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, err := index.NamesWithPrefix(ctx, d, table, prefix, completionMax)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completionGlobals takes --conf and --test-isolation from a completion
// request's command line, so that names come from the data index the
// completed command would use, and returns the line without the global
// options, since cobra knows only the command words' own. The last word is
// the one being completed and always stays. Logging stays off: messages
// would end up among the candidates.
func (a *App) completionGlobals(args []string) []string {
	if len(args) == 0 {
		return args
	}
	i := 0
	for i+1 < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		switch args[i] {
		case "-c", "--conf":
			a.confFile = args[i+1]
			i++
		case "--test-isolation":
			a.testIsolation = true
		}
		i++
	}
	return args[min(i, len(args)-1):]
}
