package config

import (
	"os"
	"strings"
)

// withPasswordFile puts the first line of the password file into rawURL,
// which must name a user and no password: two sources for one password
// would leave the reader guessing which one is used.
func (c *Config) withPasswordFile(rawURL, file string) (string, error) {
	const key = "database.password_file"
	scheme, rest, ok := strings.Cut(rawURL, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return "", c.errorf(key, "%s needs a user name in database.url (scheme://USER@HOST/DATABASE)", key)
	}
	if strings.Contains(rest[:at], ":") {
		return "", c.errorf(key, "database.url has a password, and %s names another: keep one", key)
	}
	data, err := os.ReadFile(expandUser(file))
	if err != nil {
		return "", c.errorf(key, "%s: %v", key, err)
	}
	password, _, _ := strings.Cut(string(data), "\n")
	password = strings.TrimSuffix(password, "\r")
	if password == "" {
		return "", c.errorf(key, "%s: %s holds no password on its first line", key, file)
	}
	return scheme + "://" + rest[:at] + ":" + password + rest[at:], nil
}
