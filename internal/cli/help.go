package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// help is each command's long help and examples, by command path below
// "alpenhorn". It is kept here, in one place, rather than beside each
// command, so that the words explaining the data index's rules (what a
// state means, when the daemon deletes) are written once and agree.
//
// The terms used throughout: a file is registered once in the data index;
// a copy is that file on one storage node. A copy is healthy, suspect
// (to be checked), corrupt or missing; it is wanted, removable (deleted
// when the node runs short of space) or released (deleted at the next
// update). alpenhornd never deletes a copy unless at least two archive
// nodes other than its own node hold healthy copies of the file.
var help = map[string]struct{ long, example string }{
	"acq": {long: `Acquisitions are the directories that group an instrument's files: every
registered file belongs to one, and its path in the data index is
ACQ/NAME, relative to a node's root.`},
	"acq create": {long: `Register a new, empty acquisition called NAME. NAME must be a valid
relative path (no "..", no leading "/"). Files are added to it by
importing them (file import, node scan, auto-import) or with file create.`,
		example: `  alpenhorn acq create 2025/02/21`},
	"acq files": {long: `List the files of acquisition ACQ with their sizes and MD5 hashes.

With --node, list instead the copies on that node and their state; with
--group, each file's state in that group (present, needs check, corrupt)
and the node that holds it. Copies that are gone are left out unless
--show-removed is given.`,
		example: `  alpenhorn acq files 2025/02/21 --node storage1`},
	"acq list": {long: `List the acquisitions with the number of files in each. With --node or
--group, list only acquisitions that have files present there, with the
number of copies present there (a file on two nodes of a group counts
twice).`},
	"acq show": {long: `Show an acquisition's file count and total size. --show-nodes and
--show-groups break both down by the nodes or groups holding present
copies; together they list each group's nodes under it.`},

	"db": {long: `Commands that act on the data index as a whole.`},
	"db init": {long: `Create the data index's tables in the configured database, which must
exist and be empty (the database user needs CREATE rights for this step
only). Running it again on an initialised data index changes nothing; a
partially created one must be repaired by hand.`,
		example: `  alpenhorn db init`},

	"file": {long: `Commands about single files: registering them, their copies' states,
and requests about them (copies, cleaning, verification, imports).`},
	"file clean": {long: `Mark FILE's copy on --node NODE for removal; the daemon managing the node
then deletes it. By default the copy becomes removable: it is deleted only
when the node's free space falls below its --min-avail setting, the
oldest copies first. With --now it is released and deleted at the
daemon's next update. Either way, the daemon deletes a copy only while at
least two archive nodes other than its own hold healthy copies of the
file; until then the copy stays and the deletion is retried.

Archive nodes are refused unless --archive-ok is given. --cancel makes
the copy wanted again (on every node holding one, if --node is not
given); a copy already deleted cannot be brought back this way.`,
		example: `  alpenhorn file clean 2025/02/21/data.h5 --node storage1
  alpenhorn file clean 2025/02/21/data.h5 --node storage1 --now
  alpenhorn file clean 2025/02/21/data.h5 --cancel`},
	"file create": {long: `Register a file NAME in acquisition ACQ without any copy: give its size
and MD5 hash, or compute them with --from-file from a local copy at
PREFIX/ACQ/NAME. No node is told about the file; to record a copy, import
it (file import) or set its state (file state).`,
		example: `  alpenhorn file create data.h5 2025/02/21 --md5 0123456789abcdef0123456789abcdef --size 1048576
  alpenhorn file create data.h5 2025/02/21 --from-file --prefix /mnt/disk1`},
	"file find": {long: `List file copies in the given states (healthy by default; the state
options combine), optionally only on the --node nodes, on nodes of the
--group groups, and in the --acq acquisitions. Each copy is one line:
file, node, state.`,
		example: `  alpenhorn file find --suspect --corrupt --node storage1`},
	"file import": {long: `Ask the daemon managing NODE to import the file at PATH, relative to the
node's root. The daemon checks the file, records the copy, and with
--register-new also registers a file the data index does not know yet
(otherwise such a file is skipped). The node must be active for the
daemon to act.`,
		example: `  alpenhorn file import 2025/02/21/data.h5 storage1 --register-new`},
	"file list": {long: `List registered files (one ACQ/NAME per line, or a table with --details),
selected by where they are:

  --node, --group                files present there (or in the state given
                                 by --healthy/--suspect/--corrupt/--missing)
  --absent-node, --absent-group  files not healthy there
  --from SRC --to DEST           files healthy on node SRC and not in group
                                 DEST: what a sync from SRC to DEST would copy

Several constraints select files meeting any one of them; with --all,
files meeting every one. --acq limits the listing to acquisitions.`,
		example: `  alpenhorn file list --node storage1 --absent-group archive
  alpenhorn file list --from storage1 --to archive --details`},
	"file modify": {long: `Change FILE's recorded MD5 hash or size (for a file registered with wrong
values). Unless --no-reverify is given, every copy still present is then
marked suspect, so that each daemon checks its copy against the new
values.`},
	"file show": {long: `Show a file's registration: name, acquisition, size, MD5 hash and when it
was registered. --groups, --nodes and --transfers add its state in each
group, on each node, and its copy requests (pending, done or cancelled).`,
		example: `  alpenhorn file show 2025/02/21/data.h5 --all`},
	"file state": {long: `Without options, print the recorded state of FILE's copy on NODE:
Healthy, Suspect, Corrupt, Missing or Absent, then Removable or Released
if it is marked for removal, and Ready if its ready bit is set.

With --set, --ready or --unready, change that record. This edits the data
index only; nothing on disk is touched, and no daemon is asked to check
anything. It is a repair tool: prefer file verify to have a copy checked.`,
		example: `  alpenhorn file state 2025/02/21/data.h5 storage1
  alpenhorn file state 2025/02/21/data.h5 storage1 --set missing`},
	"file sync": {long: `Request a copy of FILE from node --from into group --to. The daemon that
manages a node of the destination group pulls the file (a local copy or
rsync/bbcp over ssh from the source node's --address, as its --username)
and verifies it. Nothing is requested if the file is already in the group,
or (unless --force) if the source node does not hold it.

With --cancel, pending requests for FILE are cancelled instead, all of
them or only those from --from and/or into --to.`,
		example: `  alpenhorn file sync 2025/02/21/data.h5 --from storage1 --to archive`},
	"file verify": {long: `Mark FILE's copy on NODE suspect, so that the daemon managing NODE reads
it again and records it healthy, corrupt or missing according to what it
finds. A copy already suspect is left as it is.`,
		example: `  alpenhorn file verify 2025/02/21/data.h5 storage1`},

	"group": {long: `Storage groups are the destinations of copies: a copy is requested into a
group, and the daemon of one of its nodes receives it. Most groups hold one
node; a group of transport nodes spreads copies over removable disks.`},
	"group autosync": {long: `Make every file that arrives on NODE (imported or copied there) be copied
into GROUP as well, automatically; --remove stops it. The copy requests
are written when the file arrives; files already on NODE are not
affected (use group sync for those). NODE may not be in GROUP.`,
		example: `  alpenhorn group autosync archive storage1`},
	"group create": {long: `Create a storage group. Its I/O class (--class, Default when not given)
decides how the group's daemon places incoming copies on its nodes; some
classes take settings in the I/O config (--io-config, --io-var).`,
		example: `  alpenhorn group create archive
  alpenhorn group create transport --class Transport`},
	"group list": {long: `List the storage groups with their I/O classes and notes.`},
	"group modify": {long: `Change a storage group's I/O class, I/O config or notes. An empty value
(--class=, --notes=) resets the class to Default or clears the notes.`},
	"group rename": {long: `Rename a storage group. Requests and settings that refer to it follow it;
config files that name it (e.g. extension settings) must be edited by
hand.`},
	"group show": {long: `Show a storage group: its I/O class and config, notes and nodes. Options
add details of the nodes, how full they are, the pending transfers into
the group, and the auto-actions (autosync, autoclean) that involve it.`},
	"group sync": {long: `Request copies into GROUP of every file present on NODE and not yet in
GROUP: the bulk form of file sync. The daemons of GROUP's nodes then pull
the files. --acq, --file-list and --target (skip files already in any of
those groups) narrow the selection; files with a request already pending
are counted but not requested again.

With --cancel, pending copy requests from NODE (or, with --all, from
anywhere) into GROUP are cancelled instead.

The command first reports what it would do (--show-acqs and --show-files
list it) and asks for confirmation; --check only reports (exiting with
status 3 if there is anything to do), --force does not ask. node sync is
the same command with NODE and GROUP swapped.`,
		example: `  alpenhorn group sync archive storage1 --check
  alpenhorn group sync archive storage1 --acq 2025/02/21 --force
  alpenhorn group sync archive --all --cancel`},

	"node": {long: `Storage nodes are the places that hold copies: a directory or mount point
(--root) on a host, managed by the alpenhornd running there (the daemon
whose base.hostname equals the node's --host). Other daemons reach it over
ssh as --username at --address.`},
	"node activate": {long: `Activate a node: the daemon on its host starts managing it at its next
update. The options update where the node is first (for a disk moved to
another host); an already active node is left unchanged.`,
		example: `  alpenhorn node activate transport3 --host alpenhost2 --root /mnt/disk3`},
	"node autoclean": {long: `Make the daemon release NODE's copy of every file that arrives in GROUP
(a copy of it is recorded healthy there), so that NODE's copy is then
deleted, subject as ever to the rule of two other archive copies;
--remove stops it. NODE may not be in GROUP.`,
		example: `  alpenhorn node autoclean storage1 archive`},
	"node clean": {long: `Mark copies on NODE for removal: the bulk form of file clean. By default
the copies become removable, deleted by the daemon only when the node's
free space falls below its --min-avail setting; with --now they are
released and deleted at its next update. In both cases a copy is deleted
only while at least two archive nodes other than NODE hold healthy copies
of the file; until then it stays and the deletion is retried. --cancel
makes the selected copies wanted again.

Only healthy copies are selected (--include-bad adds suspect and corrupt
ones); --acq, --days (registered more than COUNT days ago), --target
(already healthy in every one of those groups) and --file-list narrow
the selection, and --size stops once that many GiB are selected. Archive
nodes are refused unless --archive-ok is given.

The command first reports what it would do and asks for confirmation;
--check only reports (exiting with status 3 if there is anything to do),
--force does not ask.`,
		example: `  alpenhorn node clean storage1 --target archive --days 30 --check
  alpenhorn node clean storage1 --target archive --now --force
  alpenhorn node clean storage1 --cancel --acq 2025/02/21`},
	"node confirm-manifest": {long: `Complete a sneakernet transfer at the source: read the receipt that node
ingest-manifest wrote at the destination data index, and record, for the
files it lists, that the destination now holds them. See
docs/sneakernet.md.`},
	"node create": {long: `Create a storage node. --root is its directory or mount point, --host the
host whose alpenhornd manages it (base.hostname there), and --address and
--username how other hosts' daemons reach it with ssh and rsync to pull
files from it. The node joins --group, or a new group of its own name with
--create-group.

Its type is field (the default), --archive (a copy here counts towards the
two archive copies every deletion needs) or --transport (a removable disk
that copies are spread over). --min-avail sets the free space below which
the daemon deletes removable copies, --max-total a size beyond which no
more copies are pulled in. The node is inactive until --activate (or node
activate); --init also asks its daemon to initialise it.`,
		example: `  alpenhorn node create storage1 --create-group --root /data --host alpenhost1 \
      --address alpenhost1.example.org --username alpenhorn --auto-import --activate --init
  alpenhorn node create archive1 --group archive --archive --root /archive --host alpenhost2`},
	"node deactivate": {long: `Deactivate a node: its daemon stops managing it (no imports, copies,
checks or deletions there, and no pulls from it) at its next update. The
node's records stay as they are.`},
	"node ingest-manifest": {long: `Register on NODE, a transport node in this data index, the files listed in
a sneakernet manifest written by node manifest at another data index, and
write a receipt for node confirm-manifest there. See docs/sneakernet.md.`},
	"node init": {long: `Ask the daemon managing NODE to initialise it: it creates the node's
ALPENHORN_NODE file under its root, which the daemon checks before it
touches the node, so that an unmounted disk is never mistaken for an empty
one. The request is recorded whatever the node's state; the daemon acts on
it once the node is active, and ignores it for a node already initialised.`,
		example: `  alpenhorn node init storage1`},
	"node list": {long: `List storage nodes with their groups, roles (archive, transport), I/O
classes, hosts, roots and whether they are active; --active, --inactive,
--group and --host select which.`},
	"node manifest": {long: `Write the list of files on NODE, a transport node, to a manifest in its
root, for moving the disk to a site that shares no database with this one
(a sneakernet transfer). See docs/sneakernet.md.`},
	"node modify": {long: `Change a storage node's properties; options not given are left as they
are. An empty value clears a text property. The meaning of each property
is explained under node create. The daemon managing the node picks the
changes up at its next update.`,
		example: `  alpenhorn node modify storage1 --min-avail 500 --auto-verify 100`},
	"node rename": {long: `Rename a storage node. Its daemon follows the change at its next update.`},
	"node scan": {long: `Ask the daemon managing NODE to look for files under PATH (relative to the
node's root; the whole node if not given) and import those not yet
recorded on the node, registering unknown files with --register-new. Use
it after copying files onto a node by hand, or on nodes without
auto-import.`,
		example: `  alpenhorn node scan storage1 2025/02/21 --register-new`},
	"node show": {long: `Show a storage node's properties; options add its file statistics,
pending imports, pending outbound transfers and auto-actions.`},
	"node stats": {long: `Show, for each node, how many files it holds (healthy copies not marked for
removal), their total size, and how full the node is against its
--max-total; --extra-stats also counts corrupt, suspect and missing copies.
Options select nodes as for node list.`},
	"node sync": {long: `Request copies into GROUP of every file present on NODE and not yet in
GROUP. This is group sync with its two arguments the other way round; see
alpenhorn group sync --help for the details, which all apply here.`,
		example: `  alpenhorn node sync storage1 archive --check`},
	"node verify": {long: `Mark copies on NODE suspect so that its daemon reads them again and
records them healthy, corrupt or missing according to what it finds:
corrupt copies by default; --healthy, --missing and --corrupt choose the
states to re-check, --all all three.

With --cancel, set the state of copies that are still suspect instead,
ending their verification: corrupt by default, or --healthy or --missing.

The command first reports what it would do and asks for confirmation;
--check only reports (exiting with status 3 if there is anything to do),
--force does not ask.`,
		example: `  alpenhorn node verify storage1 --healthy --acq 2025/02/21 --force`},
}

// applyHelp sets each command's long help and examples from help, and
// gives every other command (cobra's own, an extension's) its short help
// as long help if it has none.
func applyHelp(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), root.Name()), " ")
		if h, ok := help[path]; ok {
			c.Long = c.Short + ".\n\n" + h.long
			c.Example = h.example
		} else if c.Long == "" {
			c.Long = c.Short + "."
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// CommandTree is the alpenhorn command tree with its help, for generating
// documentation (man pages, shell completion files); it runs nothing.
func CommandTree() *cobra.Command {
	return newRoot(&App{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
}
