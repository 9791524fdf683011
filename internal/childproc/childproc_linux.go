package childproc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

type startRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	starterOnce sync.Once
	startQueue  = make(chan startRequest)
)

// Start starts cmd so that the kernel kills it when this process dies,
// even by SIGKILL or a test timeout. Any SysProcAttr cmd already has is
// kept.
//
// The parent-death signal fires when the thread that forked the child
// exits, not the process. Forking from one locked thread that is never
// released ties the signal to the life of the whole process.
func Start(cmd *exec.Cmd) error {
	starterOnce.Do(func() { go starter() })
	req := startRequest{cmd: cmd, done: make(chan error, 1)}
	startQueue <- req
	return <-req.done
}

func starter() {
	runtime.LockOSThread()
	for req := range startQueue {
		if req.cmd.SysProcAttr == nil {
			req.cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		req.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
		req.done <- req.cmd.Start()
	}
}
