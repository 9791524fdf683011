package index_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The conformance suite: every rule of the data index is tested here
// directly, on each engine (testdb.Engines), without daemons or the CLI.
func TestMain(m *testing.M) { testdb.Main(m) }
