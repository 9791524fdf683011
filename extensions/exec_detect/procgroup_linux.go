package execdetect

import (
	"os/exec"
	"syscall"
)

// killGroup makes a timeout kill the program's whole process group: a
// script killed alone would leave its children running, holding its output
// pipes open.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
