package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// malformed is one invocation a user can get wrong, and how alpenhorn must
// refuse it: exit status, the exact error line, nothing on stdout and the
// data index untouched.
type malformed struct {
	args  []string
	stdin string
	code  int
	// msg is the error line without its "Error: " prefix.
	msg string
	// bare usage errors are printed without the usage block, as click
	// does for an option missing its value or given one it does not take.
	bare bool
}

// malformedInvocations covers every command group. In args, $MISSING
// stands for a path that does not exist and $DIR for a directory.
var malformedInvocations = []malformed{
	// Command words and global options.
	{args: words("bogus"), code: 2, msg: "No such command 'bogus'."},
	{args: words("node bogus"), code: 2, msg: "No such command 'bogus'."},
	{args: words("db bogus"), code: 2, msg: "No such command 'bogus'."},
	{args: words("-q"), code: 2, msg: "Missing command."},
	{args: words("-q -v node list"), code: 2, msg: "cannot use both --quiet and --verbose"},
	{args: words("--quiet --verbose acq list"), code: 2, msg: "cannot use both --quiet and --verbose"},
	{args: words("-q --debug node list"), code: 2, msg: "cannot use both --quiet and --debug"},
	{args: words("--bogus node list"), code: 2, msg: "No such option: --bogus"},
	{args: words("node list -q"), code: 2, msg: "No such option: -q"},
	{args: words("--conf $MISSING node list"), code: 2, msg: "Invalid value for '--conf' / '-c': Path '$MISSING' does not exist."},

	// db
	{args: words("db init extra"), code: 2, msg: "Got unexpected extra argument (extra)"},
	{args: words("db init --force"), code: 2, msg: "No such option: --force"},

	// acq
	{args: words("acq create"), code: 2, msg: "Missing argument 'NAME'."},
	{args: words("acq create a b"), code: 2, msg: "Got unexpected extra argument (b)"},
	{args: []string{"acq", "create", ""}, code: 1, msg: "invalid name: empty path"},
	{args: words("acq create /abs/acq"), code: 1, msg: "invalid name: invalid start"},
	{args: words("acq create ../acq"), code: 1, msg: "invalid name: invalid start"},
	{args: words("acq create a/../b"), code: 1, msg: `invalid name: invalid path element ".."`},
	{args: words("acq create a/./b"), code: 1, msg: `invalid name: invalid path element "."`},
	{args: words("acq create a//b"), code: 1, msg: "invalid name: repeated /"},
	{args: words("acq create a/"), code: 1, msg: "invalid name: invalid end"},
	{args: words("acq create .."), code: 1, msg: "invalid name: invalid path"},
	{args: []string{"acq", "create", strings.Repeat("a", 65)}, code: 1, msg: "acquisition name too long: 65 characters (at most 64)"},
	{args: words("acq files"), code: 2, msg: "Missing argument 'ACQ'."},
	{args: words("acq files acq2 --node N1 --group G1"), code: 2, msg: "cannot use both --node and --group"},
	{args: words("acq files nope"), code: 1, msg: "No such Acquisition: nope"},
	{args: words("acq files acq2 --node NOPE"), code: 1, msg: "No such Storage Node: NOPE"},
	{args: words("acq list --group"), code: 2, msg: "Option '--group' requires an argument.", bare: true},
	{args: words("acq list --group NOPE"), code: 1, msg: "No such group: NOPE"},
	{args: words("acq show nope"), code: 1, msg: "No such Acquisition: nope"},
	{args: words("acq show acq2 --show-nodes=yes"), code: 2, msg: "Option '--show-nodes' does not take a value.", bare: true},

	// file
	{args: words("file clean 2025/01/01/f1.dat"), code: 2, msg: "missing --cancel or --node"},
	{args: words("file clean 2025/01/01/f1.dat --cancel --now"), code: 2, msg: "cannot use both --cancel and --now"},
	{args: words("file clean /2025/01/01/f1.dat --node N1"), code: 1, msg: "No such file: /2025/01/01/f1.dat"},
	{args: words("file clean 2025/01/01/../01/f1.dat --node N1"), code: 1, msg: "No such file: 2025/01/01/../01/f1.dat"},
	{args: words("file clean 2025/01/01/f1.dat --node NOPE"), code: 1, msg: "no such node: NOPE"},
	{args: words("file show acq2//./nope.dat"), code: 1, msg: "No such file: acq2/nope.dat"},
	{args: words("file show f1.dat"), code: 1, msg: "No such file: f1.dat"},
	{args: []string{"file", "show", ""}, code: 1, msg: "No such file: ."},
	{args: words("file create f.dat acq2"), code: 2, msg: "missing either --from-file or both --md5 and --size"},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdef"), code: 2, msg: "--md5 and --size must be used together"},
	{args: words("file create f.dat acq2 --from-file --md5 0123456789abcdef0123456789abcdef --size 1"), code: 2, msg: "cannot use both --from-file and --md5"},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size 1 --prefix /tmp"), code: 2, msg: "--prefix may only be used with --from_file"},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size abc"), code: 2, msg: "Invalid value for '--size': 'abc' is not a valid integer."},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size 1.5"), code: 2, msg: "Invalid value for '--size': '1.5' is not a valid integer."},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size -5"), code: 1, msg: "negative file size."},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef0123456789abcdeg --size 1"), code: 1, msg: "invalid hash: 0123456789abcdef0123456789abcdeg.  Expected 32 hex digits."},
	{args: words("file create f.dat acq2 --md5 0x23456789abcdef0123456789abcdef --size 1"), code: 1, msg: "invalid hash: 0x23456789abcdef0123456789abcdef.  Expected 32 hex digits."},
	{args: words("file create f.dat acq2 --md5 0123456789abcdef --size 1"), code: 1, msg: "invalid hash: 0123456789abcdef.  Expected 32 hex digits."},
	{args: words("file create ../f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size 1"), code: 1, msg: "invalid name: invalid start"},
	{args: words("file create sub//f.dat acq2 --md5 0123456789abcdef0123456789abcdef --size 1"), code: 1, msg: "invalid name: repeated /"},
	{args: []string{"file", "create", strings.Repeat("f", 256), "acq2", "--md5", "0123456789abcdef0123456789abcdef", "--size", "1"}, code: 1, msg: "file name too long: 256 characters (at most 255)"},
	{args: words("file create f.dat nope --md5 0123456789abcdef0123456789abcdef --size 1"), code: 1, msg: "No such acquisition: nope"},
	{args: words("file create f1.dat 2025/01/01 --md5 0123456789abcdef0123456789abcdef --size 1"), code: 1, msg: `the File "2025/01/01/f1.dat" already exists`},
	{args: words("file find --node NOPE"), code: 1, msg: "no such node: NOPE"},
	{args: words("file find --bogus"), code: 2, msg: "No such option: --bogus"},
	{args: words("file import /abs/path N1"), code: 2, msg: "PATH may not be absolute"},
	{args: words("file import x NOPE"), code: 1, msg: "no such node: NOPE"},
	{args: words("file import x"), code: 2, msg: "Missing argument 'NODE'."},
	{args: words("file list --from N1"), code: 2, msg: "--from and --to must be used together"},
	{args: words("file list --from N1 --to G2 --missing"), code: 2, msg: "cannot use both --from and --missing"},
	{args: words("file list --all"), code: 2, msg: "--all cannot be used without a location constraint (one or more of --absent-group, --absent-node, --group, --node)"},
	{args: words("file modify 2025/01/01/f1.dat"), code: 2, msg: "at least of --md5 or --size must be used."},
	{args: words("file modify 2025/01/01/f1.dat --md5 xyz"), code: 1, msg: "invalid hash: xyz.  Expected 32 hex digits."},
	{args: words("file modify 2025/01/01/f1.dat --size -1"), code: 1, msg: "negative file size."},
	{args: words("file state 2025/01/01/f1.dat N1 --set bogus"), code: 2, msg: "invalid state for --set: bogus"},
	{args: words("file state 2025/01/01/f1.dat N1 --ready --unready"), code: 2, msg: "cannot use both --ready and --unready"},
	{args: words("file state 2025/01/01/f1.dat N1 --set"), code: 2, msg: "Option '--set' requires an argument.", bare: true},
	{args: words("file sync 2025/01/01/f1.dat --to G2"), code: 2, msg: "missing --from"},
	{args: words("file sync 2025/01/01/f1.dat --from N1"), code: 2, msg: "missing --to"},
	{args: words("file sync 2025/01/01/f1.dat --from N1 --to NOPE"), code: 1, msg: "no such group: NOPE"},
	{args: words("file verify 2025/01/01/f1.dat"), code: 2, msg: "Missing argument 'NODE'."},
	{args: words("file verify acq2/nosize.dat N1"), code: 1, msg: "File not present on node."},

	// group
	{args: words("group create"), code: 2, msg: "Missing argument 'NAME'."},
	{args: words("group create G1"), code: 1, msg: `Group "G1" already exists.`},
	{args: []string{"group", "create", strings.Repeat("g", 65)}, code: 1, msg: "group name too long: 65 characters (at most 64)"},
	{args: []string{"group", "create", "G9", "--io-config", "{bad"}, code: 1, msg: "Unable to parse --io-config value as JSON."},
	{args: []string{"group", "create", "G9", "--io-config", "[1, 2]"}, code: 1, msg: "Argument to --io-config must be a JSON object literal."},
	{args: []string{"group", "create", "G9", "--io-config", "null"}, code: 1, msg: "Argument to --io-config must be a JSON object literal."},
	{args: words("group create G9 --io-var novalue"), code: 1, msg: `Missing equals sign in "--io-var=novalue"`},
	{args: words("group modify NOPE --notes x"), code: 1, msg: `Storage group "NOPE" does not exist.`},
	{args: words("group rename NOPE G9"), code: 1, msg: "No such storage group: NOPE."},
	{args: words("group rename G1"), code: 2, msg: "Missing argument 'NEW_NAME'."},
	{args: words("group show NOPE"), code: 1, msg: "no such group: NOPE"},
	{args: words("group autosync G1"), code: 2, msg: "Missing argument 'NODE'."},
	{args: words("group autosync G1 N1"), code: 1, msg: `can't enable autosync: Node "N1" is in group "G1"`},
	{args: words("group sync G2"), code: 2, msg: "NODE or --all must be provided."},
	{args: words("group sync G2 N1 --all --cancel"), code: 2, msg: "Can't use --all with NODE."},
	{args: words("group sync G2 N1 --all"), code: 2, msg: "--all may only be used with --cancel"},
	{args: words("group sync G2 N1 --cancel --target G3"), code: 2, msg: "cannot use both --cancel and --target"},
	{args: words("group sync G2 N1 --check --force"), code: 2, msg: "cannot use both --check and --force"},
	{args: words("group sync G2 N1 -F $MISSING"), code: 2, msg: "Invalid value for '-F' / '--file-list': File '$MISSING' does not exist."},
	{args: words("group sync G2 N1 -F $DIR"), code: 2, msg: "Invalid value for '-F' / '--file-list': File '$DIR' is a directory."},
	{args: words("group sync G2 N1 a b"), code: 2, msg: "Got unexpected extra arguments (a b)"},

	// node
	{args: words("node create N9"), code: 2, msg: "missing --create-group or --group"},
	{args: words("node create N9 --group G1 --create-group"), code: 2, msg: "cannot use both --create-group and --group"},
	{args: words("node create N9 --group G1 --archive --field"), code: 2, msg: "cannot use both --archive and --field"},
	{args: words("node create N9 --group G1 --field --transport"), code: 2, msg: "cannot use both --field and --transport"},
	{args: words("node create N9 --group G1 --max-total abc"), code: 2, msg: "Invalid value for '--max-total': 'abc' is not a valid float."},
	{args: words("node create N9 --group G1 --max-total 0"), code: 2, msg: "--max-total must be positive"},
	{args: words("node create N9 --group G1 --max-total nan"), code: 2, msg: "--max-total is out of range"},
	{args: words("node create N9 --group G1 --auto-verify -1"), code: 2, msg: "--auto-verify must be non-negative"},
	{args: words("node create N9 --group G1 --auto-verify 1.5"), code: 2, msg: "Invalid value for '--auto-verify': '1.5' is not a valid integer."},
	{args: words("node create N9 --group G1 --auto-verify 99999999999"), code: 2, msg: "--auto-verify is out of range"},
	{args: words("node create N9 --group G1 --min-avail -0.5"), code: 2, msg: "--min-avail must be non-negative"},
	{args: words("node create N9 --group G1 --min-avail 1e39"), code: 2, msg: "--min-avail is out of range"},
	{args: []string{"node", "create", "N9", "--group", "G1", "--io-config", "not json"}, code: 1, msg: "Unable to parse --io-config value as JSON."},
	{args: []string{"node", "create", strings.Repeat("n", 65), "--group", "G1"}, code: 1, msg: "node name too long: 65 characters (at most 64)"},
	{args: words("node create N9 --group NOPE"), code: 1, msg: "no such group: NOPE"},
	{args: words("node create N1 --group G1"), code: 1, msg: `node "N1" already exists.`},
	{args: words("node modify N1 --max-total 5 --no-max-total"), code: 2, msg: "cannot use both --max-total and --no-max-total"},
	{args: words("node modify N1 --max-total -5"), code: 2, msg: "--max-total must be positive"},
	{args: []string{"node", "modify", "N1", "--io-config", "5"}, code: 1, msg: "Argument to --io-config must be a JSON object literal."},
	{args: words("node modify N1 --io-var =x --io-var y"), code: 1, msg: `Missing equals sign in "--io-var=y"`},
	{args: words("node modify NOPE --host h"), code: 1, msg: "no such node: NOPE"},
	{args: words("node rename N1"), code: 2, msg: "Missing argument 'NEW_NAME'."},
	{args: words("node rename NOPE N9"), code: 1, msg: "no such node: NOPE"},
	{args: []string{"node", "rename", "N1", strings.Repeat("n", 65)}, code: 1, msg: "node name too long: 65 characters (at most 64)"},
	{args: words("node activate NOPE"), code: 1, msg: "no such node: NOPE"},
	{args: words("node deactivate"), code: 2, msg: "Missing argument 'NODE'."},
	{args: words("node init NOPE"), code: 1, msg: "no such node: NOPE"},
	{args: words("node show N1 extra"), code: 2, msg: "Got unexpected extra argument (extra)"},
	{args: words("node list --group NOPE"), code: 1, msg: "no such group: NOPE"},
	{args: words("node stats --group NOPE"), code: 1, msg: "no such group: NOPE"},
	{args: words("node autoclean N1"), code: 2, msg: "Missing argument 'GROUP'."},
	{args: words("node clean N1 --days 1.5"), code: 2, msg: "Invalid value for '--days' / '-d': '1.5' is not a valid integer."},
	{args: words("node clean N1 -d x"), code: 2, msg: "Invalid value for '--days' / '-d': 'x' is not a valid integer."},
	{args: words("node clean N1 --days 0"), code: 2, msg: "--days must be positive"},
	{args: words("node clean N1 --size -1"), code: 2, msg: "--size must be positive"},
	{args: words("node clean N1 -s abc"), code: 2, msg: "Invalid value for '--size' / '-s': 'abc' is not a valid float."},
	{args: words("node clean N1 --cancel --now"), code: 2, msg: "cannot use both --cancel and --now"},
	{args: words("node clean N1 --cancel --size 1"), code: 2, msg: "cannot use both --cancel and --size"},
	{args: words("node clean N1 --check --force"), code: 2, msg: "cannot use both --check and --force"},
	{args: words("node clean N1 -F $MISSING --force"), code: 2, msg: "Invalid value for '-F' / '--file-list': File '$MISSING' does not exist."},
	{args: words("node clean N1 --target NOPE --force"), code: 1, msg: "no such group: NOPE"},
	{args: words("node clean NOPE --force"), code: 1, msg: "no such node: NOPE"},
	// A file-list line naming its way out with "..", or through the
	// node's root (/data1) and back, matches no file.
	{args: words("node clean N1 -F - --force"), stdin: "# comment\n2025/01/01/../01/f1.dat\n", code: 1,
		msg: "No such file on line 2 of stdin: 2025/01/01/../01/f1.dat"},
	{args: words("node clean N1 -F - --force"), stdin: "/data1/x/../2025/01/01/f1.dat\n", code: 1,
		msg: "No such file on line 1 of stdin: x/../2025/01/01/f1.dat"},
	{args: words("node clean N1 -F - --force"), stdin: "/elsewhere/2025/01/01/f1.dat\n", code: 1,
		msg: "No such file on line 1 of stdin: /elsewhere/2025/01/01/f1.dat"},
	{args: words("node sync N1 G2 -F - --force"), stdin: "\n  acq2//nope.dat  \n", code: 1,
		msg: "No such file on line 2 of stdin: acq2/nope.dat"},
	{args: words("node sync N1"), code: 2, msg: "GROUP or --all must be provided."},
	{args: words("node sync N1 G2 --all --cancel"), code: 2, msg: "Can't use --all with GROUP."},
	{args: words("node sync N1 G2 --check --force"), code: 2, msg: "cannot use both --check and --force"},
	{args: words("node verify N1 --check --force"), code: 2, msg: "cannot use both --check and --force"},
	{args: words("node verify N1 --cancel --corrupt --healthy"), code: 2, msg: "cannot use both --corrupt and --healthy"},
	{args: words("node verify N1 --cancel --healthy --missing"), code: 2, msg: "cannot use both --healthy and --missing"},
	{args: words("node verify N1 -c"), code: 2, msg: "No such option: -c"},
	{args: words("node verify N1 -F $DIR --force"), code: 2, msg: "Invalid value for '-F' / '--file-list': File '$DIR' is a directory."},
	{args: words("node scan N1 /elsewhere/x"), code: 1, msg: `absolute path "/elsewhere/x" outside node root: /data1`},
	{args: words("node scan N1b /abs"), code: 1, msg: `PATH can't be absolute: Node "N1b" has no root.`},
}

func TestMalformedInvocations(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.txt")
	expand := strings.NewReplacer("$MISSING", missing, "$DIR", dir).Replace
	testdb.Engines(t, func(t *testing.T, url string) {
		d := storageIndex(t, url)
		before := snapshot(t, d)
		for _, c := range malformedInvocations {
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = expand(a)
			}
			name := strings.Join(args, " ")
			r := run(t, url, c.stdin, args...)
			want := "Error: " + expand(c.msg) + "\n"
			switch {
			case r.code != c.code:
				t.Errorf("%s: exit %d, want %d; stderr:\n%s", name, r.code, c.code, r.stderr)
			case !strings.HasSuffix(r.stderr, want):
				t.Errorf("%s: stderr\n%s\nwant it to end with\n%s", name, r.stderr, want)
			case c.code == 2 && !c.bare && !strings.HasPrefix(r.stderr, "Usage: alpenhorn "):
				t.Errorf("%s: stderr\n%s\nwant the usage block first", name, r.stderr)
			case (c.code == 1 || c.bare) && r.stderr != want:
				t.Errorf("%s: stderr\n%s\nwant only\n%s", name, r.stderr, want)
			case r.stdout != "":
				t.Errorf("%s: stdout %q, want nothing", name, r.stdout)
			}
			if after := snapshot(t, d); after != before {
				t.Fatalf("%s changed the data index:\nbefore:\n%s\nafter:\n%s", name, before, after)
			}
		}
	})
}
