package format

import (
	"unicode"

	"golang.org/x/text/width"
)

// runeWidth is the terminal width of one code point as Python's wcwidth
// package (which tabulate uses when installed) measures it: -1 for control
// characters, 0 for NUL, combining marks, format characters, line and
// paragraph separators, Hangul medial/final jamo and emoji skin-tone
// modifiers, 2 for East-Asian wide and fullwidth characters, else 1.
func runeWidth(r rune) int {
	switch {
	case r >= 0x20 && r < 0x7f:
		return 1
	case r == 0:
		return 0
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return -1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf, unicode.Zl, unicode.Zp),
		r >= 0x1160 && r <= 0x11ff, r >= 0xd7b0 && r <= 0xd7ff, r >= 0x1f3fb && r <= 0x1f3ff:
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// textWidth is wcwidth.wcswidth: the sum of the code points' widths, or -1
// if any of them is a control character. A zero-width joiner hides the
// code point after it, as in emoji sequences.
func textWidth(s string) int {
	total := 0
	skip := false
	for _, r := range decodeText(s) {
		if skip {
			skip = false
			continue
		}
		if r == 0x200d {
			skip = true
			continue
		}
		w := runeWidth(r)
		if w < 0 {
			return -1
		}
		total += w
	}
	return total
}
