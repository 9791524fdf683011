package nodeio

import (
	"errors"
	"math"
	"regexp"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

// cliIOConfig is the io_config text the CLI writes for `--io-var` values.
func cliIOConfig(vars ...[2]string) string {
	o := format.NewObject()
	for _, kv := range vars {
		o.Set(kv[0], format.ParseIOVarValue(kv[1]))
	}
	return o.PythonJSON()
}

// A config the CLI wrote with NaN or Infinity (`--io-var x=nan`) is read by
// the daemon as the CLI reads it, instead of refusing the node.
func TestParseConfigReadsWhatTheCLIWrites(t *testing.T) {
	text := cliIOConfig([2]string{"a", "nan"}, [2]string{"b", "inf"}, [2]string{"c", "-inf"}, [2]string{"n", "3"},
		[2]string{"s", "x"})
	if text != `{"a": NaN, "b": Infinity, "c": -Infinity, "n": 3, "s": "x"}` {
		t.Fatalf("CLI wrote %s", text)
	}
	conf, err := ParseConfig(&text)
	if err != nil {
		t.Fatalf("ParseConfig(%s): %v", text, err)
	}
	if a, ok := conf["a"].(float64); !ok || !math.IsNaN(a) {
		t.Errorf("a = %#v; want NaN", conf["a"])
	}
	if conf["b"] != math.Inf(1) || conf["c"] != math.Inf(-1) {
		t.Errorf("b, c = %#v, %#v; want +Inf, -Inf", conf["b"], conf["c"])
	}
	// The I/O classes read every number as a float64, nested values too.
	if conf["n"] != float64(3) || conf["s"] != "x" {
		t.Errorf("n, s = %#v, %#v; want float64 3, \"x\"", conf["n"], conf["s"])
	}
	nested := `{"l": [1, 2.5, {"k": 123456789012345678901234567890}], "o": {"z": null, "t": true}}`
	conf, err = ParseConfig(&nested)
	if err != nil {
		t.Fatal(err)
	}
	l := conf["l"].([]any)
	if l[0] != float64(1) || l[1] != 2.5 || l[2].(map[string]any)["k"] != 1.2345678901234568e29 {
		t.Errorf("l = %#v", l)
	}
	if o := conf["o"].(map[string]any); o["z"] != nil || o["t"] != true {
		t.Errorf("o = %#v", o)
	}

	w := newClassWorld(t, "")
	n := w.node("nan", w.group("g", "", ""), nodeSpec{ioConfig: text})
	if _, err := NewNodeIO(w.env, n, w.queue.NewFIFO("Node nan")); err != nil {
		t.Errorf("node with io_config %s refused: %v", text, err)
	}
}

// Text that is not JSON, or JSON but not an object, is refused with the
// text and, for a syntax error, the reason.
func TestParseConfigRefuses(t *testing.T) {
	for text, want := range map[string]string{
		`{"quota_id": "x",`: `^Invalid io_config: "\{"quota_id": "x",": [^"]+\.$`,
		`nan`:               `^Invalid io_config: "nan": [^"]+\.$`,
		`[1, 2]`:            `^Invalid io_config: "\[1, 2\]"\.$`,
		`null`:              `^Invalid io_config: "null"\.$`,
	} {
		_, err := ParseConfig(&text)
		if err == nil || !regexp.MustCompile(want).MatchString(err.Error()) {
			t.Errorf("ParseConfig(%s) = %v; want %s", text, err, want)
		}
		var se *format.SyntaxError
		if errors.As(err, &se) {
			t.Errorf("ParseConfig(%s) wraps the parser's error; it is only part of the message", text)
		}
	}
}
