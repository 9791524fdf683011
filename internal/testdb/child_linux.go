package testdb

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

// startChild starts cmd so that the kernel kills it when the test binary
// dies, even by SIGKILL or a test timeout, leaving no server behind.
//
// The parent-death signal fires when the thread that forked the child exits,
// not the process. Forking from one locked thread that is never released
// keeps the signal tied to the life of the whole test binary.
func startChild(cmd *exec.Cmd) error {
	starterOnce.Do(func() { go starter() })
	req := startRequest{cmd: cmd, done: make(chan error, 1)}
	startQueue <- req
	return <-req.done
}

func starter() {
	runtime.LockOSThread()
	for req := range startQueue {
		req.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		req.done <- req.cmd.Start()
	}
}
