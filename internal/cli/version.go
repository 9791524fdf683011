package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Commit is the source revision the binaries were built from, set at
// build time (-ldflags "-X .../internal/cli.Commit=..."); when it is not,
// the revision the Go toolchain recorded from the git checkout is used.
// Either way it becomes part of Version, so that --version and the
// daemon's start-up line tell exactly what is running.
var Commit string

func init() {
	if c := commit(); c != "" {
		Version += "+" + c
	}
}

func commit() string {
	if Commit != "" {
		return Commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// VersionText is what --version prints, for alpenhorn and alpenhornd alike:
// the release (with the commit), the Go runtime, a blank line and the
// licence.
func VersionText() string {
	return fmt.Sprintf("alpenhorn %s (Go %s)\n\n%s\n", Version, strings.TrimPrefix(runtime.Version(), "go"), licence)
}
