//go:build !linux

package transfer

import "syscall"

// procAttr puts a transfer command in a session of its own (see run).
// Only Linux can tie the command's life to the daemon's.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
