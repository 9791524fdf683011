//go:build !linux

package childproc

import "os/exec"

// Start starts cmd. Only Linux can tie a child's life to its parent;
// elsewhere a child of a crashed process runs on until killed.
func Start(cmd *exec.Cmd) error { return cmd.Start() }
