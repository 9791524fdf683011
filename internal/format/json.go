package format

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// OrderedObject is a JSON object that keeps its members in insertion
// order, as a Python dict does. I/O configs are stored and shown in that
// order.
type OrderedObject struct {
	keys   []string
	values map[string]any
}

// NewObject returns an empty object.
func NewObject() *OrderedObject {
	return &OrderedObject{values: map[string]any{}}
}

// Len returns the number of members.
func (o *OrderedObject) Len() int { return len(o.keys) }

// Keys returns the member names in order.
func (o *OrderedObject) Keys() []string { return append([]string(nil), o.keys...) }

// Get returns the value of member key.
func (o *OrderedObject) Get(key string) (any, bool) {
	v, ok := o.values[key]
	return v, ok
}

// Set sets member key. A new key goes to the end; an existing key keeps
// its place and takes the new value.
func (o *OrderedObject) Set(key string, value any) {
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = value
}

// Delete removes member key if present.
func (o *OrderedObject) Delete(key string) {
	if _, ok := o.values[key]; !ok {
		return
	}
	delete(o.values, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// PythonJSON is the object's text as Python's json.dumps writes it; see
// the package function PythonJSON.
func (o *OrderedObject) PythonJSON() string { return PythonJSON(o) }

// ErrNotObject is returned (wrapped) by ParseObject for text that is valid
// JSON but not an object.
var ErrNotObject = errors.New("JSON value is not an object")

// SyntaxError describes text that Python's json.loads rejects. Its message
// reads like Python's JSONDecodeError.
type SyntaxError struct {
	Msg    string
	Line   int // 1-based
	Column int // 1-based, in code points
	Offset int // in code points from the start
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: line %d column %d (char %d)", e.Msg, e.Line, e.Column, e.Offset)
}

// ParseJSON decodes text as Python's json.loads does: standard JSON plus
// the tokens NaN, Infinity and -Infinity; whitespace (space, tab, CR, LF)
// around the value; integers of any size; a repeated object key keeps its
// first position and its last value. Errors are *SyntaxError.
//
// Values decode to Go as:
//
//	null → nil            true/false → bool       string → string
//	integer → int64, or *big.Int beyond int64      other number → float64
//	array → []any         object → *OrderedObject
//
// The encoders here take the same types, and int wherever int64 is.
func ParseJSON(text string) (any, error) {
	p := &jsonParser{text: text}
	if strings.HasPrefix(text, "\ufeff") {
		return nil, p.errorAt("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
	}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(text) {
		return nil, p.errorAt("Extra data", p.pos)
	}
	return v, nil
}

// ParseObject decodes text that must be a JSON object. Invalid JSON gives
// a *SyntaxError; valid JSON of another kind (null included) gives an
// error wrapping ErrNotObject.
func ParseObject(text string) (*OrderedObject, error) {
	v, err := ParseJSON(text)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*OrderedObject)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotObject, text)
	}
	return o, nil
}

type jsonParser struct {
	text string
	pos  int // byte offset
}

func (p *jsonParser) errorAt(msg string, pos int) *SyntaxError {
	before := p.text[:pos]
	line := strings.Count(before, "\n") + 1
	col := pyLen(before) + 1
	if nl := strings.LastIndexByte(before, '\n'); nl >= 0 {
		col = pyLen(before[nl+1:]) + 1
	}
	return &SyntaxError{Msg: msg, Line: line, Column: col, Offset: pyLen(before)}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.text) {
		switch p.text[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) has(lit string) bool { return strings.HasPrefix(p.text[p.pos:], lit) }

func (p *jsonParser) value() (any, error) {
	if p.pos >= len(p.text) {
		return nil, p.errorAt("Expecting value", p.pos)
	}
	switch c := p.text[p.pos]; {
	case c == '"':
		return p.str()
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case p.has("null"):
		p.pos += 4
		return nil, nil
	case p.has("true"):
		p.pos += 4
		return true, nil
	case p.has("false"):
		p.pos += 5
		return false, nil
	case p.has("NaN"):
		p.pos += 3
		return math.NaN(), nil
	case p.has("Infinity"):
		p.pos += 8
		return math.Inf(1), nil
	case p.has("-Infinity"):
		p.pos += 9
		return math.Inf(-1), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.errorAt("Expecting value", p.pos)
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?; a fraction
// or exponent without digits is left unread, as Python's scanner does.
func (p *jsonParser) number() (any, error) {
	start := p.pos
	i := p.pos
	if p.text[i] == '-' {
		i++
	}
	if i >= len(p.text) || !isASCIIDigit(p.text[i]) {
		return nil, p.errorAt("Expecting value", start)
	}
	if p.text[i] == '0' {
		i++
	} else {
		for i < len(p.text) && isASCIIDigit(p.text[i]) {
			i++
		}
	}
	isFloat := false
	if i+1 < len(p.text) && p.text[i] == '.' && isASCIIDigit(p.text[i+1]) {
		isFloat = true
		i += 2
		for i < len(p.text) && isASCIIDigit(p.text[i]) {
			i++
		}
	}
	if i < len(p.text) && (p.text[i] == 'e' || p.text[i] == 'E') {
		j := i + 1
		if j < len(p.text) && (p.text[j] == '+' || p.text[j] == '-') {
			j++
		}
		if j < len(p.text) && isASCIIDigit(p.text[j]) {
			isFloat = true
			for j < len(p.text) && isASCIIDigit(p.text[j]) {
				j++
			}
			i = j
		}
	}
	p.pos = i
	lit := p.text[start:i]
	if isFloat {
		// Only a range error is possible; ParseFloat then returns what
		// Python's float() gives (±inf, or zero on underflow).
		f, _ := strconv.ParseFloat(lit, 64)
		return f, nil
	}
	if v, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return v, nil
	}
	v, _ := new(big.Int).SetString(lit, 10)
	return v, nil
}

func hexValue(s string) (rune, bool) {
	if len(s) != 4 {
		return 0, false
	}
	var v rune
	for i := 0; i < 4; i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | rune(d)
	}
	return v, true
}

var jsonEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (p *jsonParser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b []byte
	for {
		if p.pos >= len(p.text) {
			return "", p.errorAt("Unterminated string starting at", start)
		}
		c := p.text[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(b), nil
		case c < 0x20:
			return "", p.errorAt("Invalid control character at", p.pos)
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		// An escape.
		if p.pos+1 >= len(p.text) {
			return "", p.errorAt("Unterminated string starting at", start)
		}
		esc := p.text[p.pos+1]
		if r, ok := jsonEscapes[esc]; ok {
			b = append(b, r)
			p.pos += 2
			continue
		}
		if esc != 'u' {
			return "", p.errorAt("Invalid \\escape", p.pos)
		}
		r, ok := hexValue(p.text[p.pos+2 : min(p.pos+6, len(p.text))])
		if !ok {
			return "", p.errorAt("Invalid \\uXXXX escape", p.pos+1)
		}
		p.pos += 6
		if r >= 0xd800 && r <= 0xdbff && p.has(`\u`) {
			if lo, ok := hexValue(p.text[p.pos+2 : min(p.pos+6, len(p.text))]); ok && lo >= 0xdc00 && lo <= 0xdfff {
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				p.pos += 6
			}
		}
		b = appendCodePoint(b, r)
	}
}

func (p *jsonParser) object() (any, error) {
	o := NewObject()
	p.pos++ // '{'
	p.skipSpace()
	if p.has("}") {
		p.pos++
		return o, nil
	}
	for {
		if !p.has(`"`) {
			return nil, p.errorAt("Expecting property name enclosed in double quotes", p.pos)
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.has(":") {
			return nil, p.errorAt("Expecting ':' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		o.Set(key, v)
		p.skipSpace()
		switch {
		case p.has("}"):
			p.pos++
			return o, nil
		case !p.has(","):
			return nil, p.errorAt("Expecting ',' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
	}
}

func (p *jsonParser) array() (any, error) {
	list := []any{}
	p.pos++ // '['
	p.skipSpace()
	if p.has("]") {
		p.pos++
		return list, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		p.skipSpace()
		switch {
		case p.has("]"):
			p.pos++
			return list, nil
		case !p.has(","):
			return nil, p.errorAt("Expecting ',' delimiter", p.pos)
		}
		p.pos++
		p.skipSpace()
	}
}

// PythonJSON serialises v as Python's json.dumps does by default: ", "
// between members and ": " after keys, members in order, every non-ASCII
// code point escaped as \uXXXX (astral ones as a surrogate pair), floats
// in repr form ("2.5", "1e-07") and the tokens Infinity, -Infinity and NaN.
// v must be one of the types ParseJSON returns.
func PythonJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(map[bool]string{true: "true", false: "false"}[v])
	case string:
		writeJSONString(b, v)
	case float64:
		switch {
		case math.IsNaN(v):
			b.WriteString("NaN")
		case math.IsInf(v, 1):
			b.WriteString("Infinity")
		case math.IsInf(v, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(PythonFloatRepr(v))
		}
	case int, int64, *big.Int:
		fmt.Fprint(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case *OrderedObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSON(b, v.values[k])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("format: %T is not a JSON value", v))
	}
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range decodeText(s) {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r >= 0x10000:
			r -= 0x10000
			writeUEscape(b, 0xd800+(r>>10))
			writeUEscape(b, 0xdc00+(r&0x3ff))
		default:
			writeUEscape(b, r)
		}
	}
	b.WriteByte('"')
}

func writeUEscape(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	b.Write(appendHex(nil, r, 4))
}

// PythonRepr renders a JSON value as Python's repr() shows the decoded
// value: None, True/False, 1, 2.5, 1e-07, inf, 'text' (quoted and escaped
// as Python does), [1, 'a'], {'x': 1.0}.
func PythonRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return pyStrRepr(v)
	case float64:
		return PythonFloatRepr(v)
	case int, int64, *big.Int:
		return fmt.Sprint(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = PythonRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *OrderedObject:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = pyStrRepr(k) + ": " + PythonRepr(v.values[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic(fmt.Sprintf("format: %T is not a JSON value", v))
}

// PythonStr is Python's str() of a decoded JSON value: a string as it is,
// anything else as PythonRepr.
func PythonStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return PythonRepr(v)
}

// pyTruthy is Python's bool() of a decoded JSON value.
func pyTruthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0 // NaN is true, as in Python
	case int:
		return v != 0
	case int64:
		return v != 0
	case *big.Int:
		return v.Sign() != 0
	case []any:
		return len(v) > 0
	case *OrderedObject:
		return v.Len() > 0
	}
	panic(fmt.Sprintf("format: %T is not a JSON value", v))
}

// PlainJSON converts a value ParseJSON returned to the types encoding/json
// decodes into an interface, which the daemon's I/O classes read: every
// number becomes a float64 (NaN and the infinities included), an object a
// map[string]any and an array a []any of such values. The CLI and the
// daemon thus read an io_config by the same rules, while the I/O classes
// keep the types they check for.
func PlainJSON(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case *OrderedObject:
		m := make(map[string]any, x.Len())
		for _, k := range x.keys {
			m[k] = PlainJSON(x.values[k])
		}
		return m
	case []any:
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = PlainJSON(e)
		}
		return list
	}
	return v
}
