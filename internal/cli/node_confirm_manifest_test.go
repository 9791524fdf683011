package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// Receipts that do not fit this data index's manifests are refused as a
// whole: nothing is confirmed.
func TestConfirmManifestRefused(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		s := ship(t, url, secondIndex(t, url))
		if r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest); r.code != 0 {
			t.Fatalf("ingest: exit %d: %s", r.code, r.stderr)
		}
		good, err := os.ReadFile(sneakernet.ReceiptPath(s.manifest))
		sneakerMust(t, err)
		before := s.src.state(t)
		edit := func(fn func(doc map[string]any, files []any)) string {
			var doc map[string]any
			sneakerMust(t, json.Unmarshal(good, &doc))
			fn(doc, doc["files"].([]any))
			out, err := json.Marshal(doc)
			sneakerMust(t, err)
			return string(out)
		}
		file := func(acq, name, md5 string) map[string]any {
			return map[string]any{"acq": acq, "name": name, "md5": md5, "status": "ingested"}
		}
		other := sneakernet.NewUUID()
		for _, c := range []struct{ name, content, stderr string }{
			{"not json", "{", "cannot read receipt: %s: truncated or empty JSON"},
			{"truncated", string(good[:len(good)-10]), "cannot read receipt: %s: truncated or empty JSON"},
			{"manifest", readFile(t, s.manifest), `cannot read receipt: %s: not a sneakernet receipt (format "alpenhorn-sneakernet-manifest", expected "alpenhorn-sneakernet-receipt")`},
			{"version", strings.Replace(string(good), `"version": 1,`, `"version": 7,`, 1), "cannot read receipt: %s: unsupported format version 7 (this alpenhorn reads version 1)"},
			{"status", edit(func(_ map[string]any, files []any) { files[0].(map[string]any)["status"] = "lost" }),
				`cannot read receipt: %s: entry 1: 2025/02/21/23/1324.dat: unknown status "lost"`},
			{"escape", edit(func(doc map[string]any, files []any) {
				doc["files"] = append(files, file("acq2", "../../../etc/passwd", "9dd4e461268c8034f5c8564e155c67a6"))
			}), `cannot read receipt: %s: entry 5: acq2: invalid file name "../../../etc/passwd": invalid start`},
			{"duplicate", edit(func(doc map[string]any, files []any) { doc["files"] = append(files, files[3]) }),
				"cannot read receipt: %s: entry 5 duplicates entry 4: acq2/x.dat"},
			{"same index", edit(func(doc map[string]any, _ []any) { doc["destination"] = doc["source"] }),
				"cannot read receipt: %s: source and destination are the same data index "},
			{"other source", edit(func(doc map[string]any, _ []any) { doc["source"] = other }),
				"receipt %s is for manifest "},
			{"unknown manifest", edit(func(doc map[string]any, _ []any) { doc["manifest"] = other }),
				"receipt %s is for manifest " + other + ", which this data index did not write"},
			{"not listed", edit(func(doc map[string]any, files []any) {
				doc["files"] = append(files, file("acq2", "nomd5.dat", "9dd4e461268c8034f5c8564e155c67a6"))
			}), "receipt %s: entry 5: acq2/nomd5.dat is not in manifest "},
			{"other md5", edit(func(_ map[string]any, files []any) { files[2].(map[string]any)["md5"] = strings.Repeat("0", 32) }),
				"receipt %s: entry 3: 2025/02/22/meta.txt has MD5 sum 00000000000000000000000000000000 in the receipt, 79c359258320ea4d0f3dacfa1bbc11b4 here"},
		} {
			t.Run(c.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "r.json")
				sneakerMust(t, os.WriteFile(path, []byte(c.content), 0o644))
				r := run(t, s.src.url, "", "node", "confirm-manifest", "--receipt", path)
				want := "Error: " + strings.ReplaceAll(c.stderr, "%s", path)
				if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, want) {
					t.Errorf("exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
				}
				if after := s.src.state(t); after != before {
					t.Errorf("the data index changed:\n%s\nwas\n%s", after, before)
				}
			})
		}

		// A data index that never wrote a manifest.
		fresh := secondIndex(t, url)
		initIndex(t, fresh)
		path := sneakernet.ReceiptPath(s.manifest)
		r := run(t, fresh, "", "node", "confirm-manifest", "--receipt", path)
		if r.code != 1 || !strings.HasSuffix(r.stderr, "; this data index has written no manifests\n") {
			t.Errorf("fresh index: exit %d %s", r.code, r.stderr)
		}
		if tables, err := testdb.Open(t, fresh).ListTables(t.Context()); err != nil || strings.Contains(strings.Join(tables, ","), "sneakernet") {
			t.Errorf("fresh index has tables %v (%v)", tables, err)
		}

		usage := "Usage: alpenhorn node confirm-manifest [OPTIONS]\nTry 'alpenhorn node confirm-manifest -h' for help.\n\n"
		for _, c := range []struct {
			args   []string
			stderr string
		}{
			{nil, usage + "Error: Missing option '--receipt'.\n"},
			{[]string{"--receipt", "/nonexistent"}, usage + "Error: Invalid value for '--receipt': File '/nonexistent' does not exist.\n"},
			{[]string{"--receipt", t.TempDir()}, "' is a directory.\n"},
			{[]string{"transport1", "--receipt", path}, usage + "Error: Got unexpected extra argument (transport1)\n"},
		} {
			r := run(t, s.src.url, "", append([]string{"node", "confirm-manifest"}, c.args...)...)
			if r.code != 2 || !strings.HasSuffix(r.stderr, c.stderr) {
				t.Errorf("%v: exit %d %s", c.args, r.code, r.stderr)
			}
		}
		if after := s.src.state(t); after != before {
			t.Errorf("the data index changed:\n%s\nwas\n%s", after, before)
		}
	})
}
