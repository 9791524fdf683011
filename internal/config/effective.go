package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Show renders the merged configuration as YAML for people to read: the
// files it came from, every value set (passwords hidden), then the
// defaults in effect for the keys left unset. d supplies the values
// computed at start-up (the host name).
func (c *Config) Show(d Daemon) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Read from: %s\n", strings.Join(c.Files, ", "))
	data := redact(c.Raw(), "").(map[string]any)
	if len(data) > 0 {
		text, err := yaml.Marshal(data)
		if err != nil {
			return "", err
		}
		b.Write(text)
	}
	var unset []string
	for _, k := range Keys {
		if _, ok := c.lookup(k.Path); ok || k.Default == "" {
			continue
		}
		if section := parent(k.Path); section != "" {
			// Keys of an absent optional section are not in effect.
			if _, ok := c.lookup(section); !ok && (section == "logging.syslog" || section == "logging.file") {
				continue
			}
		}
		def := k.Default
		switch k.Path {
		case "base.hostname":
			def = d.Hostname + " (the system host name)"
		case "logging.stderr":
			def = fmt.Sprint(d.Logging.Stderr)
		}
		unset = append(unset, fmt.Sprintf("#   %s: %s", k.Path, def))
	}
	if len(unset) > 0 {
		b.WriteString("# Defaults in effect:\n" + strings.Join(unset, "\n") + "\n")
	}
	return b.String(), nil
}

// redact hides the password of database.url and the value of any key
// whose name says it is a password (an extension's, say).
func redact(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = redact(e, joinPath(path, k))
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = redact(e, path)
		}
		return x
	case string:
		last := lastElem(path)
		switch {
		case path == "database.url":
			return RedactURL(x)
		case strings.Contains(strings.ToLower(last), "password") && !strings.HasSuffix(last, "_file"):
			return "***"
		}
	}
	return v
}
