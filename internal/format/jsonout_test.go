package format

import (
	"strings"
	"testing"
	"time"
)

func TestWriteJSON(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, map[string]any{"a<b": []int{1}, "n": nil}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a<b\": [\n    1\n  ],\n  \"n\": null\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestRFC3339(t *testing.T) {
	if RFC3339(nil) != nil {
		t.Error("nil time not null")
	}
	tm := time.Date(2025, 2, 21, 23, 13, 24, 500000000, time.FixedZone("x", 3600))
	if got := *RFC3339(&tm); got != "2025-02-21T22:13:24.5Z" {
		t.Errorf("got %s", got)
	}
}
