package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// fileRequests lists a file's transfer requests as "FROM>TO state".
func fileRequests(t *testing.T, f *fileFixture, file string) string {
	t.Helper()
	var reqs []db.ArchiveFileCopyRequest
	err := f.d.Gorm.Joins("File").Joins("NodeFrom").Joins("GroupTo").
		Where("File.name = ?", file).Order("archivefilecopyrequest.id").Find(&reqs).Error
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range reqs {
		state := "pending"
		switch {
		case r.Completed:
			state = "completed"
		case r.Cancelled:
			state = "cancelled"
		}
		if r.Timestamp == nil {
			state += " untimed"
		}
		out = append(out, fmt.Sprintf("%s>%s %s", r.NodeFrom.Name, r.GroupTo.Name, state))
	}
	return strings.Join(out, ", ")
}

func wantFileRequests(file, want string) func(*testing.T, *fileFixture) {
	return func(t *testing.T, f *fileFixture) {
		t.Helper()
		if got := fileRequests(t, f, file); got != want {
			t.Errorf("requests for %s: %s, want %s", file, got, want)
		}
	}
}

func TestFileSync(t *testing.T) {
	usage := func(msg string) string { return fileUsage("file sync FILE", msg) }
	const h1Before = "N1>G2 cancelled, N1>G2 pending"
	runFileCases(t, []fileCase{
		{name: "no source", args: []string{"file", "sync", "acq2/g1.dat", "--to", "G3"},
			code: 2, stderr: usage("missing --from")},
		{name: "empty source", args: []string{"file", "sync", "acq2/g1.dat", "--from=", "--to", "G3"},
			code: 2, stderr: usage("missing --from")},
		{name: "no destination", args: []string{"file", "sync", "acq2/g1.dat", "--from", "N2", "--force"},
			code: 2, stderr: usage("missing --to")},
		{name: "cancel has no short option", args: []string{"file", "sync", "acq2/g1.dat", "-x"},
			code: 2, stderr: usage("No such option: -x")},
		{name: "unknown file", args: []string{"file", "sync", "acq2/nope", "--from", "NX", "--to", "GX"},
			code: 1, stderr: "Error: No such file: acq2/nope\n"},
		{name: "unknown source", args: []string{"file", "sync", "acq2/g1.dat", "--from", "NX", "--to", "GX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "unknown destination", args: []string{"file", "sync", "acq2/g1.dat", "--from", "N2", "--to", "GX"},
			code: 1, stderr: "Error: no such group: GX\n"},
		{name: "already there", args: []string{"file", "sync", "2025/01/01//f1.dat", "--from", "N1", "--to", "g2", "--force"},
			stdout: "Not done: 2025/01/01//f1.dat already present on Node \"N2\" in destination Group \"g2\".\n"},
		{name: "already in own group", args: []string{"file", "sync", "2025/01/01/sub/f2.dat", "--from", "N1", "--to", "G1"},
			stdout: "Not done: 2025/01/01/sub/f2.dat already present on Node \"N1\" in destination Group \"G1\".\n"},
		{name: "source missing", args: []string{"file", "sync", "acq2/h1.dat", "--from", "N1", "--to", "G3"},
			stdout: "Not done: File missing from source.\n"},
		{name: "source corrupt", args: []string{"file", "sync", "acq2/g1.dat", "--from", "N1", "--to", "G3"},
			stdout: "Not done: File missing from source.\n"},
		{name: "no source copy", args: []string{"file", "sync", "acq2/g1.dat", "--from", "N4", "--to", "G3"},
			stdout: "Not done: File missing from source.\n"},
		{name: "forced", args: []string{"file", "sync", "acq2/h1.dat", "--from", "N1", "--to", "G2", "--force"},
			stdout: "File missing from source: forcing request.\nRequest submitted.\n",
			check:  wantFileRequests("h1.dat", h1Before+", N1>G2 pending")},
		{name: "submitted", args: []string{"file", "sync", "2025/01/01/sub/f2.dat", "--from", "n1", "--to", "G2"},
			stdout: "Request submitted.\n", check: wantFileRequests("sub/f2.dat", "N1>G2 pending")},
		// A copy released for removal is still there to be copied.
		{name: "from released copy", args: []string{"file", "sync", "2025/01/01-b/a.dat", "--from", "N3", "--to", "G4"},
			stdout: "Request submitted.\n", check: wantFileRequests("a.dat", "N3>G4 pending")},
		{name: "cancel", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--force"},
			stdout: "Cancelled 1 request.\n", check: wantFileRequests("h1.dat", "N1>G2 cancelled, N1>G2 cancelled")},
		{name: "cancel by route", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--from", "N1", "--to", "G2"},
			stdout: "Cancelled 1 request.\n", check: wantFileRequests("h1.dat", "N1>G2 cancelled, N1>G2 cancelled")},
		{name: "cancel other source", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--from", "N2"},
			stdout: "No requests to cancel.\n"},
		{name: "cancel other destination", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--to", "G3"},
			stdout: "No requests to cancel.\n"},
		{name: "completed is not cancelled", args: []string{"file", "sync", "2025/01/01/f1.dat", "--cancel"},
			stdout: "No requests to cancel.\n"},
		{name: "cancel, unknown source", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--from", "NX", "--to", "GX"},
			code: 1, stderr: "Error: no such node: NX\n"},
		{name: "cancel, unknown destination", args: []string{"file", "sync", "acq2/h1.dat", "--cancel", "--to", "GX"},
			code: 1, stderr: "Error: no such group: GX\n"},
	})
}

func TestFileSyncCancelMany(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		f := newFileFixture(t, url)
		for _, to := range []string{"G3", "G4"} {
			if r := run(t, url, "", "file", "sync", "acq2/h1.dat", "--from", "N1", "--to", to, "--force"); r.code != 0 {
				t.Fatalf("file sync: %+v", r)
			}
		}
		if r := run(t, url, "", "file", "sync", "acq2/h1.dat", "--cancel"); r.stdout != "Cancelled 3 requests.\n" || r.code != 0 {
			t.Errorf("file sync --cancel: %+v", r)
		}
		wantFileRequests("h1.dat", "N1>G2 cancelled, N1>G2 cancelled, N1>G3 cancelled, N1>G4 cancelled")(t, f)
	})
}
