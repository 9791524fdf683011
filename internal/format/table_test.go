package format

import (
	"strings"
	"testing"
)

// nodeStatsAlign is what `node stats` passes; the other tables infer.
var nodeStatsAlign = []Alignment{AlignLeft, AlignRight, AlignRight, AlignRight, AlignRight, AlignRight, AlignRight}

func TestTableDemoOutputs(t *testing.T) {
	// Tables printed by the real CLI: cli.md §4.3 and §11.
	cases := []struct {
		name  string
		table Table
		want  string
	}{
		{
			name: "node stats (cli.md §4.3)",
			table: Table{
				Headers: []string{"Name", "File Count", "Total Size", "% Full"},
				Rows: [][]any{
					{"N1", 6, "4.659 GiB", "-"},
					{"N2", 1, "4.657 GiB", "46.57"},
					{"T1", 0, "-", "-"},
				},
				Align:    nodeStatsAlign[:4],
				FloatFmt: ".2f",
			},
			want: `Name      File Count    Total Size    % Full
------  ------------  ------------  --------
N1                 6     4.659 GiB         -
N2                 1     4.657 GiB     46.57
T1                 0             -         -`,
		},
		{
			name: "node stats",
			table: Table{
				Headers: []string{"Name", "File Count", "Total Size", "% Full"},
				Rows: [][]any{
					{"demo_storage1", 5, "102 B", "-"},
					{"demo_storage2", 0, "-", "-"},
				},
				Align:    nodeStatsAlign[:4],
				FloatFmt: ".2f",
			},
			want: `Name             File Count    Total Size    % Full
-------------  ------------  ------------  --------
demo_storage1             5         102 B         -
demo_storage2             0             -         -`,
		},
		{
			name: "node stats --extra-stats",
			table: Table{
				Headers: []string{"Name", "File Count", "Total Size", "% Full", "Corrupt Files", "Suspect Files", "Missing Files"},
				Rows: [][]any{
					{"demo_storage1", 4, "90 B", "-", 1, "-", "-"},
					{"demo_storage2", 5, "102 B", "-", "-", "-", "-"},
				},
				Align:    nodeStatsAlign,
				FloatFmt: ".2f",
			},
			want: `Name             File Count    Total Size    % Full    Corrupt Files    Suspect Files    Missing Files
-------------  ------------  ------------  --------  ---------------  ---------------  ---------------
demo_storage1             4          90 B         -                1                -                -
demo_storage2             5         102 B         -                -                -                -`,
		},
		{
			name: "file list --details",
			table: Table{
				Headers: []string{"File", "Size", "MD5 Hash", "Registration Time", "State", "Size on Node"},
				Rows: [][]any{
					{"2025/02/21/meta.txt", "52 B", "4f2a66c1ff5eb90a5013522d53ea2e91", "Fri Feb 21 23:07:08 2025 UTC", "Healthy", "4.000 kiB"},
				},
			},
			want: `File                 Size    MD5 Hash                          Registration Time             State    Size on Node
-------------------  ------  --------------------------------  ----------------------------  -------  --------------
2025/02/21/meta.txt  52 B    4f2a66c1ff5eb90a5013522d53ea2e91  Fri Feb 21 23:07:08 2025 UTC  Healthy  4.000 kiB`,
		},
		{
			name: "node show: pending import requests",
			table: Table{
				Headers: []string{"Path", "Scan", "Register New", "Request Time"},
				Rows:    [][]any{{"[Node Init]", "-", "-", "2025-02-26 22:54:14"}},
			},
			want: `Path         Scan    Register New    Request Time
-----------  ------  --------------  -------------------
[Node Init]  -       -               2025-02-26 22:54:14`,
		},
		{
			name: "node show: no pending outbound transfers",
			table: Table{
				Headers: []string{"Dest. Group", "Request Count", "Total Size"},
			},
			want: `Dest. Group    Request Count    Total Size
-------------  ---------------  ------------`,
		},
		{
			name: "node show: auto-actions",
			table: Table{
				Headers: []string{"Group", "Action", "Trigger"},
				Rows: [][]any{
					{"demo_storage2", "Auto-sync", "File added to this node"},
					{"demo_storage3", "Auto-clean", "File added to that group"},
				},
			},
			want: `Group          Action      Trigger
-------------  ----------  ------------------------
demo_storage2  Auto-sync   File added to this node
demo_storage3  Auto-clean  File added to that group`,
		},
		{
			name: "group show --node-stats",
			table: Table{
				Headers: []string{"Name", "File Count", "Total Size", "% Full"},
				Rows:    [][]any{{"transport1", 8, "184 B", "-"}},
			},
			want: `Name          File Count  Total Size    % Full
----------  ------------  ------------  --------
transport1             8  184 B         -`,
		},
	}
	for _, c := range cases {
		if got := c.table.String(); got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.name, got, c.want)
		}
	}
}

func TestTableSeedTables(t *testing.T) {
	// The seed transcript keeps the words and the dash lines of the real
	// output but collapses runs of spaces; both must agree.
	cases := []struct {
		table Table
		seed  string
	}{
		{
			Table{
				Headers: []string{"File", "Size", "MD5 Hash", "Registration Time", "State", "Size on Node"},
				Rows: [][]any{
					{"2025/02/21/23/1324.dat", "12 B", "4c79018e00ddef11af0b9cfc14dd3261", "Fri Feb 21 23:52:21 2025 UTC", "Healthy", "4.000 kiB"},
					{"2025/02/21/meta.txt", "52 B", "4f2a66c1ff5eb90a5013522d53ea2e91", "Fri Feb 21 23:07:08 2025 UTC", "Healthy", "4.000 kiB"},
				},
			},
			`File Size MD5 Hash Registration Time State Size on Node
---------------------- ------ -------------------------------- ---------------------------- ------- --------------
2025/02/21/23/1324.dat 12 B 4c79018e00ddef11af0b9cfc14dd3261 Fri Feb 21 23:52:21 2025 UTC Healthy 4.000 kiB
2025/02/21/meta.txt 52 B 4f2a66c1ff5eb90a5013522d53ea2e91 Fri Feb 21 23:07:08 2025 UTC Healthy 4.000 kiB`,
		},
		{
			Table{
				Headers:  []string{"Name", "File Count", "Total Size", "% Full", "Corrupt Files", "Suspect Files", "Missing Files"},
				Align:    nodeStatsAlign,
				FloatFmt: ".2f",
				Rows: [][]any{
					{"demo_storage1", 0, "-", "-", "-", "-", "-"},
					{"demo_storage2", 5, "102 B", "-", "-", "-", "-"},
					{"demo_storage3", 5, "102 B", "-", "-", "-", "-"},
				},
			},
			`Name File Count Total Size % Full Corrupt Files Suspect Files Missing Files
------------- ------------ ------------ -------- --------------- --------------- ---------------
demo_storage1 0 - - - - -
demo_storage2 5 102 B - - - -
demo_storage3 5 102 B - - - -`,
		},
		{
			Table{
				Headers: []string{"Node", "Action", "Trigger"},
				Rows:    [][]any{{"demo_storage1", "Auto-sync", "File added to that node"}},
			},
			`Node Action Trigger
------------- --------- -----------------------
demo_storage1 Auto-sync File added to that node`,
		},
		{
			Table{
				Headers: []string{"Dest. Group", "Request Count", "Total Size"},
			},
			`Dest. Group Request Count Total Size
------------- --------------- ------------`,
		},
	}
	for _, c := range cases {
		got := strings.Split(c.table.String(), "\n")
		want := strings.Split(c.seed, "\n")
		if len(got) != len(want) {
			t.Errorf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			continue
		}
		if strings.ReplaceAll(got[1], "  ", " ") != want[1] {
			t.Errorf("dash line %q does not match the seed's %q", got[1], want[1])
		}
		for i := range got {
			if collapsed := strings.Join(strings.Fields(got[i]), " "); collapsed != want[i] {
				t.Errorf("line %d %q does not match the seed's %q", i, got[i], want[i])
			}
		}
	}
}

func TestTableInference(t *testing.T) {
	cases := []struct {
		name  string
		table Table
		want  string
	}{
		{
			name: "numeric-looking names are right-aligned, NULL is empty",
			table: Table{
				Headers: []string{"Name", "I/O Class", "Notes"},
				Rows:    [][]any{{"001", "Default", nil}, {"002", "Transport", "notes here"}},
			},
			want: "  Name  I/O Class    Notes\n" +
				"------  -----------  ----------\n" +
				"   001  Default\n" +
				"   002  Transport    notes here",
		},
		{
			name: "float-looking names are rewritten and aligned on the point",
			table: Table{
				Headers: []string{"Name", "Count"},
				Rows:    [][]any{{"1.50", 3}, {"2.25", 10}},
			},
			want: "  Name    Count\n" +
				"------  -------\n" +
				"  1.5         3\n" +
				"  2.25       10",
		},
		{
			name: "one non-number makes a text column",
			table: Table{
				Headers: []string{"Name"},
				Rows:    [][]any{{"1.50"}, {"abc"}},
			},
			want: "Name\n------\n1.50\nabc",
		},
		{
			name: "% Full through the g format",
			table: Table{
				Headers: []string{"Name", "File Count", "Total Size", "% Full"},
				Rows: [][]any{
					{"n1", 6, "4.659 GiB", " 46.57"},
					{"n2", 1, "10.00 GiB", "465661.29"},
					{"n3", 0, "-", "  5.00"},
				},
			},
			want: "Name      File Count  Total Size       % Full\n" +
				"------  ------------  ------------  ---------\n" +
				"n1                 6  4.659 GiB         46.57\n" +
				"n2                 1  10.00 GiB     465661\n" +
				"n3                 0  -                  5",
		},
		{
			name: "an all-digit MD5 is an integer column",
			table: Table{
				Headers: []string{"File", "MD5 Hash"},
				Rows: [][]any{
					{"a.dat", "12345678901234567890123456789012"},
					{"b.dat", "00000000000000000000000000000001"},
				},
			},
			want: "File                            MD5 Hash\n" +
				"------  --------------------------------\n" +
				"a.dat   12345678901234567890123456789012\n" +
				"b.dat   00000000000000000000000000000001",
		},
		{
			name: "an all-NULL row is an empty line; text is trimmed",
			table: Table{
				Headers: []string{"Name", "N"},
				Rows:    [][]any{{"x", nil}, {nil, nil}, {"  padded  ", 3}},
			},
			want: "Name      N\n------  ---\nx\n\npadded    3",
		},
		{
			name: "a NULL last row leaves a final newline",
			table: Table{
				Headers: []string{"F"},
				Rows:    [][]any{{1.5}, {10.25}, {1e-7}, {"inf"}, {nil}},
			},
			want: "      F\n-------\n  1.5\n 10.25\n  1e-07\ninf\n",
		},
		{
			name: "nil pointers are NULL",
			table: Table{
				Headers: []string{"Size", "Name"},
				Rows:    [][]any{{(*int64)(nil), (*string)(nil)}, {ptr(int64(12)), ptr("x")}},
			},
			want: "  Size  Name\n------  ------\n\n    12  x",
		},
		{
			name: "booleans and their names are text",
			table: Table{
				Headers: []string{"B", "S"},
				Rows:    [][]any{{true, "True"}, {false, nil}},
			},
			want: "B      S\n-----  ----\nTrue   True\nFalse",
		},
		{
			name: "integer strings keep their spelling",
			table: Table{
				Headers: []string{"V"},
				Rows:    [][]any{{" 7 "}, {"1_000"}, {"-3"}},
			},
			want: "    V\n-----\n   7\n1_000\n   -3",
		},
		{
			name: "East-Asian wide characters count twice",
			table: Table{
				Headers: []string{"名前", "N"},
				Rows:    [][]any{{"日本語", 1}, {"abc", 22}},
			},
			want: "名前      N\n------  ---\n日本語    1\nabc      22",
		},
		{
			name: "combining marks count zero",
			table: Table{
				Headers: []string{"Name", "X"},
				Rows:    [][]any{{"cafe\u0301 au lait", "y"}},
			},
			want: "Name          X\n" +
				"------------  ---\n" +
				"cafe\u0301 au lait  y",
		},
		{
			name: "a line break makes a multi-line row",
			table: Table{
				Headers: []string{"Name", "I/O Class", "Notes"},
				Rows:    [][]any{{"g1", "Default", "first line\nsecond"}, {"g2", "Transport", nil}},
			},
			want: "Name    I/O Class    Notes\n" +
				"------  -----------  ----------\n" +
				"g1      Default      first line\n" +
				"                     second\n" +
				"g2      Transport",
		},
		{
			name: "an empty table is left-aligned, even with Align",
			table: Table{
				Headers: []string{"Name", "File Count"},
				Align:   []Alignment{AlignLeft, AlignRight},
			},
			want: "Name    File Count\n------  ------------",
		},
	}
	for _, c := range cases {
		if got := c.table.String(); got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s\n(%q)", c.name, got, c.want, got)
		}
	}
}

func TestTableRowLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a short row did not panic")
		}
	}()
	_ = Table{Headers: []string{"A", "B"}, Rows: [][]any{{"x"}}}.String()
}

func ptr[T any](v T) *T { return &v }
