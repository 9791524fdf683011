package cli

import "testing"

func TestGroupShow(t *testing.T) {
	const g1Head = `Storage Group: G1
        Notes: first group
    I/O Class: Default

I/O Config:

  none

Nodes:

`
	runIndexSteps(t, true, []indexStep{
		{args: words("group show G1"), stdout: g1Head + "  N1\n  N1b\n"},
		// An empty value still leaves the space after the colon.
		{args: words("group show g2 --actions"), stdout: `Storage Group: G2
        Notes: 
    I/O Class: Transport

I/O Config:

  none

Nodes:

  T1

Auto-actions:

Node    Action      Trigger
------  ----------  ------------------------
N1      Auto-clean  File added to this group
N1      Auto-sync   File added to that node
`},
		{args: words("group show G1 --node-details"), stdout: g1Head + `Name    Host    Active    I/O Class
------  ------  --------  -----------
N1      h1      No        Default
N1b     h1b     Yes       Mine
`},
		// Only copies present and wanted count; % Full needs a maximum, so
		// here the column is text.
		{args: words("group show G1 --node-stats"), stdout: g1Head + `Name      File Count  Total Size    % Full
------  ------------  ------------  --------
N1                 1  1.000 kiB     -
N1b                1  2.861 MiB     0.03
`},
		{args: words("group show G1 --all"), stdout: g1Head + `Name    Host    Active    I/O Class      File Count  Total Size    % Full
------  ------  --------  -----------  ------------  ------------  --------
N1      h1      No        Default                 1  1.000 kiB     -
N1b     h1b     Yes       Mine                    1  2.861 MiB     0.03

Pending inbound transfers:

Source Node    Request Count    Total Size
-------------  ---------------  ------------

Auto-actions:

Node    Action      Trigger
------  ----------  ------------------------
T1      Auto-clean  File added to this group
`},
		// When every node has a % Full, the column is numeric.
		{prepare: execSQL("UPDATE storagenode SET max_total_gb = 0.000001 WHERE name = 'N1'"),
			args: words("group show G1 --node-stats"), stdout: g1Head + `Name      File Count  Total Size      % Full
------  ------------  ------------  --------
N1                 1  1.000 kiB        95.37
N1b                1  2.861 MiB         0.03
`},
		// Completed and cancelled requests are not pending.
		{args: words("group show G2 -a"), stdout: `Storage Group: G2
        Notes: 
    I/O Class: Transport

I/O Config:

  none

Nodes:

Name    Host    Active    I/O Class      File Count  Total Size    % Full
------  ------  --------  -----------  ------------  ------------  --------
T1      h2      No        Default                 1  1.000 kiB     -

Pending inbound transfers:

Source Node      Request Count  Total Size
-------------  ---------------  ------------
N1                           2  1.051 kiB

Auto-actions:

Node    Action      Trigger
------  ----------  ------------------------
N1      Auto-clean  File added to this group
N1      Auto-sync   File added to that node
`},
		{args: words("group show G3 --node-stats --transfers --actions"), stdout: `Storage Group: G3
        Notes: 
    I/O Class: Default

I/O Config:

  a: 1

Nodes:

  none

Pending inbound transfers:

Source Node    Request Count    Total Size
-------------  ---------------  ------------

Auto-actions:

  none
`},
		{prepare: execSQL("UPDATE storagegroup SET io_config = '[1]' WHERE name = 'G3'"),
			args: words("group show G3"), stdout: `Storage Group: G3
        Notes: 
    I/O Class: Default

I/O Config:

INVALID (JSON decode error)

Nodes:

  none
`},
		{args: words("-q group show G3 -a")},
		{args: words("group show nope"), code: 1, stderr: "Error: no such group: nope\n"},
		{args: words("group show"), code: 2, stderr: usageText("group show", "GROUP", "Missing argument 'GROUP'.")},
	})
}
