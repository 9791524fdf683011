// Command alpenhornd is the alpenhorn daemon: it manages the storage nodes
// hosted on its machine as the data index asks.
package main

import (
	"os"

	"github.com/radiocosmology/alpenhorn-go/cmd/alpenhornd/command"

	// Extensions shipped with alpenhornd.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)

func main() {
	os.Exit(command.Run(os.Args[1:], os.Stdout, os.Stderr))
}
