package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// shipped is a transport device filled and described at the source, then
// moved to the destination.
type shipped struct {
	src, dst *sneakerSite
	fileIDs  []int64 // at the source, in sneakerFiles order
	manifest string  // on the device, at the destination
}

// ship fills transport1 at a source index, writes its manifest with every
// option, moves the device directory and sets up the destination index
// (url2) with its own transport1 rooted where the device now is.
func ship(t *testing.T, url, url2 string) *shipped {
	t.Helper()
	base := t.TempDir()
	srcRoot := filepath.Join(base, "siteA", "transport")
	dstRoot := filepath.Join(base, "siteB", "mnt", "transport")
	src, ids := transportSource(t, url, srcRoot)
	r := run(t, url, "", "node", "manifest", "transport1", "--deactivate", "--destination", "siteB", "--mark-unavailable")
	if r.code != 0 {
		t.Fatalf("node manifest: exit %d: %s", r.code, r.stderr)
	}
	sneakerMust(t, os.MkdirAll(filepath.Dir(dstRoot), 0o755))
	sneakerMust(t, os.Rename(srcRoot, dstRoot))
	dst := newSneakerSite(t, url2, dstRoot)
	return &shipped{src: src, dst: dst, fileIDs: ids, manifest: filepath.Join(dstRoot, sneakernet.DeviceManifest)}
}

// dstCopies renders the destination's files and their copies on transport1.
func (s *shipped) dstCopies(t *testing.T) string {
	return s.dst.rows(t, `SELECT a.name, f.name, f.size_b, f.md5sum, f.registered, c.has_file, c.wants_file, c.ready, c.size_b
 FROM archivefile f JOIN archiveacq a ON a.id = f.acq_id
 LEFT JOIN archivefilecopy c ON c.file_id = f.id AND c.node_id = (SELECT id FROM storagenode WHERE name = 'transport1')
 ORDER BY a.name, f.name`)
}

// wantCopy is a dstCopies line for a file ingested from sneakerFiles.
func wantCopy(t *testing.T, root string, f sneakerFile) string {
	alloc, err := fsutil.AllocatedSize(filepath.Join(root, f.path()))
	sneakerMust(t, err)
	return strings.Join([]string{f.acq, f.name, strconv.Itoa(len(f.content)), f.md5(), "2025-02-21 23:13:24 +0000 UTC", "Y", "Y", "1", strconv.FormatInt(alloc, 10)}, "|")
}

func TestSneakernetRoundTrip(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		s := ship(t, url, secondIndex(t, url))
		root := s.dst.root
		m := readManifest(t, s.manifest)

		// The destination knows one of the files already, from elsewhere,
		// and one file was damaged on the way.
		s.dst.addFile(t, sneakerFiles[2], "", "", false)
		damaged := filepath.Join(root, sneakerFiles[3].path())
		sneakerMust(t, os.WriteFile(damaged, []byte("y"), 0o644))

		receipt := filepath.Join(root, ".alpenhorn-manifest.receipt.json")
		r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest)
		want := "Not ingesting acq2/x.dat: MD5 sum 415290769594460e2e485922904f345d on the node, 9dd4e461268c8034f5c8564e155c67a6 in the manifest.\n" +
			"Ingested 2/4 files, 1/4 already existed, 1 failed.\n" +
			"Wrote receipt to " + receipt + ".\n"
		if r.code != 1 || r.stdout != want || r.stderr != "Error: 1 file was not ingested.\n" {
			t.Fatalf("ingest: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		wantRows := strings.Join([]string{
			wantCopy(t, root, sneakerFiles[0]), wantCopy(t, root, sneakerFiles[1]), wantCopy(t, root, sneakerFiles[2]),
		}, "\n")
		if got := s.dstCopies(t); got != wantRows {
			t.Errorf("destination after the ingest:\n%s\nwant\n%s", got, wantRows)
		}
		rc := readReceipt(t, receipt)
		self, err := sneakernet.Identity(context.Background(), s.dst.d)
		sneakerMust(t, err)
		var statuses []string
		for _, f := range rc.Files {
			statuses = append(statuses, f.Path()+" "+f.Status)
		}
		if rc.Manifest != m.ID || rc.Source != m.Source || rc.Destination != self || strings.Join(statuses, ", ") !=
			"2025/02/21/23/1324.dat ingested, 2025/02/21/meta.txt ingested, 2025/02/22/meta.txt existed, acq2/x.dat failed" {
			t.Errorf("receipt: %+v", rc)
		}

		// Back at the source, with the receipt.
		r = run(t, s.src.url, "", "node", "confirm-manifest", "--receipt", receipt)
		want = "Confirmed 3/4 files held by data index " + self + ", 0/4 already confirmed, 1 not held.\n"
		if r.code != 0 || r.stdout != want {
			t.Fatalf("confirm: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		// The deletion guard: archive1 holds one copy of each file, and
		// releasing a transport copy needs two. A confirmed remote copy
		// makes the second, except for the file that did not arrive.
		wantDeletable(t, s.src.d, s.fileIDs, []bool{true, true, true, false})

		// Repair the damage and ingest again: what is there already is
		// counted, not read again.
		sneakerMust(t, os.WriteFile(damaged, []byte(sneakerFiles[3].content), 0o644))
		r = run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest)
		want = "Ingested 1/4 files, 3/4 already existed, 0 failed.\nWrote receipt to " + receipt + ".\n"
		if r.code != 0 || r.stdout != want {
			t.Fatalf("second ingest: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		wantRows += "\n" + wantCopy(t, root, sneakerFiles[3])
		if got := s.dstCopies(t); got != wantRows {
			t.Errorf("destination after the second ingest:\n%s\nwant\n%s", got, wantRows)
		}
		r = run(t, s.src.url, "", "node", "confirm-manifest", "--receipt", receipt)
		want = "Confirmed 1/4 files held by data index " + self + ", 3/4 already confirmed, 0 not held.\n"
		if r.code != 0 || r.stdout != want {
			t.Fatalf("second confirm: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
		}
		wantDeletable(t, s.src.d, s.fileIDs, []bool{true, true, true, true})
		if got := s.src.rows(t, "SELECT COUNT(*), COUNT(DISTINCT dataindex) FROM sneakernet_confirmation"); got != "4|1" {
			t.Errorf("confirmations: %s", got)
		}
		// The destination wrote no manifest, so it confirms nothing.
		r = run(t, s.dst.url, "", "node", "confirm-manifest", "--receipt", receipt)
		if r.code != 1 || !strings.Contains(r.stderr, "not of this one ("+self+")") {
			t.Errorf("confirm at the destination: exit %d %s", r.code, r.stderr)
		}
	})
}

// wantDeletable applies the daemon's deletion rule to the source's
// transport copies of files: at least two archive copies, counting the
// confirmed remote ones.
func wantDeletable(t *testing.T, d *db.DB, files []int64, want []bool) {
	t.Helper()
	var remote map[int64]int
	sneakerMust(t, d.Gorm.Transaction(func(tx *gorm.DB) error {
		var err error
		remote, err = sneakernet.ConfirmedRemoteCopies(tx, files)
		return err
	}))
	for i, id := range files {
		var archive int64
		sneakerMust(t, d.Gorm.Raw(`SELECT COUNT(*) FROM archivefilecopy c JOIN storagenode n ON n.id = c.node_id
 WHERE c.file_id = ? AND c.has_file = 'Y' AND n.storage_type = 'A'`, id).Scan(&archive).Error)
		if got := archive+int64(remote[id]) >= 2; got != want[i] {
			t.Errorf("file %d: %d archive + %d confirmed copies; deletable %v, want %v", id, archive, remote[id], got, want[i])
		}
	}
}

func readReceipt(t *testing.T, path string) *sneakernet.Receipt {
	t.Helper()
	r, err := sneakernet.ReadReceipt(path)
	sneakerMust(t, err)
	return r
}

// An ingest interrupted after two files keeps them; the next run counts
// them as existing and registers the rest.
func TestIngestManifestInterrupted(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		s := ship(t, url, secondIndex(t, url))
		m := readManifest(t, s.manifest)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in, err := prepareIngest(ctx, s.dst.d, "transport1", m, s.manifest)
		sneakerMust(t, err)
		in.self, err = sneakernet.Setup(ctx, s.dst.d)
		sneakerMust(t, err)
		in.progress = func(done int) {
			if done == 2 {
				cancel()
			}
		}
		err = in.run(ctx)
		if err == nil || err.Error() != "interrupted after 2 of 4 files (2 ingested); run the command again to finish" {
			t.Fatalf("interrupted ingest: %v", err)
		}
		root := s.dst.root
		want := wantCopy(t, root, sneakerFiles[0]) + "\n" + wantCopy(t, root, sneakerFiles[1])
		if got := s.dstCopies(t); got != want {
			t.Errorf("after the interruption:\n%s\nwant\n%s", got, want)
		}

		receipt := filepath.Join(t.TempDir(), "r.json")
		r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest, "--receipt", receipt)
		if r.code != 0 || r.stdout != "Ingested 2/4 files, 2/4 already existed, 0 failed.\nWrote receipt to "+receipt+".\n" {
			t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, f := range sneakerFiles[2:] {
			want += "\n" + wantCopy(t, root, f)
		}
		if got := s.dstCopies(t); got != want {
			t.Errorf("after the re-run:\n%s\nwant\n%s", got, want)
		}
		if _, err := os.Stat(sneakernet.ReceiptPath(s.manifest)); err == nil {
			t.Error("receipt written beside the manifest although --receipt was given")
		}
	})
}

// A file missing from the device fails alone; once it is back, a re-run
// registers it.
func TestIngestManifestMissingFile(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		s := ship(t, url, secondIndex(t, url))
		missing := filepath.Join(s.dst.root, sneakerFiles[1].path())
		sneakerMust(t, os.Rename(missing, missing+".away"))
		r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest)
		if r.code != 1 || !strings.HasPrefix(r.stdout, "Not ingesting 2025/02/21/meta.txt: not on the node.\nIngested 3/4 files, 0/4 already existed, 1 failed.\n") {
			t.Fatalf("ingest without a file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		sneakerMust(t, os.Rename(missing+".away", missing))
		r = run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Ingested 1/4 files, 3/4 already existed, 0 failed.\n") {
			t.Fatalf("re-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := s.dst.rows(t, "SELECT COUNT(*) FROM archivefilecopy WHERE has_file = 'Y'"); got != "4" {
			t.Errorf("%s present copies", got)
		}
	})
}

// Bad manifests are refused as a whole: nothing registered, and not even
// our tables created.
func TestIngestManifestRefused(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		s := ship(t, url, secondIndex(t, url))
		root := s.dst.root
		good, err := os.ReadFile(s.manifest)
		sneakerMust(t, err)
		run(t, s.dst.url, "", "node", "create", "other", "--field", "--group", "transport_group", "--root", root)
		outside := filepath.Join(t.TempDir(), "secret")
		sneakerMust(t, os.WriteFile(outside, []byte("x"), 0o644))
		sneakerMust(t, os.Symlink(outside, filepath.Join(root, "acq2", "link.dat")))
		sneakerMust(t, os.Symlink(filepath.Dir(outside), filepath.Join(root, "linkdir")))
		before := s.dst.state(t)

		// edit returns the manifest as a JSON object changed by fn.
		edit := func(fn func(doc map[string]any, files []any) any) string {
			var doc map[string]any
			sneakerMust(t, json.Unmarshal(good, &doc))
			out, err := json.Marshal(fn(doc, doc["files"].([]any)))
			sneakerMust(t, err)
			return string(out)
		}
		entry := func(acq, name string) map[string]any {
			return map[string]any{"acq": acq, "name": name, "size": 1, "md5": "9dd4e461268c8034f5c8564e155c67a6", "registered": "2025-02-21T23:13:24Z"}
		}
		// withEntry returns the manifest with one more entry.
		withEntry := func(acq, name string) string {
			return edit(func(doc map[string]any, files []any) any { doc["files"] = append(files, entry(acq, name)); return doc })
		}
		prefix := "Error: cannot read manifest: "
		for _, c := range []struct {
			name, content string
			node          string
			stderr        string
		}{
			{"not json", "hello", "", "invalid JSON at byte 1: invalid character 'h' looking for beginning of value"},
			{"empty", "", "", "truncated or empty JSON"},
			{"truncated", string(good[:len(good)/2]), "", "truncated or empty JSON"},
			{"trailing", string(good) + "{}", "", "invalid JSON: unexpected data after the JSON object"},
			{"array", "[1]", "", "invalid JSON: expected an object, found array"},
			{"version", strings.Replace(string(good), `"version": 1`, `"version": 2`, 1), "", "unsupported format version 2 (this alpenhorn reads version 1)"},
			{"version text", strings.Replace(string(good), `"version": 1`, `"version": "1"`, 1), "", `invalid format version "1"`},
			{"receipt", `{"format": "alpenhorn-sneakernet-receipt", "version": 1}`, "",
				`not a sneakernet manifest (format "alpenhorn-sneakernet-receipt", expected "alpenhorn-sneakernet-manifest")`},
			{"unknown field", edit(func(doc map[string]any, _ []any) any { doc["extra"] = 1; return doc }), "", `invalid JSON: json: unknown field "extra"`},
			{"missing md5", edit(func(doc map[string]any, files []any) any { delete(files[1].(map[string]any), "md5"); return doc }), "",
				`entry 2: missing field "md5"`},
			{"bad md5", edit(func(doc map[string]any, files []any) any { files[0].(map[string]any)["md5"] = "xyz"; return doc }), "",
				`entry 1: 2025/02/21/23/1324.dat: invalid MD5 sum "xyz"`},
			{"duplicate", edit(func(doc map[string]any, files []any) any { doc["files"] = append(files, files[1]); return doc }), "",
				"entry 5 duplicates entry 2: 2025/02/21/meta.txt"},
			{"same path", withEntry("2025/02/21/23", "1324.dat"), "", "entry 5 duplicates entry 1: 2025/02/21/23/1324.dat"},
			{"dotdot", withEntry("acq2", "../../etc/passwd"), "",
				`entry 5: acq2: invalid file name "../../etc/passwd": invalid start`},
			{"absolute", withEntry("/etc", "passwd"), "",
				`entry 5: invalid acquisition name "/etc": invalid start`},
			{"inner dotdot", withEntry("acq2", "a/../../x"), "",
				`entry 5: acq2: invalid file name "a/../../x": invalid path element ".."`},
			{"bad id", edit(func(doc map[string]any, _ []any) any { doc["id"] = "42"; return doc }), "", `invalid manifest id "42"`},
			{"other node", string(good), "other", "Error: manifest %s is for node \"transport1\", not \"other\"\n"},
			{"symlink out", withEntry("acq2", "link.dat"), "",
				"Error: manifest %s: entry 5: acq2/link.dat leads outside the root of node \"transport1\"\n"},
			{"directory link out", withEntry("linkdir", "secret"), "",
				"Error: manifest %s: entry 5: linkdir/secret leads outside the root of node \"transport1\"\n"},
			{"other device", edit(func(doc map[string]any, _ []any) any { doc["id"] = sneakernet.NewUUID(); return doc }), "",
				"Error: manifest %s is "},
		} {
			t.Run(c.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "m.json")
				sneakerMust(t, os.WriteFile(path, []byte(c.content), 0o644))
				node := "transport1"
				if c.node != "" {
					node = c.node
				}
				r := run(t, s.dst.url, "", "node", "ingest-manifest", node, "--manifest", path)
				want := prefix + path + ": " + c.stderr + "\n"
				if strings.HasPrefix(c.stderr, "Error: ") {
					want = strings.ReplaceAll(c.stderr, "%s", path)
				}
				if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, want) {
					t.Errorf("exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
				}
				if after := s.dst.state(t); after != before {
					t.Errorf("the data index changed:\n%s\nwas\n%s", after, before)
				}
				if _, err := os.Stat(sneakernet.ReceiptPath(path)); err == nil {
					t.Error("receipt written")
				}
			})
		}
		if r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1"); r.code != 2 || !strings.HasSuffix(r.stderr, "Error: Missing option '--manifest'.\n") {
			t.Errorf("without --manifest: exit %d %s", r.code, r.stderr)
		}
		if r := run(t, s.dst.url, "", "node", "ingest-manifest", "transport1", "--manifest", "/nonexistent"); r.code != 2 ||
			!strings.HasSuffix(r.stderr, "Error: Invalid value for '--manifest': File '/nonexistent' does not exist.\n") {
			t.Errorf("missing manifest: exit %d %s", r.code, r.stderr)
		}
		if r := run(t, s.dst.url, "", "node", "ingest-manifest", "nope", "--manifest", s.manifest); r.code != 1 || r.stderr != "Error: manifest "+s.manifest+" is for node \"transport1\", not \"nope\"\n" {
			t.Errorf("unknown node: exit %d %s", r.code, r.stderr)
		}
		// At the source, where it was written.
		sneakerMust(t, s.src.d.Gorm.Model(&db.StorageNode{}).Where("name = 'transport1'").Update("root", root).Error)
		if r := run(t, s.src.url, "", "node", "ingest-manifest", "transport1", "--manifest", s.manifest); r.code != 1 ||
			r.stderr != "Error: manifest "+s.manifest+" was written by this data index\n" {
			t.Errorf("ingest at the source: exit %d %s", r.code, r.stderr)
		}
		if s.dst.state(t) != before {
			t.Error("the destination changed")
		}
		entries, err := os.ReadDir(root)
		sneakerMust(t, err)
		for _, e := range entries {
			if fsutil.IsTemp(e.Name()) || strings.Contains(e.Name(), "receipt") {
				t.Errorf("left at the root: %s", e.Name())
			}
		}
	})
}
