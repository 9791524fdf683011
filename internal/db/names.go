package db

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// InvalidImportPath returns why p cannot be an acquisition or file name, or
// "" when it can. The reasons are the ones alpenhorn prints.
func InvalidImportPath(p string) string {
	switch {
	case p == "":
		return "empty path"
	case p == "." || p == "..":
		return "invalid path"
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../"):
		return "invalid start"
	case strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/.."):
		return "invalid end"
	case strings.Contains(p, "//"):
		return "repeated /"
	case strings.Contains(p, "/./"):
		return `invalid path element "."`
	case strings.Contains(p, "/../"):
		return `invalid path element ".."`
	}
	return ""
}

// Column length limits (characters) of the schema's VARCHAR columns.
const (
	MaxAcqName   = 64
	MaxFileName  = 255
	MaxNodeName  = 64
	MaxGroupName = 64
	MaxHost      = 64
	MaxUsername  = 64
	MaxRoot      = 255
	MaxAddress   = 255
	MaxIOClass   = 255
	MaxPath      = 1024
	MaxMD5       = 32
)

// CheckLength refuses a value longer than its column allows; Python's
// non-strict MySQL session would truncate it silently.
func CheckLength(what, v string, max int) error {
	if n := utf8.RuneCountInString(v); n > max {
		return fmt.Errorf("%s too long: %d characters (at most %d)", what, n, max)
	}
	return nil
}
