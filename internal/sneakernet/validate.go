package sneakernet

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// FormatVersion is the version of the manifest and receipt formats this
// alpenhorn writes and the only one it reads.
const FormatVersion = 1

// NewUUID returns a random (version 4) UUID in its canonical lower-case form.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// validUUID accepts the canonical form: 8-4-4-4-12 lower-case hex digits.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// normalMD5 returns h in lower case if it is exactly 32 hex digits.
func normalMD5(h string) (string, bool) {
	if len(h) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return strings.ToLower(h), true
}

// checkName validates one of the names of an entry the way alpenhorn
// validates acquisition and file names, so that acq/name can never leave
// the node root lexically: no absolute path, no "." or ".." component, no
// empty component.
func checkName(what, v string, max int) error {
	if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
		return fmt.Errorf("invalid %s %q", what, v)
	}
	if reason := db.InvalidImportPath(v); reason != "" {
		return fmt.Errorf("invalid %s %q: %s", what, v, reason)
	}
	return db.CheckLength(what, v, max)
}

// checkTime accepts instants whose UTC form has a four-digit year, which
// is what the formats can write.
func checkTime(what string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s out of range: %s", what, t.Format(time.RFC3339Nano))
	}
	return nil
}

// header is read first, so that a document of another kind or version is
// named as such instead of failing on its fields.
type header struct {
	Format  *string          `json:"format"`
	Version *json.RawMessage `json:"version"`
}

// decode reads a whole JSON document of the given kind ("manifest",
// "receipt") and format name into v, strictly: one object, no unknown
// fields, nothing after it.
func decode(data []byte, kind, format string, v any) error {
	var h header
	if err := strictJSON(data, &h, false); err != nil {
		return err
	}
	if h.Format == nil || *h.Format != format {
		got := "none"
		if h.Format != nil {
			got = fmt.Sprintf("%q", *h.Format)
		}
		return fmt.Errorf("not a sneakernet %s (format %s, expected %q)", kind, got, format)
	}
	if h.Version == nil {
		return fmt.Errorf("no format version")
	}
	var version int64
	if err := json.Unmarshal(*h.Version, &version); err != nil {
		return fmt.Errorf("invalid format version %s", *h.Version)
	}
	if version != FormatVersion {
		return fmt.Errorf("unsupported format version %d (this alpenhorn reads version %d)", version, FormatVersion)
	}
	return strictJSON(data, v, true)
}

func strictJSON(data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated or empty JSON")
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Errorf("invalid value for %s: %s", typ.Field, typ.Value)
		}
		return fmt.Errorf("invalid JSON: expected an object, found %s", typ.Value)
	case errors.As(err, &tim):
		return fmt.Errorf("invalid time %q (expected RFC 3339, such as 2025-02-21T23:13:24Z)", tim.Value)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// errMissing reports a field a document must have.
func errMissing(field string) error { return fmt.Errorf("missing field %q", field) }

// field is a field of a document as read: its name and whether it was there.
type field struct {
	name    string
	present bool
}

// require fails on the first absent field.
func require(fields ...field) error {
	for _, f := range fields {
		if !f.present {
			return errMissing(f.name)
		}
	}
	return nil
}

// marshal renders a document whose last field, "files", is empty in head,
// then writes the n entries file(i) into that list one per line: readable,
// and diffable when manifests are kept under version control.
func marshal(head any, n int, file func(int) any) ([]byte, error) {
	out, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return nil, err
	}
	const tail = "[]\n}"
	if !bytes.HasSuffix(out, []byte(tail)) {
		return nil, errors.New("document does not end with its files list")
	}
	out = append(out[:len(out)-len(tail)], '[')
	for i := range n {
		line, err := json.Marshal(file(i))
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, "\n    "...)
		out = append(out, line...)
	}
	if n > 0 {
		out = append(out, "\n  "...)
	}
	return append(out, "]\n}\n"...), nil
}

// pathKey is the node-relative path of an entry; two entries with the
// same path would describe one file on the device.
func pathKey(acq, name string) string { return acq + "/" + name }
