// Package cli implements the alpenhorn command: one cobra command per file,
// sharing the option checks, name look-ups and confirmation flow here.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/version"
)

// Main runs the alpenhorn command with args (without the program name) and
// returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	defer a.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root := newRoot(a)
	if len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd) {
		root.SetArgs(append(args[:1:1], a.completionGlobals(args[1:])...))
		return a.exitCode(root.ExecuteContext(ctx))
	}
	rest, done, err := a.parseGlobals(root, args)
	if done || err != nil {
		return a.exitCode(err)
	}
	logging.SetupCLIOutput(a.Stderr, a.verbosity)
	root.SetArgs(rest)
	return a.exitCode(root.ExecuteContext(ctx))
}

// parseGlobals consumes the global options, which must come before the
// command word (so that -c after "node clean" can mean --check).
func (a *App) parseGlobals(root *cobra.Command, args []string) ([]string, bool, error) {
	fs := pflag.NewFlagSet("alpenhorn", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	conf := fs.StringP("conf", "c", "", "")
	quiet := fs.CountP("quiet", "q", "")
	verbose := fs.CountP("verbose", "v", "")
	debug := fs.Bool("debug", false, "")
	isolation := fs.Bool("test-isolation", false, "")
	jsonOut := fs.Bool("json", false, "")
	showVersion := fs.Bool("version", false, "")
	helpConfig := fs.Bool("help-config", false, "")
	help := fs.BoolP("help", "h", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, true, flagError(root, err)
	}
	switch {
	case *help:
		root.SetOut(a.Stdout)
		root.Help()
		return nil, true, nil
	case *showVersion:
		fmt.Fprint(a.Stdout, version.Text())
		return nil, true, nil
	case *helpConfig:
		fmt.Fprint(a.Stdout, config.HelpText)
		return nil, true, nil
	}
	if fs.Changed("conf") {
		if _, err := os.Stat(*conf); err != nil {
			return nil, true, usageErrorf(root, "Invalid value for '--conf' / '-c': Path '%s' does not exist.", *conf)
		}
		a.confFile = *conf
	}
	if *quiet > 0 && *verbose > 0 {
		return nil, true, usageErrorf(root, "cannot use both --quiet and --verbose")
	}
	if *quiet > 0 && *debug {
		return nil, true, usageErrorf(root, "cannot use both --quiet and --debug")
	}
	switch {
	case *debug || *verbose >= 2:
		a.verbosity = 5
	case *quiet >= 2:
		a.verbosity = 1
	default:
		a.verbosity = 3 + *verbose - *quiet
	}
	a.testIsolation = *isolation
	a.json = *jsonOut
	rest := fs.Args()
	if len(rest) == 0 {
		if len(args) == 0 {
			// Bare "alpenhorn" shows the help on stderr, as click 8.2 does.
			root.SetOut(a.Stderr)
			root.Help()
			return nil, true, &silentExit{2}
		}
		return nil, true, usageErrorf(root, "Missing command.")
	}
	return rest, false, nil
}

// silentExit ends the command with a status and no message.
type silentExit struct{ code int }

func (s *silentExit) Error() string { return "" }

func newRoot(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "alpenhorn",
		Short:         "Manage the alpenhorn data index",
		Long:          "alpenhorn reads and writes the data index that alpenhornd daemons act on.\n\nGlobal options (before the command word):\n  -c, --conf FILE     read FILE after the standard configuration files\n  -q, --quiet         less output (repeatable)\n  -v, --verbose       more output (repeatable)\n      --debug         maximum verbosity\n      --test-isolation  ignore the standard configuration files\n      --json          print list, show, stats, find and state results as one JSON document\n      --version       show the version and exit\n      --help-config   explain how to configure alpenhorn",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          unknownSubcommand,
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	root.SetFlagErrorFunc(flagError)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	for _, g := range groups {
		cmd := &cobra.Command{Use: g.name, Short: g.short, Args: cobra.ArbitraryArgs, RunE: unknownSubcommand}
		for _, sub := range subcommands[g.name] {
			cmd.AddCommand(sub(a))
		}
		root.AddCommand(cmd)
	}
	// Extension commands exist whether or not the configuration enables the
	// extension, because the command line is parsed before any file is read.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		// A missing or unknown shell is a usage error, as a missing or
		// unknown command is in the other groups.
		c.Args, c.RunE = cobra.ArbitraryArgs, unknownSubcommand
		for _, shell := range c.Commands() {
			shell.Args = positional
		}
	}
	a.addCompletions(root)
	root.AddCommand(extension.Commands(func(ctx context.Context) (*db.DB, error) { return a.DB(ctx, false) })...)
	applyHelp(root)
	return root
}

// The command groups, in the order of the reference's command tree.
var groups = []struct{ name, short string }{
	{"acq", "Manage acquisitions"},
	{"db", "Manage the data index itself"},
	{"file", "Manage files"},
	{"group", "Manage storage groups"},
	{"node", "Manage storage nodes"},
}

// subcommands holds each group's command constructors; every command file
// registers its own, so adding a command touches one file.
var subcommands = map[string][]func(*App) *cobra.Command{}

func register(group string, cmd func(*App) *cobra.Command) {
	subcommands[group] = append(subcommands[group], cmd)
}

// unknownSubcommand answers a group word given without a valid command.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		cmd.SetOut(cmd.ErrOrStderr())
		cmd.Help()
		return &silentExit{2}
	}
	return usageErrorf(cmd, "No such command '%s'.", args[0])
}

// leaf makes a command whose positional arguments are named in use.
func leaf(use, short string, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  positional,
		RunE:  run,
	}
}

// openIndex loads the configured extensions and connects to the data
// index, through a database extension when one is configured.
func openIndex(ctx context.Context, cfg *config.Config) (*db.DB, error) {
	names, err := cfg.Extensions()
	if err != nil {
		return nil, err
	}
	set, err := extension.Load(ctx, names, cfg.Raw())
	if err != nil {
		return nil, err
	}
	if ext := set.Database(ctx); ext != nil {
		conf, err := cfg.Database()
		if err != nil {
			return nil, err
		}
		return ext.Connect(ctx, conf)
	}
	url, err := cfg.DatabaseURL()
	if err != nil {
		return nil, err
	}
	return db.Open(url)
}
