package format

import (
	"encoding/json"
	"io"
	"time"
)

// WriteJSON writes v as the one JSON document of a command's --json
// output, indented, with a final newline. HTML characters stay as they
// are: the output is read by programs, not embedded in pages.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// RFC3339 is t as --json writes times: RFC 3339 in UTC, with the
// fractional seconds the data index holds; nil (JSON null) for no time.
func RFC3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}
