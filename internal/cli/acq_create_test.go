package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func TestAcqCreate(t *testing.T) {
	long := strings.Repeat("x", db.MaxAcqName+1)
	runIndexSteps(t, true, []indexStep{
		{args: words("acq create new/acq"), stdout: "Created acquisition \"new/acq\".\n",
			check: wantRows("new/acq|NULL", "archiveacq", "name, comment", "name = ?", "new/acq")},
		{args: words("-q acq create quiet"), check: wantRows("quiet", "archiveacq", "name", "name = ?", "quiet")},
		{args: words("acq create new/acq"), code: 1, stderr: "Error: Acquisition \"new/acq\" already exists.\n"},
		// Names compare as MySQL's default collation does, on every engine.
		{args: words("acq create NEW/ACQ"), code: 1, stderr: "Error: Acquisition \"NEW/ACQ\" already exists.\n"},
		{args: []string{"acq", "create", ""}, code: 1, stderr: "Error: invalid name: empty path\n"},
		{args: words("acq create .."), code: 1, stderr: "Error: invalid name: invalid path\n"},
		{args: words("acq create /abs"), code: 1, stderr: "Error: invalid name: invalid start\n"},
		{args: words("acq create ./a"), code: 1, stderr: "Error: invalid name: invalid start\n"},
		{args: words("acq create a/"), code: 1, stderr: "Error: invalid name: invalid end\n"},
		{args: words("acq create a/.."), code: 1, stderr: "Error: invalid name: invalid end\n"},
		{args: words("acq create a//b"), code: 1, stderr: "Error: invalid name: repeated /\n"},
		{args: words("acq create a/./b"), code: 1, stderr: "Error: invalid name: invalid path element \".\"\n"},
		{args: words("acq create a/../b"), code: 1, stderr: "Error: invalid name: invalid path element \"..\"\n"},
		{args: words("acq create " + long), code: 1, stderr: "Error: acquisition name too long: 65 characters (at most 64)\n"},
		{args: words("acq create"), code: 2, stderr: usageText("acq create", "NAME", "Missing argument 'NAME'.")},
		{args: words("acq create a b"), code: 2, stderr: usageText("acq create", "NAME", "Got unexpected extra argument (b)")},
		{args: words("acq create a --comment x"), code: 2, stderr: usageText("acq create", "NAME", "No such option: --comment")},
	})
}
