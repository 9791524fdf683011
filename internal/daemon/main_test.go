package daemon_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
