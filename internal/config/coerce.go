package config

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

// The coercions below reproduce the conversions alpenhorn has always applied
// to config scalars (Python's int(), float() and str()), so that a config
// accepted or rejected before is accepted or rejected here too:
// "10" is an integer, 2.7 becomes 2, "2.7" is not an integer, booleans
// count as 0 and 1.

var errCoerce = errors.New("cannot coerce")

var (
	pyIntText   = regexp.MustCompile(`^[+-]?[0-9](?:_?[0-9])*$`)
	pyFloatText = regexp.MustCompile(`^[+-]?(?:(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?)$`)
	pyFloatWord = regexp.MustCompile(`(?i)^[+-]?(?:inf|infinity|nan)$`)
)

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return x, nil
	case float64:
		t := math.Trunc(x)
		if math.IsNaN(x) || t < math.MinInt64 || t >= math.MaxInt64 {
			return 0, errCoerce
		}
		return int(t), nil
	case string:
		s := strings.TrimSpace(x)
		if !pyIntText.MatchString(s) {
			return 0, errCoerce
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return 0, errCoerce
		}
		return int(n), nil
	}
	return 0, errCoerce
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if pyFloatWord.MatchString(s) {
			neg := s[0] == '-'
			w := strings.ToLower(strings.TrimLeft(s, "+-"))
			if w == "nan" {
				return math.NaN(), nil
			}
			if neg {
				return math.Inf(-1), nil
			}
			return math.Inf(1), nil
		}
		if !pyFloatText.MatchString(s) {
			return 0, errCoerce
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, errCoerce
		}
		return f, nil
	}
	return 0, errCoerce
}

// toString renders a scalar the way Python's str() does. A YAML null is
// rejected: it can only be a mistake where a string is wanted.
func toString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return format.PythonFloatRepr(x), nil
	}
	return "", errCoerce
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}
