package daemon_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
)

func TestMain(m *testing.M) { daemontest.Main(m) }
