package format

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// ParseIOVarValue converts the value of an `--io-var VAR=VALUE` the way the
// Python CLI does: an integer if Python's int() accepts it ("18", " 7 ",
// "1_000", "-3"), else a float if float() does ("19.20", "1e-7", "inf",
// "nan"), else the string unchanged. Integers come back as int64, or as
// *big.Int when they do not fit; floats as float64.
func ParseIOVarValue(s string) any {
	if v, ok := parsePyInt(s); ok {
		return v
	}
	if f, ok := parsePyFloat(s); ok {
		return f
	}
	return s
}

// PythonFloatRepr formats f as Python's repr(float) (and str(float)) does:
// the shortest string that reads back as f, with ".0" on integral values
// and exponent notation outside 1e-4 ≤ |f| < 1e16: "2.5", "123456789.0",
// "1e-07", "1e+16", "inf", "nan".
func PythonFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if f != 0 && (exp < -4 || exp >= 16) {
		// Go's shortest 'e' form already has Python's two-digit signed exponent.
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// PythonG formats f as Python's format(f, "g"): 6 significant digits,
// trailing zeros dropped ("465661", "5", "1e-05", "1.23457e+08").
func PythonG(f float64) string {
	return pyFormatFloat(f, 'g', 6)
}

// pyFormatFloat implements Python's format(f, ".{prec}{verb}") for the
// verbs 'e', 'f' and 'g'.
func pyFormatFloat(f float64, verb byte, prec int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if verb == 'g' && prec == 0 {
		prec = 1
	}
	return strconv.FormatFloat(f, verb, prec, 64)
}

// parseFloatFmt reads a tabulate floatfmt: "" (meaning "g") or
// "[.precision](e|f|g)". Anything else is a programming error.
func parseFloatFmt(spec string) (verb byte, prec int) {
	if spec == "" {
		return 'g', 6
	}
	verb = spec[len(spec)-1]
	if verb != 'e' && verb != 'f' && verb != 'g' {
		panic("format: unsupported float format " + strconv.Quote(spec))
	}
	body := spec[:len(spec)-1]
	if body == "" {
		return verb, 6
	}
	p, err := strconv.Atoi(strings.TrimPrefix(body, "."))
	if err != nil || body[0] != '.' || p < 0 {
		panic("format: unsupported float format " + strconv.Quote(spec))
	}
	return verb, p
}

// isNumSpace is the whitespace Python's int() and float() strip. It is
// str.isspace() without U+001C..U+001F, which is exactly unicode.IsSpace.
func isNumSpace(r rune) bool { return unicode.IsSpace(r) }

// isStrSpace is Python's str.isspace(), used by str.strip() and rstrip().
func isStrSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// digitValue returns the value of a Unicode decimal digit (category Nd),
// which Python's int() and float() accept in any script. Nd characters come
// in contiguous runs of ten starting at zero.
func digitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10, true
}

// scanDigits reads Python's "digitpart" (digits with single underscores
// between them) from the start of rs and returns the ASCII digits and how
// many runes were consumed; n == 0 when rs does not start with a digit.
func scanDigits(rs []rune) (digits string, n int) {
	var b strings.Builder
	for n < len(rs) {
		if d, ok := digitValue(rs[n]); ok {
			b.WriteByte(byte('0' + d))
			n++
			continue
		}
		if rs[n] == '_' && n > 0 && n+1 < len(rs) {
			if _, ok := digitValue(rs[n+1]); ok {
				n++
				continue
			}
		}
		break
	}
	return b.String(), n
}

// parsePyInt accepts what Python's int(s) accepts in base 10 and returns
// an int64, or a *big.Int when the value does not fit.
func parsePyInt(s string) (any, bool) {
	rs := []rune(strings.TrimFunc(s, isNumSpace))
	neg := false
	if len(rs) > 0 && (rs[0] == '+' || rs[0] == '-') {
		neg = rs[0] == '-'
		rs = rs[1:]
	}
	digits, n := scanDigits(rs)
	if n == 0 || n != len(rs) {
		return nil, false
	}
	if neg {
		digits = "-" + digits
	}
	if v, err := strconv.ParseInt(digits, 10, 64); err == nil {
		return v, true
	}
	v, _ := new(big.Int).SetString(digits, 10)
	return v, true
}

// parsePyFloat accepts what Python's float(s) accepts.
func parsePyFloat(s string) (float64, bool) {
	rs := []rune(strings.TrimFunc(s, isNumSpace))
	sign := ""
	if len(rs) > 0 && (rs[0] == '+' || rs[0] == '-') {
		sign = string(rs[0])
		rs = rs[1:]
	}
	switch strings.ToLower(string(rs)) {
	case "inf", "infinity":
		f, _ := strconv.ParseFloat(sign+"inf", 64)
		return f, true
	case "nan":
		return math.NaN(), true
	}
	var b strings.Builder
	b.WriteString(sign)
	intPart, n := scanDigits(rs)
	b.WriteString(intPart)
	rs = rs[n:]
	mantissa := n > 0
	if len(rs) > 0 && rs[0] == '.' {
		frac, m := scanDigits(rs[1:])
		b.WriteString(".")
		b.WriteString(frac)
		rs = rs[1+m:]
		mantissa = mantissa || m > 0
	}
	if !mantissa {
		return 0, false
	}
	if len(rs) > 0 && (rs[0] == 'e' || rs[0] == 'E') {
		rs = rs[1:]
		b.WriteString("e")
		if len(rs) > 0 && (rs[0] == '+' || rs[0] == '-') {
			b.WriteRune(rs[0])
			rs = rs[1:]
		}
		exp, m := scanDigits(rs)
		if m == 0 {
			return 0, false
		}
		b.WriteString(exp)
		rs = rs[m:]
	}
	if len(rs) != 0 {
		return 0, false
	}
	// The syntax is checked above; ParseFloat only reports a range error,
	// for which it returns what Python gives too (±inf or a rounded zero).
	f, _ := strconv.ParseFloat(b.String(), 64)
	return f, true
}

// isTabulateNumber is tabulate's test for a float-like string: float()
// must accept it, and an infinite or NaN result only counts when spelt
// exactly "inf", "-inf" or "nan" (any case) — so "1e999" and "Infinity"
// are text.
func isTabulateNumber(s string) bool {
	f, ok := parsePyFloat(s)
	if !ok {
		return false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch strings.ToLower(s) {
		case "inf", "-inf", "nan":
			return true
		}
		return false
	}
	return true
}
