// Package version says which alpenhorn-go is running: the release and the
// commit it was built from, for --version, the man pages and the daemon's
// start-up line.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Commit is the source revision the binaries were built from, set at
// build time (-ldflags "-X .../internal/version.Commit=..."); when it is not,
// the revision the Go toolchain recorded from the git checkout is used.
// Either way it becomes part of Version, so that --version and the
// daemon's start-up line tell exactly what is running.
var Commit string

// Release is the alpenhorn-go release.
const Release = "2.0.0-dev"

// Version is the release with the commit: "2.0.0-dev+1a2b3c4d5e6f".
var Version = Release

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

// Text is what --version prints, for alpenhorn and alpenhornd alike:
// the release (with the commit), the Go runtime, a blank line and the
// licence.
func Text() string {
	return fmt.Sprintf("alpenhorn %s (Go %s)\n\n%s\n", Version, strings.TrimPrefix(runtime.Version(), "go"), licence)
}

const licence = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`
