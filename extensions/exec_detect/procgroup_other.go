//go:build !linux

package execdetect

import "os/exec"

// killGroup leaves the default (kill the program only) where process groups
// are not handled; cmd.WaitDelay still bounds the wait for its pipes.
func killGroup(*exec.Cmd) {}
