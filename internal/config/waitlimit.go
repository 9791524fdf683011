package config

import (
	"fmt"
	"time"
)

// DefaultWaitLimit is how long a command waits for a data index that is
// unreachable or locked before it gives up with an error.
const DefaultWaitLimit = time.Minute

// WaitLimit is database.wait_limit (seconds), or DefaultWaitLimit.
func (c *Config) WaitLimit() (time.Duration, error) {
	m, err := c.Database()
	if err != nil {
		return 0, err
	}
	var secs float64
	switch v := m["wait_limit"].(type) {
	case nil:
		return DefaultWaitLimit, nil
	case int:
		secs = float64(v)
	case int64:
		secs = float64(v)
	case float64:
		secs = v
	}
	if secs <= 0 {
		return 0, fmt.Errorf("invalid config value for database.wait_limit: positive number of seconds expected")
	}
	return time.Duration(secs * float64(time.Second)), nil
}
