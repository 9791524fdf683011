package db_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// importReasons are the reasons alpenhorn prints after "invalid name: ".
var importReasons = map[string]bool{
	"empty path": true, "invalid path": true, "invalid start": true, "invalid end": true,
	"repeated /": true, `invalid path element "."`: true, `invalid path element ".."`: true,
}

func FuzzInvalidImportPath(f *testing.F) {
	for _, p := range []string{
		"", ".", "..", "/", "//", "/a", "./a", "../a", "a/", "a/.", "a/..", "a//b", "a/./b", "a/../b",
		"2025/02/21", ".a/b c", "a/.../b", "a/..b/c", "a./b", "a/./", "a/.//b", "..a", "a..", "\x00",
		"a\x00/b", "\xff\xfe", "é/ü", "a/b/c/d/e/f", strings.Repeat("x", 65), strings.Repeat("é", 64),
		strings.Repeat("a/", 200) + "b",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		reason := db.InvalidImportPath(p)
		if reason != "" {
			if !importReasons[reason] {
				t.Fatalf("InvalidImportPath(%q) = %q, not one of alpenhorn's reasons", p, reason)
			}
			return
		}
		// Accepted: the name is a relative path of plain components, so
		// joined under a node root it names something inside the root.
		if strings.HasPrefix(p, "/") {
			t.Fatalf("InvalidImportPath accepted the absolute %q", p)
		}
		for _, c := range strings.Split(p, "/") {
			switch c {
			case "":
				t.Fatalf("InvalidImportPath accepted %q, which has an empty component", p)
			case ".", "..":
				t.Fatalf("InvalidImportPath accepted %q, which has a %q component", p, c)
			}
		}
		for _, bad := range []string{"//", "/../", "/./"} {
			if strings.Contains(p, bad) {
				t.Fatalf("InvalidImportPath accepted %q, which contains %q", p, bad)
			}
		}
	})
}

func FuzzCheckLength(f *testing.F) {
	for _, c := range []struct {
		v   string
		max int
	}{
		{"", 0}, {"a", 0}, {"abc", 3}, {"abcd", 3}, {strings.Repeat("x", 64), db.MaxAcqName},
		{strings.Repeat("x", 65), db.MaxAcqName}, {strings.Repeat("é", 64), db.MaxNodeName},
		{strings.Repeat("é", 65), db.MaxNodeName}, {"\xff\xfe\xfd", 2}, {"a", -1},
		{strings.Repeat("😀", 33), db.MaxMD5},
	} {
		f.Add(c.v, c.max)
	}
	f.Fuzz(func(t *testing.T, v string, max int) {
		err := db.CheckLength("acquisition name", v, max)
		n := utf8.RuneCountInString(v)
		switch {
		case n <= max && err != nil:
			t.Fatalf("CheckLength(%q, %d) refused a value of %d characters: %v", v, max, n, err)
		case n > max && err == nil:
			t.Fatalf("CheckLength(%q, %d) accepted a value of %d characters", v, max, n)
		case err != nil:
			msg := err.Error()
			if !strings.HasPrefix(msg, "acquisition name too long: ") || !strings.Contains(msg, strconv.Itoa(n)+" characters") ||
				!strings.Contains(msg, "at most "+strconv.Itoa(max)) {
				t.Fatalf("CheckLength(%q, %d): message %q does not name the field, the length and the limit", v, max, msg)
			}
		}
	})
}
