package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// wantGroup checks a group's name, class, notes and I/O config.
func wantGroup(name, want string) func(t *testing.T, d *db.DB) {
	return wantRows(want, "storagegroup", "name, io_class, notes, io_config", "name = ?", name)
}

func TestGroupCreate(t *testing.T) {
	runIndexSteps(t, false, []indexStep{
		// The default class is stored, unlike node create's.
		{args: words("group create demo_storage1"), stdout: "Created storage group \"demo_storage1\".\n",
			check: wantGroup("demo_storage1", "demo_storage1|Default|NULL|NULL")},
		{args: words("group create --class=Transport transport_group"), stdout: "Created storage group \"transport_group\".\n",
			check: wantGroup("transport_group", "transport_group|Transport|NULL|NULL")},
		{args: []string{"group", "create", "G", "-i", "X", "--notes", "some notes", "--io-config", `{"b": true, "a": "x", "l": [1, null]}`,
			"--io-var", "c=18", "--io-var", "d=1e-7", "--io-var", "e=inf", "--io-var", "f= 7 ", "--io-var", "g=a=b",
			"--io-var", "b=", "--io-var", "h=\u00fc", "--io-var", "=empty", "--io-var", "n=1_000"},
			stdout: "Created storage group \"G\".\n",
			check:  wantGroup("G", `G|X|some notes|{"a": "x", "l": [1, null], "c": 18, "d": 1e-07, "e": Infinity, "f": 7, "g": "a=b", "h": "\u00fc", "": "empty", "n": 1000}`)},
		{args: []string{"-q", "group", "create", "E", "--io-config", `{"a": 1}`, "--io-var", "a=", "--notes="},
			check: wantGroup("E", "E|Default||NULL")},
		{args: words("group create demo_storage1"), code: 1, stderr: "Error: Group \"demo_storage1\" already exists.\n"},
		{args: words("group create DEMO_storage1"), code: 1, stderr: "Error: Group \"DEMO_storage1\" already exists.\n"},
		{args: words("group create X --io-config {"), code: 1, stderr: "Error: Unable to parse --io-config value as JSON.\n"},
		{args: words("group create X --io-config null"), code: 1, stderr: "Error: Argument to --io-config must be a JSON object literal.\n"},
		{args: words("group create X --io-var novalue"), code: 1, stderr: "Error: Missing equals sign in \"--io-var=novalue\"\n"},
		{args: words("group create " + strings.Repeat("g", 65)), code: 1, stderr: "Error: group name too long: 65 characters (at most 64)\n"},
		{args: words("group create X -i " + strings.Repeat("c", 256)), code: 1, stderr: "Error: I/O class too long: 256 characters (at most 255)\n"},
		{args: words("group create"), code: 2, stderr: usageText("group create", "NAME", "Missing argument 'NAME'.")},
		{args: words("group create X --class"), code: 2, stderr: "Error: Option '--class' requires an argument.\n"},
	})
}
