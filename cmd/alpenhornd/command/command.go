// Package command is alpenhornd's command line: its options and help, and
// what each option runs. It is a package of its own so that the man page
// can be generated from the same command.
package command

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/daemon"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/version"
)

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs alpenhornd with args (without the program name) and returns
// its exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	var status int
	cmd := New(stdout, stderr, &status)
	cmd.SetArgs(args)
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

// New makes the alpenhornd command; running it stores the exit status in
// *status.
func New(stdout, stderr io.Writer, status *int) *cobra.Command {
	var opts daemon.Options
	var once, showVersion, helpConfig, check bool
	cmd := &cobra.Command{
		Use:   "alpenhornd",
		Short: "Alpenhornd: data management daemon.",
		Long: `Alpenhornd: data management daemon.

alpenhornd runs on every host that holds storage nodes. It manages the
active nodes whose host is this host's name (base.hostname, by default the
system host name up to its first dot): every daemon.update_interval
seconds it reads the data index and, for each node, imports new files,
checks suspect copies, deletes released copies (and removable ones when
the node is short of space, never leaving fewer than two other archive
copies), and pulls the files requested into its groups from other nodes,
over ssh when they are on other hosts.  Workers (daemon.num_workers) run
these tasks in parallel.

It reads the same configuration files as alpenhorn (alpenhornd
--help-config lists every key).  --check-config validates them and prints
them merged, without connecting to anything.  By default the daemon keeps
running until it receives SIGTERM or SIGINT, which let running transfers
finish for up to a minute; a second signal stops it at once.  With
--exit-after-update it runs one update, waits for the tasks it started,
and exits.  Under systemd (Type=notify) it reports when it is ready and
keeps the service watchdog fed while its updates keep completing.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case showVersion:
				fmt.Fprint(stdout, version.Text())
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
			if check {
				*status = checkConfig(config.Options{TestIsolation: opts.TestIsolation, ConfFile: opts.ConfFile}, stdout, stderr)
				return nil
			}
			opts.Once = opts.Once || once
			opts.Stderr = logging.FatalErrors(stderr)
			*status = daemon.Run(opts)
			return nil
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVarP(&opts.ConfFile, "conf", "c", "", "Configuration file to read.")
	f.BoolVarP(&opts.Once, "exit-after-update", "o", false, "Run the update loop once, wait for updates to complete, and then exit.")
	f.BoolVar(&once, "once", false, "Same as --exit-after-update.")
	f.BoolVar(&opts.TestIsolation, "test-isolation", false, "Enable test isolation.  Using this option prevents alpenhornd from reading config from the standard config paths.")
	f.BoolVar(&showVersion, "version", false, "Show the version and exit.")
	f.BoolVar(&helpConfig, "help-config", false, "Show help on configuring alpenhorn and exit.")
	f.BoolVar(&check, "check-config", false, "Check the configuration, print it merged with its defaults, and exit: 0 if valid, 1 if not.  Connects to nothing.")

	return cmd
}
