package daemon_test

import (
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
