// Command alpenhorn reads and writes the alpenhorn data index.
package main

import (
	"os"

	"github.com/radiocosmology/alpenhorn-go/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
