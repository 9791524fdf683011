package cli

import (
	"fmt"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
)

// defaultWaitLimit is how long a command waits for a data index that is
// unreachable or locked before it gives up with an error.
const defaultWaitLimit = time.Minute

// waitLimit is database.wait_limit (seconds), or defaultWaitLimit.
func waitLimit(cfg *config.Config) (time.Duration, error) {
	m, err := cfg.Database()
	if err != nil {
		return 0, err
	}
	switch v := m["wait_limit"].(type) {
	case nil:
		return defaultWaitLimit, nil
	case int:
		if v > 0 {
			return time.Duration(v) * time.Second, nil
		}
	case float64:
		if v > 0 {
			return time.Duration(v * float64(time.Second)), nil
		}
	}
	return 0, fmt.Errorf("invalid config value for database.wait_limit: positive number of seconds expected")
}
