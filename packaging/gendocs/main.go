// Command gendocs writes the documentation generated from the programs'
// own help: man pages for alpenhorn (one per command) and alpenhornd,
// shell completion files for alpenhorn, and the annotated example config.
//
//	go run ./packaging/gendocs -out DIR
//
// writes DIR/man/man1/*.1, DIR/completion/{alpenhorn.bash,_alpenhorn,
// alpenhorn.fish} and DIR/alpenhorn.conf.example.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/radiocosmology/alpenhorn-go/cmd/alpenhornd/command"
	"github.com/radiocosmology/alpenhorn-go/internal/cli"
	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/version"

	// The extensions alpenhorn is built with add commands of their own.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)

func main() {
	out := flag.String("out", "", "the directory to write into")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gendocs -out DIR")
		os.Exit(2)
	}
	if err := generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func generate(out string) error {
	man := filepath.Join(out, "man", "man1")
	comp := filepath.Join(out, "completion")
	for _, dir := range []string{man, comp} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// A fixed date keeps the pages the same from build to build (from
	// SOURCE_DATE_EPOCH when the packager sets it).
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		var sec int64
		if _, err := fmt.Sscan(epoch, &sec); err == nil {
			date = time.Unix(sec, 0).UTC()
		}
	}
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "alpenhorn " + version.Version, Manual: "alpenhorn manual"}

	root := cli.CommandTree()
	root.DisableAutoGenTag = true
	disableAutoGenTag(root)
	if err := doc.GenManTree(root, header, man); err != nil {
		return err
	}
	var status int
	daemon := command.New(io.Discard, io.Discard, &status)
	daemon.DisableAutoGenTag = true
	if err := doc.GenManTree(daemon, header, man); err != nil {
		return err
	}

	for name, gen := range map[string]func(io.Writer) error{
		"alpenhorn.bash": func(w io.Writer) error { return root.GenBashCompletionV2(w, true) },
		"_alpenhorn":     root.GenZshCompletion,
		"alpenhorn.fish": func(w io.Writer) error { return root.GenFishCompletion(w, true) },
	} {
		if err := writeWith(filepath.Join(comp, name), gen); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, "alpenhorn.conf.example"), []byte(config.Example()), 0o644)
}

func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}

func writeWith(path string, gen func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gen(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
