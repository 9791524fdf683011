//go:build !linux

package testdb

import "os/exec"

// startChild starts cmd. Only Linux can tie a child's life to its parent;
// elsewhere a crashed test binary leaves its server running until killed.
func startChild(cmd *exec.Cmd) error { return cmd.Start() }
