package deploy_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
)

// TestMain removes the daemon binary the live test builds, and the test
// MariaDB server if one was started.
func TestMain(m *testing.M) { daemontest.Main(m) }
