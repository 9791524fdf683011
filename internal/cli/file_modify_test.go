package cli

import (
	"fmt"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// fileRecord checks a file's size and hash, and the states of its copies.
func fileRecord(acq, name, record string, copies map[string]string) func(*testing.T, *fileFixture) {
	return func(t *testing.T, f *fileFixture) {
		t.Helper()
		var files []db.ArchiveFile
		if err := f.d.Gorm.Joins("Acq").Where("Acq.name = ? AND archivefile.name = ?", acq, name).Find(&files).Error; err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Fatalf("%d files %s/%s", len(files), acq, name)
		}
		size, md5 := "<nil>", "<nil>"
		if files[0].SizeB != nil {
			size = fmt.Sprint(*files[0].SizeB)
		}
		if files[0].MD5Sum != nil {
			md5 = *files[0].MD5Sum
		}
		got := "size " + size + " md5 " + md5
		if got != record {
			t.Errorf("%s/%s: %s, want %s", acq, name, got, record)
		}
		for node, want := range copies {
			if s := f.copyState(t, acq+"/"+name, node); s != want {
				t.Errorf("%s/%s on %s: %s, want %s", acq, name, node, s, want)
			}
		}
	}
}

func TestFileModify(t *testing.T) {
	const hash = "0123456789abcdef0123456789abcdef"
	usage := func(msg string) string { return fileUsage("file modify FILE", msg) }
	runFileCases(t, []fileCase{
		{name: "nothing to change", args: []string{"file", "modify", "acq2/g1.dat", "--no-reverify"},
			code: 2, stderr: usage("at least of --md5 or --size must be used.")},
		{name: "negative size", args: []string{"file", "modify", "acq2/g1.dat", "--size=-5"},
			code: 1, stderr: "Error: negative file size.\n"},
		{name: "bad hash", args: []string{"file", "modify", "acq2/g1.dat", "--md5", "g123456789abcdef0123456789abcdef"},
			code: 1, stderr: "Error: invalid hash: g123456789abcdef0123456789abcdef.  Expected 32 hex digits.\n"},
		{name: "empty hash", args: []string{"file", "modify", "acq2/g1.dat", "--md5", "", "--size", "1"},
			code: 1, stderr: "Error: invalid hash: .  Expected 32 hex digits.\n"},
		{name: "unknown file", args: []string{"file", "modify", "acq2/nope", "--size", "1"},
			code: 1, stderr: "Error: No such file: acq2/nope\n"},
		// A hash alone leaves the size alone.
		{name: "hash", args: []string{"file", "modify", "acq2/g1.dat", "--md5", hash},
			stdout: "File updated.  2 copies will be re-verified.\n",
			check:  fileRecord("acq2", "g1.dat", "size 2048 md5 "+hash, map[string]string{"N1": "M/Y", "N2": "M/Y"})},
		{name: "same hash", args: []string{"file", "modify", "acq2/g1.dat", "--md5", "d41d8cd98f00b204e9800998ecf8427e", "--size", "2048"},
			stdout: "No change.\n"},
		{name: "hash case", args: []string{"file", "modify", "2025/01/01/f1.dat", "--md5", hash},
			stdout: "File updated.  2 copies will be re-verified.\n",
			check:  fileRecord("2025/01/01", "f1.dat", "size 1024 md5 "+hash, map[string]string{"N1": "M/Y", "N2": "M/Y"})},
		{name: "size, removable copy", args: []string{"file", "modify", "2025/01/01/sub/f2.dat", "--size", "53"},
			stdout: "File updated.  1 copy will be re-verified.\n",
			check: fileRecord("2025/01/01", "sub/f2.dat", "size 53 md5 4f2a66c1ff5eb90a5013522d53ea2e91",
				map[string]string{"N1": "M/M", "N1b": "N/N"})},
		// Copies already suspect are not counted again.
		{name: "size, suspect copy", args: []string{"file", "modify", "2025/01/01/f3.dat", "--size", "0"},
			stdout: "File updated.  No additional copies need re-verification.\n",
			check: fileRecord("2025/01/01", "f3.dat", "size 0 md5 4c79018e00ddef11af0b9cfc14dd3261",
				map[string]string{"N1": "M/Y"})},
		{name: "released copy", args: []string{"file", "modify", "2025/01/01-b/a.dat", "--size", "13"},
			stdout: "File updated.  1 copy will be re-verified.\n",
			check: fileRecord("2025/01/01-b", "a.dat", "size 13 md5 00000000000000000000000000000001",
				map[string]string{"N1": "M/Y ready", "N3": "Y/N"})},
		{name: "unknown size", args: []string{"file", "modify", "acq2/h1.dat", "--size", "7", "--md5", hash},
			stdout: "File updated.  No additional copies need re-verification.\n",
			check:  fileRecord("acq2", "h1.dat", "size 7 md5 "+hash, map[string]string{"N1": "N/Y"})},
		{name: "no reverify", args: []string{"file", "modify", "acq2/g1.dat", "--size", "1", "--no-reverify"},
			stdout: "File updated.  Re-verification skipped.\n",
			check: fileRecord("acq2", "g1.dat", "size 1 md5 d41d8cd98f00b204e9800998ecf8427e",
				map[string]string{"N1": "X/Y", "N2": "Y/Y"})},
	})
}
