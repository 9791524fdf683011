// Package childproc starts processes that must not outlive the process
// starting them: the servers a test binary or the demo runs beside itself.
package childproc
