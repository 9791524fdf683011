// Command alpenhornd is the alpenhorn daemon: it manages the storage nodes
// hosted on its machine as the data index asks.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/cli"
	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/daemon"

	// Extensions shipped with alpenhornd.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
)

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var opts daemon.Options
	var once, version, helpConfig bool
	status := 0
	cmd := &cobra.Command{
		Use:   "alpenhornd",
		Short: "Alpenhornd: data management daemon.",
		Long: `Alpenhornd: data management daemon.

The alpenhorn daemon can be used to manage Storage Nodes.  See the alpenhorn
documentation for details on how to run the daemon.

By default, the daemon will keep running until killed, but you can instead
tell it to run only a single update pass and then exit after updates have
completed by using the "--exit-after-update" flag.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case version:
				fmt.Fprint(stdout, cli.VersionText())
				return nil
			case helpConfig:
				fmt.Fprint(stdout, config.HelpText)
				return nil
			}
			if cmd.Flags().Changed("conf") {
				if _, err := os.Stat(opts.ConfFile); err != nil {
					return usageError{fmt.Sprintf("Invalid value for '--conf' / '-c': Path '%s' does not exist.", opts.ConfFile)}
				}
			}
			opts.Once = opts.Once || once
			opts.Stderr = stderr
			opts.Version = cli.Version
			status = daemon.Run(opts)
			return nil
		},
	}
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVarP(&opts.ConfFile, "conf", "c", "", "Configuration file to read.")
	f.BoolVarP(&opts.Once, "exit-after-update", "o", false, "Run the update loop once, wait for updates to complete, and then exit.")
	f.BoolVar(&once, "once", false, "Same as --exit-after-update.")
	f.BoolVar(&opts.TestIsolation, "test-isolation", false, "Enable test isolation.  Using this option prevents alpenhornd from reading config from the standard config paths.")
	f.BoolVar(&version, "version", false, "Show the version and exit.")
	f.BoolVar(&helpConfig, "help-config", false, "Show help on configuring alpenhorn and exit.")

	if err := cmd.Execute(); err != nil {
		var ue usageError
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.msg
		}
		fmt.Fprintf(stderr, "Usage: alpenhornd [OPTIONS]\nTry 'alpenhornd --help' for help.\n\nError: %s\n", msg)
		return 2
	}
	return status
}
