package format

import "strings"

// IOConfig renders the "I/O Config:" section of `group show` and
// `node show` from the stored io_config column, complete with its leading
// blank line, heading and trailing newline, ready to print as is:
//
//	\nI/O Config:\n\n  none\n
//
// The body is "  none" for NULL or empty text, "  empty" for JSON that is
// an empty object or otherwise false in Python (null, [], 0, ""),
// "INVALID (JSON decode error)" (unindented) for text that is not JSON or
// is JSON but not an object, and otherwise one line per key in stored
// order: the key right-justified to the longest key's length capped at 30,
// ": ", and the value as Python's str() prints it.
func IOConfig(stored *string) string {
	var b strings.Builder
	b.WriteString("\nI/O Config:\n\n")
	if stored == nil || *stored == "" {
		b.WriteString("  none\n")
		return b.String()
	}
	v, err := ParseJSON(*stored)
	if err != nil {
		b.WriteString("INVALID (JSON decode error)\n")
		return b.String()
	}
	if !pyTruthy(v) {
		b.WriteString("  empty\n")
		return b.String()
	}
	o, ok := v.(*OrderedObject)
	if !ok {
		// The Python CLI crashes here; the decode-error line is the
		// agreed replacement.
		b.WriteString("INVALID (JSON decode error)\n")
		return b.String()
	}
	keylen := 0
	for _, k := range o.keys {
		keylen = max(keylen, pyLen(k))
	}
	keylen = min(keylen, 30)
	for _, k := range o.keys {
		b.WriteString("  " + pyRjust(k, keylen) + ": " + PythonStr(o.values[k]) + "\n")
	}
	return b.String()
}
