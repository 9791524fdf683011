package cli

import (
	"path"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// FuzzNormalisePath checks the lexical normalisation of ACQ/FILE paths
// against POSIX path cleaning, which it must equal wherever ".." does not
// come into play.
func FuzzNormalisePath(f *testing.F) {
	for _, p := range []string{
		"", ".", "/", "//", "a", "a/", "a//b", "./a/./b/.", "/a/../b", "a/..", "..", "../a", ".../a",
		"a/./../b", "2025/01/01/f1.dat", " a / b ", "a\x00/b", "\xff/\xfe", "///a///b///",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := normalisePath(p)
		if normalisePath(got) != got {
			t.Fatalf("normalisePath(%q) = %q, which normalises again to %q", p, got, normalisePath(got))
		}
		if strings.HasPrefix(got, "/") != strings.HasPrefix(p, "/") {
			t.Fatalf("normalisePath(%q) = %q: absoluteness changed", p, got)
		}
		comps := func(s string) []string {
			var out []string
			for _, c := range strings.Split(s, "/") {
				if c != "" && c != "." {
					out = append(out, c)
				}
			}
			return out
		}
		if strings.Join(comps(p), "/") != strings.Join(comps(got), "/") {
			t.Fatalf("normalisePath(%q) = %q: components changed", p, got)
		}
		if got != "/" && got != "." {
			for _, c := range strings.Split(strings.TrimPrefix(got, "/"), "/") {
				if c == "" || c == "." {
					t.Fatalf("normalisePath(%q) = %q, has a %q component", p, got, c)
				}
			}
		}
		if !hasDotDot(p) && got != path.Clean(p) {
			t.Fatalf("normalisePath(%q) = %q, path.Clean gives %q", p, got, path.Clean(p))
		}
	})
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// fuzzFiles are the files of the index the ACQ/FILE search runs against.
// Several split the same text in different places ("a/b/c" is both a/b +
// c and a + b/c), and the names use characters SQL treats specially.
var fuzzFiles = [][2]string{
	{"a", "b/c"}, {"a/b", "c"}, {"a", "b"}, {"a/b/c", "d"}, {"a", "b/c/d"},
	{"2025/01/01", "f1.dat"}, {"2025/01/01", "sub/f2.dat"}, {"Mixed/Case", "File.DAT"},
	{"x..y", "..z"}, {"...", "..."}, {"pct%", "_under"}, {"quote'", "semi;colon"},
	{"sp ace", "tab\tname"}, {"é/ü", "ß.dat"}, {"acq", "a/b/c/d/e/f/g"},
}

// asciiFold lowers ASCII letters only, as SQLite's NOCASE collation does.
func asciiFold(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// expectFile is what the ACQ/FILE search must find for the normalised p:
// the fixture with the longest acquisition name that splits p, or none.
func expectFile(p string) (acq, name string, ok bool) {
	if strings.HasPrefix(p, "/") {
		return "", "", false
	}
	for _, fx := range fuzzFiles {
		if len(fx[0]) >= len(p) || p[len(fx[0])] != '/' || p[len(fx[0])+1:] != fx[1] ||
			asciiFold(p[:len(fx[0])]) != asciiFold(fx[0]) {
			continue
		}
		if !ok || len(fx[0]) > len(acq) {
			acq, name, ok = fx[0], fx[1], true
		}
	}
	return acq, name, ok
}

// FuzzResolveFile runs the ACQ/FILE split search, and the file-list path
// that strips a node root first, against a real SQLite index.
func FuzzResolveFile(f *testing.F) {
	url := testdb.SQLiteURL(f)
	initIndex(f, url)
	d := testdb.Open(f, url)
	acqIDs := map[string]int64{}
	for _, fx := range fuzzFiles {
		if reason := db.InvalidImportPath(fx[0]) + db.InvalidImportPath(fx[1]); reason != "" {
			f.Fatalf("fixture %q/%q: %s", fx[0], fx[1], reason)
		}
		if _, ok := acqIDs[fx[0]]; !ok {
			acq := db.ArchiveAcq{Name: fx[0]}
			if err := d.Gorm.Create(&acq).Error; err != nil {
				f.Fatal(err)
			}
			acqIDs[fx[0]] = acq.ID
		}
		if err := d.Gorm.Create(&db.ArchiveFile{AcqID: acqIDs[fx[0]], Name: fx[1], Registered: db.Now()}).Error; err != nil {
			f.Fatal(err)
		}
	}
	roots := []string{"/data", "/", "/data/", "/data/./", "/data/../data", "data"}

	for _, fx := range fuzzFiles {
		f.Add(fx[0]+"/"+fx[1], uint8(0))
	}
	for _, p := range []string{
		"", "/", ".", "a", "a/", "/a/b", "a//b", "./a/b/./c", "a/b/c/", "a/b/../b/c", "../a/b", "a/../a/b",
		"mixed/case/file.dat", "MIXED/CASE/File.DAT", "mixed/case/FILE.DAT", "pct_/_under", "pct%/%",
		"/data/a/b", "/data/a/b/c", "/data//a/./b", "/data/x/../a/b", "/data/../data/a/b", "/data2/a/b",
		"/dataa/b", "/a/b/c/d", "data/a/b",
	} {
		for i := range roots {
			f.Add(p, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, p string, which uint8) {
		root := roots[int(which)%len(roots)]
		norm := normalisePath(p)

		got, err := resolveFile(d, d.Gorm, p)
		acq, name, want := expectFile(norm)
		check := func(what, q string, got *db.ArchiveFile, err error, acq, name string, want bool) {
			t.Helper()
			if !want {
				if err == nil {
					t.Fatalf("%s %q found %d (%q), want nothing", what, q, got.ID, got.Name)
				}
				if !strings.HasPrefix(err.Error(), "No such file") {
					t.Fatalf("%s %q: %v", what, q, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s %q: %v, want %s/%s", what, q, err, acq, name)
			}
			if got.AcqID != acqIDs[acq] || got.Name != name {
				t.Fatalf("%s %q found %q in acquisition %d, want %s/%s", what, q, got.Name, got.AcqID, acq, name)
			}
		}
		check("resolveFile", p, got, err, acq, name, want)
		if err != nil && err.Error() != "No such file: "+norm {
			t.Fatalf("resolveFile(%q): %q, want the normalised path in the message", p, err)
		}

		// In a file list, a line under the node root loses the root: the
		// rest must resolve as the relative path it spells, ".." kept.
		if strings.ContainsAny(p, "\n\r") || strings.TrimSpace(p) != p || p == "" || p[0] == '#' {
			return
		}
		fl := &fileList{source: "stdin", given: true, lines: []fileListLine{{1, p}}}
		ids, err := fl.resolve(d, d.Gorm, &root)
		rel := norm
		if r := normalisePath(root); strings.HasPrefix(norm, "/") {
			switch {
			case r == "/":
				rel = strings.TrimPrefix(norm, "/")
			case strings.HasPrefix(norm, r+"/"):
				rel = strings.TrimPrefix(norm, r+"/")
			}
		}
		acq, name, want = expectFile(rel)
		var found *db.ArchiveFile
		if err == nil {
			if len(ids) != 1 {
				t.Fatalf("file list %q under %q: %d files", p, root, len(ids))
			}
			for id := range ids {
				var f db.ArchiveFile
				if err := d.Gorm.First(&f, id).Error; err != nil {
					t.Fatal(err)
				}
				found = &f
			}
		} else if !strings.HasPrefix(err.Error(), "No such file on line 1 of stdin: ") {
			t.Fatalf("file list %q under %q: %v", p, root, err)
		}
		check("file list line under root "+root, p, found, err, acq, name, want)
	})
}

// FuzzReadFileList reads arbitrary text as a -F list from stdin: every
// entry must be a trimmed, non-empty line that was not a comment, with its
// physical line number.
func FuzzReadFileList(f *testing.F) {
	for _, s := range []string{
		"", "\n", "a/b\n", "# c\n a/b \n\n#x\n c/d", " # not a comment\n", "a/b\r\nc/d\r\n", "\x00\n\xff",
		strings.Repeat("x", 70000) + "\na/b\n", "\t\v\f\u00a0a/b\u2003\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		a := &App{Stdin: strings.NewReader(data)}
		fl, err := a.readFileList("-")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "error reading -: ") {
				t.Fatalf("readFileList: %v", err)
			}
			return
		}
		if !fl.given || fl.source != "stdin" {
			t.Fatalf("readFileList(-) = source %q, given %t", fl.source, fl.given)
		}
		physical := strings.Split(data, "\n")
		entries := 0
		for _, raw := range physical {
			if !strings.HasPrefix(raw, "#") && strings.TrimSpace(raw) != "" {
				entries++
			}
		}
		if len(fl.lines) != entries {
			t.Fatalf("%d entries read from %q, want %d", len(fl.lines), data, entries)
		}
		last := 0
		for _, l := range fl.lines {
			if l.n <= last || l.n > len(physical) {
				t.Fatalf("line number %d after %d, of %d lines", l.n, last, len(physical))
			}
			last = l.n
			raw := physical[l.n-1]
			if l.text == "" || l.text != strings.TrimSpace(l.text) || strings.HasPrefix(raw, "#") ||
				!strings.Contains(raw, l.text) {
				t.Fatalf("line %d %q read as %q", l.n, raw, l.text)
			}
		}
	})
}
