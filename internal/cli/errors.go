package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// UsageError is a command-line mistake: printed after the command's usage
// line and a help hint, exit status 2.
type UsageError struct {
	Cmd *cobra.Command
	Msg string
	// Bare errors are printed without the usage block, as click does for an
	// option that is missing its value or given one it does not take.
	Bare bool
}

func (e *UsageError) Error() string { return e.Msg }

// usageErrorf makes a usage error for cmd.
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
}

// errAborted is returned when the user ends input at a confirmation prompt.
var errAborted = errors.New("Aborted!")

// exitCode renders err on stderr the way alpenhorn does and returns the
// process exit status.
func (a *App) exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue *UsageError
	var se *silentExit
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		if !ue.Bare && ue.Cmd != nil {
			fmt.Fprintf(a.Stderr, "%s\nTry '%s -h' for help.\n\n", usageLine(ue.Cmd), ue.Cmd.CommandPath())
		}
		fmt.Fprintf(a.Stderr, "Error: %s\n", ue.Msg)
		return 2
	case errors.Is(err, errAborted):
		fmt.Fprintln(a.Stderr, "Aborted!")
		return 1
	}
	fmt.Fprintf(a.Stderr, "Error: %s\n", a.redact(err.Error()))
	return 1
}

// usageLine is click's "Usage: alpenhorn node sync [OPTIONS] NODE GROUP".
func usageLine(cmd *cobra.Command) string {
	line := "Usage: " + cmd.CommandPath() + " [OPTIONS]"
	if cmd.HasSubCommands() {
		return line + " COMMAND [ARGS]..."
	}
	if _, args, ok := strings.Cut(cmd.Use, " "); ok {
		line += " " + strings.NewReplacer("[", "", "]", "").Replace(args)
	}
	return line
}
