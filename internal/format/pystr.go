package format

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python strings are sequences of code points and may hold lone surrogates
// (JSON "\ud800" decodes to one). Go strings here carry such a surrogate in
// its three-byte generalised UTF-8 form (WTF-8), so that a stored I/O
// config survives a decode/encode round trip unchanged.

// decodeText splits s into code points, reading WTF-8 surrogates as
// themselves and any other invalid byte as U+FFFD.
func decodeText(s string) []rune {
	rs := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := nextCodePoint(s, i)
		rs = append(rs, r)
		i += n
	}
	return rs
}

func nextCodePoint(s string, i int) (rune, int) {
	if s[i] == 0xed && i+2 < len(s) && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf {
		return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s[i:])
}

// appendCodePoint is utf8.AppendRune that also writes surrogates (WTF-8).
func appendCodePoint(b []byte, r rune) []byte {
	if r >= 0xd800 && r <= 0xdfff {
		return append(b, 0xed, byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f))
	}
	return utf8.AppendRune(b, r)
}

// pyLen is Python's len() of a str: the number of code points.
func pyLen(s string) int { return len(decodeText(s)) }

// pyStrip is Python's str.strip() with no arguments.
func pyStrip(s string) string { return strings.TrimFunc(s, isStrSpace) }

// pyRstrip is Python's str.rstrip() with no arguments.
func pyRstrip(s string) string { return strings.TrimRightFunc(s, isStrSpace) }

// pyRjust is Python's str.rjust(width): left-pad with spaces to width
// code points.
func pyRjust(s string, width int) string {
	if n := pyLen(s); n < width {
		return strings.Repeat(" ", width-n) + s
	}
	return s
}

// pyLjust is Python's str.ljust(width).
func pyLjust(s string, width int) string {
	if n := pyLen(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// pySplitlines is Python's str.splitlines(): it breaks at \n, \r, \r\n,
// \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, and a final line break does
// not start another line.
func pySplitlines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n++
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// splitCRLF is re.split("[\r\n]", s): every \r and every \n separates, so
// "\r\n" yields an empty piece and a trailing break a final empty piece.
func splitCRLF(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// pyStrRepr is Python's repr() of a str: single quotes unless the text
// holds a single quote and no double quote; backslash escapes for the
// quote, backslash, \t \n \r, and \x/\u/\U escapes for non-printable code
// points; printable non-ASCII text is kept as is.
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	b := []byte{quote}
	for _, r := range decodeText(s) {
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, `\x`...)
			b = appendHex(b, r, 2)
		case r < 0x7f:
			b = append(b, byte(r))
		case !isPyPrintable(r):
			switch {
			case r <= 0xff:
				b = append(b, `\x`...)
				b = appendHex(b, r, 2)
			case r <= 0xffff:
				b = append(b, `\u`...)
				b = appendHex(b, r, 4)
			default:
				b = append(b, `\U`...)
				b = appendHex(b, r, 8)
			}
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, quote))
}

// isPyPrintable is Python's str.isprintable() for one code point: letters,
// marks, numbers, punctuation, symbols and the ASCII space.
func isPyPrintable(r rune) bool {
	if r >= 0xd800 && r <= 0xdfff {
		return false
	}
	return unicode.IsPrint(r)
}

func appendHex(b []byte, r rune, digits int) []byte {
	h := strconv.FormatInt(int64(r), 16)
	for i := len(h); i < digits; i++ {
		b = append(b, '0')
	}
	return append(b, h...)
}
