package cli

import (
	"strings"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// SQLite keeps whatever a DATETIME column is given: the Python alpenhorn
// (peewee) writes 0 for "never" as an integer, and other tools write Unix
// seconds as integers or reals. The read commands must show such rows,
// with 0 as "-" like an unset time. MariaDB converts on insert, so only
// SQLite can hold these rows.
func TestNumericTimestamps(t *testing.T) {
	url := testdb.SQLiteURL(t)
	f := newFileFixture(t, url)
	must := fatalIf(t)
	g := f.d.Gorm
	// h1.dat: registered at a real number of seconds; its requests: one
	// with every time 0, one with integer seconds.
	must(g.Exec("UPDATE archivefile SET registered = 1746763506.5 WHERE name = 'h1.dat'").Error)
	must(g.Exec("UPDATE archivefile SET registered = 0 WHERE name = 'g1.dat'").Error)
	must(g.Exec("UPDATE archivefilecopy SET last_update = 0").Error)
	must(g.Exec("UPDATE archivefilecopyrequest SET timestamp = 0, transfer_started = 0, transfer_completed = 0 WHERE cancelled = 1").Error)
	must(g.Exec("UPDATE archivefilecopyrequest SET timestamp = 1747002283, transfer_started = 1747002284.25, transfer_completed = 0 WHERE cancelled = 0 AND completed = 0").Error)
	must(g.Exec("UPDATE storagenode SET avail_gb = 1, avail_gb_last_checked = 0 WHERE name = 'N1'").Error)
	must(g.Exec("UPDATE storagenode SET avail_gb = 1, avail_gb_last_checked = 1747002283 WHERE name = 'N2'").Error)

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"file", "list", "--details"}, []string{
			"acq2/g1.dat            2.000 kiB  d41d8cd98f00b204e9800998ecf8427e  -",
			"acq2/h1.dat            -          -                                 Fri May  9 04:05:06 2025 UTC",
		}},
		{[]string{"file", "show", "acq2/g1.dat"}, []string{" Registered: -"}},
		{[]string{"file", "show", "acq2/h1.dat", "--transfers"}, []string{
			" Registered: Fri May  9 04:05:06 2025 UTC",
			"N1             G2             Cancelled  -                             -                             -",
			"N1             G2             Pending    Sun May 11 22:24:43 2025 UTC  Sun May 11 22:24:44 2025 UTC  -",
		}},
		{[]string{"node", "show", "N1"}, []string{"Last Checked: -"}},
		{[]string{"node", "show", "N2"}, []string{"Last Checked: Sun May 11 22:24:43 2025 UTC"}},
	} {
		r := run(t, url, "", c.args...)
		if r.code != 0 {
			t.Errorf("alpenhorn %s: exit %d: %s", strings.Join(c.args, " "), r.code, r.stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w+"\n") {
				t.Errorf("alpenhorn %s: no line %q in:\n%s", strings.Join(c.args, " "), w, r.stdout)
			}
		}
	}
}
