package transfer

import "syscall"

// procAttr puts a transfer command in a session of its own (see run) and
// has the kernel kill it when the daemon dies. A daemon killed outright
// (SIGKILL, the OOM killer) cannot stop its transfers itself, and one that
// carried on would write a temporary file nobody commits, possibly after
// the next daemon's tidy-up has run, or race that daemon's own pull of the
// same file. The signal is tied to the thread that started the command;
// the daemon never ends its threads (it locks none), so in effect to the
// daemon.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}
