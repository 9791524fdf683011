package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/cli"
)

func TestGenerate(t *testing.T) {
	out := t.TempDir()
	if err := generate(out); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// One page per command, named as man(1) finds them.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.Name() != "alpenhorn" {
			return
		}
		page := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		if _, err := os.Stat(filepath.Join(out, "man", "man1", page)); err != nil {
			t.Errorf("no man page for %s: %v", c.CommandPath(), err)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cli.CommandTree())

	clean := read("man/man1/alpenhorn-node-clean.1")
	for _, want := range []string{".TH \"ALPENHORN-NODE-CLEAN\" \"1\"", "--min-avail", "two archive nodes other than", ".SH EXAMPLE"} {
		if !strings.Contains(clean, want) {
			t.Errorf("alpenhorn-node-clean.1 lacks %q", want)
		}
	}
	daemon := read("man/man1/alpenhornd.1")
	for _, want := range []string{"--check-config", "Type=notify"} {
		if !strings.Contains(daemon, want) {
			t.Errorf("alpenhornd.1 lacks %q", want)
		}
	}
	if !strings.Contains(read("completion/alpenhorn.bash"), "__start_alpenhorn") {
		t.Errorf("the bash completion file is not one")
	}
	shipped, err := os.ReadFile("../../deploy/alpenhorn.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	if read("alpenhorn.conf.example") != string(shipped) {
		t.Errorf("deploy/alpenhorn.conf.example differs from the generated one")
	}
}
