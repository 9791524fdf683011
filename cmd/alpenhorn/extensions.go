package main

// The extensions this binary ships. The config's extensions list selects
// among them by name; their CLI subcommands are always available.
import (
	_ "github.com/radiocosmology/alpenhorn-go/extensions/exec_detect"
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)
