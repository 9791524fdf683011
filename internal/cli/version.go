package cli

import (
	"fmt"
	"runtime"
	"strings"
)

// VersionText is what --version prints, for alpenhorn and alpenhornd alike:
// the release, the Go runtime, a blank line and the licence.
func VersionText() string {
	return fmt.Sprintf("alpenhorn %s (Go %s)\n\n%s\n", Version, strings.TrimPrefix(runtime.Version(), "go"), licence)
}
