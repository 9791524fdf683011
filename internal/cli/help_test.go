package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command has long help that says more than its one-line summary,
// and the common ones have examples.
func TestEveryCommandHasLongHelp(t *testing.T) {
	root := CommandTree()
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "alpenhorn"), " ")
		seen[path] = true
		if !c.Hidden && c.Name() != "help" && strings.TrimSuffix(strings.TrimSpace(c.Long), ".") == strings.TrimSpace(c.Short) {
			if ours(path) {
				t.Errorf("alpenhorn %s has no long help", path)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for path := range help {
		if !seen[path] {
			t.Errorf("help for %q, which is not a command", path)
		}
	}
	for _, path := range []string{"node create", "node clean", "node sync", "group sync", "file sync", "file clean", "node verify"} {
		if help[path].example == "" {
			t.Errorf("alpenhorn %s has no example", path)
		}
	}
	for _, want := range []string{"--min-avail", "two archive nodes other than"} {
		if !strings.Contains(help["node clean"].long, want) {
			t.Errorf("node clean's help does not explain %s", want)
		}
	}
}

// ours tells whether path names one of our commands or groups, not
// cobra's completion commands or an extension's.
func ours(path string) bool {
	group, _, _ := strings.Cut(path, " ")
	for _, g := range groups {
		if g.name == group {
			return true
		}
	}
	return false
}
