package cli

import (
	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// ExitWorkToDo is the exit status of --check (group sync, node sync, node
// clean, node verify) when there is something to do; with nothing to do it
// is 0. The Python alpenhorn exits 0 either way.
const ExitWorkToDo = 3

// checkHelp is the help of --check, shared by the commands of confirmFlow.
const checkHelp = "only report what would be done; exit 3 if there is something to do"

// phase is one pass of a check/confirm/update command: in check mode it
// reports what would happen ("Would sync ..."); in update mode it does it.
// first is true for the first pass shown to the user, which alone prints
// the one-time details. It returns true when there was nothing to do.
type phase func(update, first bool) (nothing bool, err error)

// confirmFlow runs the check / confirm / update flow shared by group sync,
// node sync, node clean and node verify. Each pass computes its selection
// afresh in its own transaction; the prompt is never inside one.
func (a *App) confirmFlow(cmd *cobra.Command, check, force, listOnStdin bool, run phase) error {
	if err := notBoth(cmd, "check", check, "force", force); err != nil {
		return err
	}
	// Only an explicit --check reports work by its status: the check mode
	// forced by a file list on stdin is a fallback, not a question.
	asked, _ := cmd.Flags().GetBool("check")
	check = stdinCheck(check, force, listOnStdin)
	if force {
		_, err := run(true, true)
		return err
	}
	nothing, err := run(false, true)
	if err == nil && asked && !nothing {
		// Scripts tell "work to do" from "nothing to do" by the status.
		return &silentExit{ExitWorkToDo}
	}
	if err != nil || check || nothing {
		return err
	}
	a.Echo("")
	ok, err := a.Confirm()
	if err != nil {
		return err
	}
	a.Echo("")
	if !ok {
		a.Echo("Cancelled.")
		return nil
	}
	_, err = run(true, false)
	return err
}

// stdinCheck switches to check mode, with a warning, when the file list is
// read from stdin without --check or --force: stdin is then used up, so the
// prompt could not be answered.
func stdinCheck(check, force, listOnStdin bool) bool {
	if listOnStdin && !force && !check {
		logging.Named(logging.LoggerCLI).Warn("stdin has been redirected without --force.  Automatically enabling --check mode.")
		return true
	}
	return check
}
