package cli

import "testing"

func TestNodeList(t *testing.T) {
	const header = "Name    Group    Role       I/O Class    Host    Active    Root    Notes\n" +
		"------  -------  ---------  -----------  ------  --------  ------  -------\n"
	runBulkCases(t, []bulkCase{
		{name: "all", args: []string{"node", "list"}, stdout: header +
			"N1      G1       -                       h1      No        /data1\n" +
			"N2      G2       -          Default      h2      Yes               second\n" +
			"N3      G3       transport               h2      No        /mnt/t\n" +
			"A1      GA       archive                 h1      Yes       /arch\n"},
		{name: "active", args: []string{"node", "list", "--active"}, stdout: "" +
			"Name    Group    Role     I/O Class    Host    Active    Root    Notes\n" +
			"------  -------  -------  -----------  ------  --------  ------  -------\n" +
			"N2      G2       -        Default      h2      Yes               second\n" +
			"A1      GA       archive               h1      Yes       /arch\n"},
		{name: "last of active and inactive wins", args: []string{"node", "list", "--active", "--inactive"}, stdout: header +
			"N1      G1       -                       h1      No        /data1\n" +
			"N3      G3       transport               h2      No        /mnt/t\n"},
		{name: "group", args: []string{"node", "list", "--group", "g3"}, stdout: header +
			"N3      G3       transport               h2      No        /mnt/t\n"},
		{name: "host", args: []string{"node", "list", "--host", "h2", "--inactive"}, stdout: header +
			"N3      G3       transport               h2      No        /mnt/t\n"},
		{name: "empty host and group select all", args: []string{"node", "list", "--host=", "--group", "", "--active"}, stdout: "" +
			"Name    Group    Role     I/O Class    Host    Active    Root    Notes\n" +
			"------  -------  -------  -----------  ------  --------  ------  -------\n" +
			"N2      G2       -        Default      h2      Yes               second\n" +
			"A1      GA       archive               h1      Yes       /arch\n"},
		{name: "none", args: []string{"node", "list", "--host", "nowhere"}, stdout: "no nodes\n"},
		{name: "unknown group", args: []string{"node", "list", "--group", "nope"}, code: 1, stderr: "Error: no such group: nope\n"},
		{name: "flag with a value", args: []string{"node", "list", "--active=yes"}, code: 2,
			stderr: "Error: Option '--active' does not take a value.\n"},
		{name: "extra argument", args: []string{"node", "list", "N1"}, code: 2,
			stderr: usageOf("node list", "Got unexpected extra argument (N1)")},
	})
}
