package format

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"testing"
)

func TestPythonJSONRoundTrip(t *testing.T) {
	// Stored text → decode → encode, as `node modify --io-var` rewrites a
	// config. Expected texts are Python's json.dumps(json.loads(text)).
	cases := []struct{ in, want string }{
		{`{"a": 1, "b": "x"}`, `{"a": 1, "b": "x"}`},
		{`{"b":1,"a":2}`, `{"b": 1, "a": 2}`},
		{`{"b":1,"a":2,"b":3}`, `{"b": 3, "a": 2}`}, // first place, last value
		{` {"é": "日本", "e": "\ud83d\ude00", "s": "\ud800"} `, `{"\u00e9": "\u65e5\u672c", "e": "\ud83d\ude00", "s": "\ud800"}`},
		{
			`{"f": [1.0, 2.5, 1e-7, 1e16, 1E400, -0.0, 123456789.0], "n": [NaN, Infinity, -Infinity], "big": 123456789012345678901234567890, "z": null, "t": true}`,
			`{"f": [1.0, 2.5, 1e-07, 1e+16, Infinity, -0.0, 123456789.0], "n": [NaN, Infinity, -Infinity], "big": 123456789012345678901234567890, "z": null, "t": true}`,
		},
		{`{"ctl": "\u0001\u007f\b\f\n\r\t\"\\\/"}`, `{"ctl": "\u0001\u007f\b\f\n\r\t\"\\/"}`},
		{`{"nested": {"x": [], "y": {}}}`, `{"nested": {"x": [], "y": {}}}`},
		{"{\n\t\"a\" :\r\n 1 }", `{"a": 1}`},
		{`[1, "a"]`, `[1, "a"]`},
		{`null`, `null`},
	}
	for _, c := range cases {
		v, err := ParseJSON(c.in)
		if err != nil {
			t.Errorf("ParseJSON(%q): %v", c.in, err)
			continue
		}
		if got := PythonJSON(v); got != c.want {
			t.Errorf("PythonJSON(ParseJSON(%q)) = %s, want %s", c.in, got, c.want)
		}
		// Python's output reads back to itself.
		v2, err := ParseJSON(c.want)
		if err != nil || PythonJSON(v2) != c.want {
			t.Errorf("%s does not survive a second round trip (%v)", c.want, err)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	// Messages as Python's JSONDecodeError words them.
	cases := []struct{ in, want string }{
		{``, "Expecting value: line 1 column 1 (char 0)"},
		{` `, "Expecting value: line 1 column 2 (char 1)"},
		{`{`, "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
		{`{"a" 1}`, "Expecting ':' delimiter: line 1 column 6 (char 5)"},
		{`{"a": 1,}`, "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"},
		{`[1,]`, "Expecting value: line 1 column 4 (char 3)"},
		{`{a: 1}`, "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
		{"\"\x01\"", "Invalid control character at: line 1 column 2 (char 1)"},
		{`01`, "Extra data: line 1 column 2 (char 1)"},
		{`1.`, "Extra data: line 1 column 2 (char 1)"},
		{`{"a": 1} x`, "Extra data: line 1 column 10 (char 9)"},
		{`"\x"`, "Invalid \\escape: line 1 column 2 (char 1)"},
		{`"\u12g4"`, "Invalid \\uXXXX escape: line 1 column 3 (char 2)"},
		{`nul`, "Expecting value: line 1 column 1 (char 0)"},
		{"\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"},
		{`-`, "Expecting value: line 1 column 1 (char 0)"},
		{"{\"a\":1}\n{}", "Extra data: line 2 column 1 (char 8)"},
		{`{"é": 1 2}`, "Expecting ',' delimiter: line 1 column 9 (char 8)"},
		{`"abc`, "Unterminated string starting at: line 1 column 1 (char 0)"},
		{`{'a': 1}`, "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
	}
	for _, c := range cases {
		_, err := ParseJSON(c.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseJSON(%q) error = %v, want a *SyntaxError", c.in, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("ParseJSON(%q) error = %q, want %q", c.in, err, c.want)
		}
	}
}

func TestParseObject(t *testing.T) {
	o, err := ParseObject(`{"b": 1, "a": "x"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Keys(); !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("Keys() = %q", got)
	}
	for _, text := range []string{`[]`, `null`, `"{}"`, `5`} {
		if _, err := ParseObject(text); !errors.Is(err, ErrNotObject) {
			t.Errorf("ParseObject(%q) error = %v, want ErrNotObject", text, err)
		}
	}
	_, err = ParseObject(`{"a": }`)
	var se *SyntaxError
	if !errors.As(err, &se) || errors.Is(err, ErrNotObject) {
		t.Errorf("ParseObject of bad JSON: error = %v, want a *SyntaxError", err)
	}
}

func TestOrderedObjectEdits(t *testing.T) {
	// The --io-var sequence of §3.9: set in command-line order, an existing
	// key keeps its place, VAR= deletes.
	o, err := ParseObject(`{"quota": 5, "dir": "/x"}`)
	if err != nil {
		t.Fatal(err)
	}
	o.Set("new", ParseIOVarValue("19.20"))
	o.Set("quota", ParseIOVarValue("18"))
	o.Delete("dir")
	o.Delete("absent")
	o.Set("", ParseIOVarValue("12=13"))
	o.Set("f", ParseIOVarValue("1e-7"))
	want := `{"quota": 18, "new": 19.2, "": "12=13", "f": 1e-07}`
	if got := o.PythonJSON(); got != want {
		t.Errorf("PythonJSON() = %s, want %s", got, want)
	}
	if o.Len() != 4 {
		t.Errorf("Len() = %d, want 4", o.Len())
	}
	if v, ok := o.Get("quota"); !ok || v != int64(18) {
		t.Errorf("Get(quota) = %v, %v", v, ok)
	}
	for _, k := range o.Keys() {
		o.Delete(k)
	}
	if o.Len() != 0 || o.PythonJSON() != "{}" || NewObject().PythonJSON() != "{}" {
		t.Errorf("emptied object: Len %d, JSON %s", o.Len(), o.PythonJSON())
	}
}

func TestParseIOVarValue(t *testing.T) {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	cases := []struct {
		in   string
		want any
	}{
		{"18", int64(18)},
		{" 7 ", int64(7)},
		{"1_000", int64(1000)},
		{"+5", int64(5)},
		{"-0", int64(0)},
		{"007", int64(7)},
		{"\t12\n", int64(12)},
		{"\u00a012\u2003", int64(12)},
		{"\u0661\u0662", int64(12)}, // Arabic-Indic digits
		{"１２", int64(12)},           // fullwidth digits
		{"123456789012345678901234567890", big1},
		{"19.20", 19.2},
		{"1e-7", 1e-7},
		{"1_000.5", 1000.5},
		{"1e1_0", 1e10},
		{".5", 0.5},
		{"5.", 5.0},
		{"-iNF", math.Inf(-1)},
		{"Infinity", math.Inf(1)},
		{"1e999", math.Inf(1)},
		{"1__0", "1__0"},
		{"_1", "_1"},
		{"1_", "1_"},
		{"1_.5", "1_.5"},
		{"0x10", "0x10"},
		{"1 2", "1 2"},
		{"\x1c5\x1f", "\x1c5\x1f"}, // str.isspace() but not stripped by int()
		{"- 1", "- 1"},
		{".", "."},
		{"1e", "1e"},
		{"12=13", "12=13"},
		{"yes", "yes"},
		{" ", " "},
	}
	for _, c := range cases {
		got := ParseIOVarValue(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseIOVarValue(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
	if v, ok := ParseIOVarValue("nan").(float64); !ok || !math.IsNaN(v) {
		t.Errorf("ParseIOVarValue(nan) = %v, want NaN", v)
	}
}

func TestPythonFloatRepr(t *testing.T) {
	cases := []struct {
		f          float64
		repr, g, j string
	}{
		{0.1, "0.1", "0.1", "0.1"},
		{2.5, "2.5", "2.5", "2.5"},
		{1e-7, "1e-07", "1e-07", "1e-07"},
		{1e16, "1e+16", "1e+16", "1e+16"},
		{1e15, "1000000000000000.0", "1e+15", "1000000000000000.0"},
		{123456789.0, "123456789.0", "1.23457e+08", "123456789.0"},
		{0.0001, "0.0001", "0.0001", "0.0001"},
		{0.00001, "1e-05", "1e-05", "1e-05"},
		{465661.29, "465661.29", "465661", "465661.29"},
		{5, "5.0", "5", "5.0"},
		{0, "0.0", "0", "0.0"},
		{math.Copysign(0, -1), "-0.0", "-0", "-0.0"},
		{1.5e300, "1.5e+300", "1.5e+300", "1.5e+300"},
		{5e-324, "5e-324", "4.94066e-324", "5e-324"},
		{math.Inf(1), "inf", "inf", "Infinity"},
		{math.Inf(-1), "-inf", "-inf", "-Infinity"},
		{math.NaN(), "nan", "nan", "NaN"},
	}
	for _, c := range cases {
		if got := PythonFloatRepr(c.f); got != c.repr {
			t.Errorf("PythonFloatRepr(%v) = %q, want %q", c.f, got, c.repr)
		}
		if got := PythonG(c.f); got != c.g {
			t.Errorf("PythonG(%v) = %q, want %q", c.f, got, c.g)
		}
		if got := PythonJSON(c.f); got != c.j {
			t.Errorf("PythonJSON(%v) = %q, want %q", c.f, got, c.j)
		}
	}
}

func TestPythonRepr(t *testing.T) {
	o := NewObject()
	o.Set("x", 1.0)
	o.Set("it's", []any{int64(1), "a", nil, true})
	cases := []struct {
		v    any
		want string
	}{
		{nil, "None"},
		{true, "True"},
		{int64(-3), "-3"},
		{1e-7, "1e-07"},
		{"plain", "'plain'"},
		{"it's", `"it's"`},
		{`it's "q"`, `'it\'s "q"'`},
		{"tab\t\\\n\r", `'tab\t\\\n\r'`},
		{"\x00\x7f\u0085\u00a0é\u200b😀\U000e0001", `'\x00\x7f\x85\xa0é\u200b😀\U000e0001'`},
		{[]any{}, "[]"},
		{o, `{'x': 1.0, "it's": [1, 'a', None, True]}`},
	}
	for _, c := range cases {
		if got := PythonRepr(c.v); got != c.want {
			t.Errorf("PythonRepr(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
	if got := PythonStr("plain"); got != "plain" {
		t.Errorf("PythonStr(plain) = %q", got)
	}
}
