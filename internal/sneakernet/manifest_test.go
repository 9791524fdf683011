package sneakernet

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func sampleManifest() *Manifest {
	m := NewManifest(NewUUID(), "transport1", "siteB")
	reg := time.Date(2025, 2, 21, 23, 13, 24, 500000000, time.UTC)
	m.Files = []ManifestFile{
		{Acq: "2025/02/21", Name: "23/1324.dat", Size: 20, MD5: "d68f8843ce7c809f3b59163a5d737ba9", Registered: reg},
		{Acq: "2025/02/21", Name: "meta.txt", Size: 0, MD5: "d41d8cd98f00b204e9800998ecf8427e", Registered: reg},
	}
	return m
}

func TestManifestRoundTrip(t *testing.T) {
	m := sampleManifest()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// One entry per line, and the document ends with a newline.
	lines := strings.Split(string(data), "\n")
	if !strings.HasPrefix(lines[0], "{") || lines[len(lines)-1] != "" || !strings.Contains(string(data), "\n    {\"acq\":\"2025/02/21\",\"name\":\"meta.txt\",\"size\":0,") {
		t.Errorf("layout:\n%s", data)
	}
	got, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := got.Marshal()
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("re-marshalled differently (%v):\n%s\n%s", err, again, data)
	}

	// No files at all is a manifest too.
	empty := NewManifest(NewUUID(), "t", "")
	data, err = empty.Marshal()
	if err != nil || !strings.HasSuffix(string(data), "\"files\": []\n}\n") || strings.Contains(string(data), "destination") {
		t.Fatalf("empty manifest (%v):\n%s", err, data)
	}
	if got, err := ParseManifest(data); err != nil || len(got.Files) != 0 || got.Files == nil {
		t.Errorf("empty manifest read as %+v, %v", got, err)
	}
}

func TestParseManifestNormalises(t *testing.T) {
	id, src := NewUUID(), NewUUID()
	doc := `{"format": "alpenhorn-sneakernet-manifest", "version": 1, "id": "` + id + `", "source": "` + src + `",
	 "node": "t1", "created": "2025-03-01T12:00:00+02:00",
	 "files": [{"acq": "a", "name": "b", "size": 3, "md5": "D68F8843CE7C809F3B59163A5D737BA9", "registered": "2025-02-21T23:13:24-01:00"}]}`
	m, err := ParseManifest([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	f := m.Files[0]
	if f.MD5 != "d68f8843ce7c809f3b59163a5d737ba9" || f.Registered.Location() != time.UTC || f.Registered.Hour() != 0 ||
		m.Created.Hour() != 10 || m.Destination != "" || f.Path() != "a/b" {
		t.Errorf("parsed %+v", m)
	}
}

func TestParseManifestRefuses(t *testing.T) {
	id, src := NewUUID(), NewUUID()
	head := `"format": "alpenhorn-sneakernet-manifest", "version": 1, "id": "` + id + `", "source": "` + src + `", "node": "t1", "created": "2025-03-01T12:00:00Z"`
	file := func(acq, name string) string {
		return `{"acq": "` + acq + `", "name": "` + name + `", "size": 3, "md5": "d68f8843ce7c809f3b59163a5d737ba9", "registered": "2025-02-21T23:13:24Z"}`
	}
	doc := func(files ...string) string { return "{" + head + `, "files": [` + strings.Join(files, ", ") + "]}" }
	for _, c := range []struct{ doc, err string }{
		{"", "truncated or empty JSON"},
		{"null", `not a sneakernet manifest (format none, expected "alpenhorn-sneakernet-manifest")`},
		{`{"format": "alpenhorn-sneakernet-manifest"}`, "no format version"},
		{`{"format": "alpenhorn-sneakernet-manifest", "version": 1.5}`, "invalid format version 1.5"},
		{`{"format": "alpenhorn-sneakernet-manifest", "version": 0}`, "unsupported format version 0 (this alpenhorn reads version 1)"},
		{"{" + head + "}", `missing field "files"`},
		{"{" + head + `, "files": null}`, `missing field "files"`},
		{strings.Replace(doc(), `"node": "t1", `, "", 1), `missing field "node"`},
		{strings.Replace(doc(), `"node": "t1"`, `"node": ""`, 1), "empty node name"},
		{strings.Replace(doc(), `"node": "t1"`, `"node": "`+strings.Repeat("n", 65)+`"`, 1), "node name too long: 65 characters (at most 64)"},
		{strings.Replace(doc(), src, strings.ToUpper(src), 1), "invalid source data index"},
		{strings.Replace(doc(), "2025-03-01T12:00:00Z", "yesterday", 1), `invalid time "yesterday" (expected RFC 3339, such as 2025-02-21T23:13:24Z)`},
		{strings.Replace(doc(), "2025-03-01T12:00:00Z", "0001-01-01T00:00:00+01:00", 1), "creation time out of range"},
		{doc(file("a", "b"), file("a", "b")), "entry 2 duplicates entry 1: a/b"},
		{doc(file("a/b", "c"), file("a", "b/c")), "entry 2 duplicates entry 1: a/b/c"},
		{doc(file("", "b")), `entry 1: invalid acquisition name "": empty path`},
		{doc(file("a", "")), `entry 1: a: invalid file name "": empty path`},
		{doc(file("..", "b")), `entry 1: invalid acquisition name "..": invalid path`},
		{doc(file("a", "b/..")), `entry 1: a: invalid file name "b/..": invalid end`},
		{doc(file("a", "./b")), `entry 1: a: invalid file name "./b": invalid start`},
		{doc(file("a", "b//c")), `entry 1: a: invalid file name "b//c": repeated /`},
		{doc(file("a", `b\u0000c`)), `entry 1: a: invalid file name "b\x00c"`},
		{doc(file(strings.Repeat("a", 65), "b")), "entry 1: acquisition name too long: 65 characters (at most 64)"},
		{doc(strings.Replace(file("a", "b"), `"size": 3`, `"size": -1`, 1)), "entry 1: a/b: negative size -1"},
		{doc(strings.Replace(file("a", "b"), `"size": 3`, `"size": 3.5`, 1)), "invalid value for files.size"},
		{doc(strings.Replace(file("a", "b"), `"size": 3, `, ``, 1)), `entry 1: missing field "size"`},
		{doc(strings.Replace(file("a", "b"), `d68f8843ce7c809f3b59163a5d737ba9`, `0x68f8843ce7c809f3b59163a5d737ba9`, 1)), `entry 1: a/b: invalid MD5 sum "0x68f8843ce7c809f3b59163a5d737ba9"`},
		{doc(strings.Replace(file("a", "b"), `"size"`, `"sizes"`, 1)), `invalid JSON: json: unknown field "sizes"`},
		{doc(file("a", "b")) + "\n]", "invalid JSON: unexpected data after the JSON object"},
		{`{"format": 1}`, `invalid value for format`},
		{"\xff", "invalid JSON at byte 1"},
	} {
		m, err := ParseManifest([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseManifest(%.60q) = %v, %v; want error %q", c.doc, m, err, c.err)
		}
	}
}

func TestReceipt(t *testing.T) {
	m := sampleManifest()
	r := NewReceipt(m, NewUUID())
	r.Files = []ReceiptFile{
		{Acq: "2025/02/21", Name: "23/1324.dat", MD5: "d68f8843ce7c809f3b59163a5d737ba9", Status: Ingested},
		{Acq: "2025/02/21", Name: "meta.txt", MD5: "d41d8cd98f00b204e9800998ecf8427e", Status: Failed, Reason: "not on the node"},
	}
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseReceipt(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Manifest != m.ID || got.Source != m.Source || !got.Files[0].Held() || got.Files[1].Held() || got.Files[1].Reason != "not on the node" {
		t.Errorf("read back %+v", got)
	}
	for _, c := range []struct{ manifest, receipt string }{
		{"/media/t1/.alpenhorn-manifest.json", "/media/t1/.alpenhorn-manifest.receipt.json"},
		{"m", "m.receipt.json"},
		{"dir/m.txt", "dir/m.txt.receipt.json"},
	} {
		if got := ReceiptPath(c.manifest); got != c.receipt {
			t.Errorf("ReceiptPath(%q) = %q, want %q", c.manifest, got, c.receipt)
		}
	}
	for _, c := range []struct {
		edit func(*Receipt)
		err  string
	}{
		{func(r *Receipt) { r.Destination = r.Source }, "source and destination are the same data index"},
		{func(r *Receipt) { r.Manifest = "x" }, `invalid manifest id "x"`},
		{func(r *Receipt) { r.Files[1].Status = "" }, `entry 2: 2025/02/21/meta.txt: unknown status ""`},
		{func(r *Receipt) { r.Files[1].Name = "../x" }, `entry 2: 2025/02/21: invalid file name "../x": invalid start`},
		{func(r *Receipt) { r.Files[1] = r.Files[0] }, "entry 2 duplicates entry 1"},
		{func(r *Receipt) { r.Version = 2 }, "unsupported format version 2"},
	} {
		bad := *got
		bad.Files = append([]ReceiptFile(nil), got.Files...)
		c.edit(&bad)
		if _, err := bad.Marshal(); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Marshal: %v, want %q", err, c.err)
		}
	}
}

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !validUUID(u) || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) || seen[u] {
			t.Fatalf("NewUUID() = %q", u)
		}
		seen[u] = true
	}
}

// FuzzParseManifest: whatever the input, parsing does not panic, and what
// it accepts is a valid manifest that survives writing and reading back.
func FuzzParseManifest(f *testing.F) {
	data, err := sampleManifest().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid manifest: %v", err)
		}
		for _, e := range m.Files {
			for _, c := range strings.Split(e.Path(), "/") {
				if c == "" || c == "." || c == ".." {
					t.Fatalf("accepted path %q", e.Path())
				}
			}
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("cannot write an accepted manifest: %v", err)
		}
		m2, err := ParseManifest(out)
		if err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		out2, err := m2.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzParseReceipt: the same for receipts.
func FuzzParseReceipt(f *testing.F) {
	r := NewReceipt(sampleManifest(), NewUUID())
	r.Files = []ReceiptFile{{Acq: "a", Name: "b", MD5: "d68f8843ce7c809f3b59163a5d737ba9", Status: Existed}}
	data, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReceipt(data)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatalf("cannot write an accepted receipt: %v", err)
		}
		r2, err := ParseReceipt(out)
		if err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		if out2, err := r2.Marshal(); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
