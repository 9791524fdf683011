package cli

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	// The demo initialises the pattern_importer extension's tables.
	_ "github.com/radiocosmology/alpenhorn-go/extensions/pattern_importer"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// The golden demo replays the CLI half of the alpenhorn demo transcript,
// in order, against a data index, and compares each command's output with
// the transcript's. No daemon runs: before each command, demoDaemon writes
// the rows the transcript's daemons had written by then.

const (
	demoSteps = "testdata/demo_cli.txt"
	demoSeed  = "../../../shared/seeds/000_6fa76340314de144.txt"
)

// demoStep is one command of the demo and what it prints.
type demoStep struct {
	label string
	// seed is the command as the transcript shows it, line by line;
	// output is what the transcript shows it printing.
	seed, output []string
	// args is what runs, input what is typed at the prompt, and own the
	// expected output of a command whose output the transcript omits.
	args, input, own []string
}

func (s demoStep) want() []string {
	if len(s.own) > 0 {
		return s.own
	}
	return s.output
}

var demoPrompt = regexp.MustCompile(`^root@alpenshell:/# `)

// demoCommand turns a command as the transcript shows it into one line:
// prompt removed, continued and wrapped lines joined, blanks collapsed.
func demoCommand(lines []string) string {
	var parts []string
	for _, l := range lines {
		parts = append(parts, strings.TrimSuffix(demoPrompt.ReplaceAllString(l, ""), `\`))
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

func loadDemoSteps(t *testing.T) []demoStep {
	t.Helper()
	f, err := os.Open(demoSteps)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []demoStep
	var cur *demoStep
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "":
			cur = nil
		case cur == nil && strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "@ "):
			steps = append(steps, demoStep{label: line[2:]})
			cur = &steps[len(steps)-1]
		case cur == nil:
			t.Fatalf("%s:%d: text outside a step", demoSteps, n)
		case strings.HasPrefix(line, "$ "):
			cur.seed = append(cur.seed, line[2:])
		case strings.HasPrefix(line, "% "):
			cur.args = strings.Fields(line[2:])
		case strings.HasPrefix(line, "< "):
			cur.input = append(cur.input, line[2:])
		case strings.HasPrefix(line, "> "):
			cur.own = append(cur.own, line[2:])
		default:
			cur.output = append(cur.output, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		s := &steps[i]
		if s.args == nil {
			s.args = strings.Fields(demoCommand(s.seed))
			if s.args[0] != "alpenhorn" {
				t.Fatalf("step %s: %q is not an alpenhorn command", s.label, demoCommand(s.seed))
			}
			s.args = s.args[1:]
		}
		if len(s.output) > 0 && len(s.own) > 0 {
			t.Fatalf("step %s has both transcript and own output", s.label)
		}
	}
	return steps
}

// Differences the comparison ignores: times, and free space, which the
// daemons measure.
var (
	demoCtime = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d\d:\d\d:\d\d \d{4} UTC`)
	demoISO   = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?`)
	demoAvail = regexp.MustCompile(`^Available: [0-9.]+ [kMGTPE]?i?B$`)
)

// demoNormalise puts output in the transcript's shape: blank lines
// dropped, runs of blanks collapsed; then masks what the comparison ignores.
func demoNormalise(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		l = demoCtime.ReplaceAllString(l, "<time>")
		l = demoISO.ReplaceAllString(l, "<time>")
		l = demoAvail.ReplaceAllString(l, "Available: <free space>")
		out = append(out, l)
	}
	return out
}

// demoScreen is what a terminal shows of a run: each answer typed at a
// prompt appears after it, with the newline that ends it.
func demoScreen(stdout string, input []string) []string {
	const prompt = "Continue? [y/N]: "
	var b strings.Builder
	for _, answer := range input {
		before, after, ok := strings.Cut(stdout, prompt)
		if !ok {
			break
		}
		b.WriteString(before + prompt + answer + "\n")
		stdout = after
	}
	b.WriteString(stdout)
	return strings.Split(b.String(), "\n")
}

func TestGoldenDemo(t *testing.T) {
	steps := loadDemoSteps(t)
	labels := map[string]bool{}
	for _, s := range steps {
		labels[s.label] = true
	}
	for label := range demoDaemonWork {
		if !labels[label] {
			t.Fatalf("daemon work before unknown step %q", label)
		}
	}
	testdb.Engines(t, func(t *testing.T, url string) {
		d := testdb.Open(t, url)
		daemon := &demoDaemon{t: t, d: d, files: map[string]int64{}}
		for _, s := range steps {
			if work := demoDaemonWork[s.label]; work != nil {
				work(daemon)
			}
			stdin := ""
			for _, l := range s.input {
				stdin += l + "\n"
			}
			r := run(t, url, stdin, s.args...)
			if s.label == "pattern-importer" && r.code == 2 && strings.Contains(r.stderr, "No such command 'pattern-importer'.") {
				t.Logf("step %s skipped: this alpenhorn has no pattern-importer command", s.label)
				continue
			}
			got := demoNormalise(demoScreen(r.stdout, s.input))
			want := demoNormalise(s.want())
			if r.code != 0 || r.stderr != "" || !slices.Equal(got, want) {
				t.Errorf("step %s: alpenhorn %s: exit %d\nstderr:\n%s\noutput:\n%s\nwant:\n%s",
					s.label, strings.Join(s.args, " "), r.code, r.stderr, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	})
}

// TestGoldenDemoFollowsSeed checks that the steps are the transcript's own
// text, in the transcript's order, and that they cover every command the
// transcript runs.
func TestGoldenDemoFollowsSeed(t *testing.T) {
	raw, err := os.ReadFile(demoSeed)
	if os.IsNotExist(err) {
		t.Skipf("demo transcript %s not present", demoSeed)
	}
	if err != nil {
		t.Fatal(err)
	}
	seed := strings.Split(string(raw), "\n")
	steps := loadDemoSteps(t)

	covered := make([]bool, len(seed))
	commands := map[string]bool{}
	pos := 0
	for _, s := range steps {
		block := append(slices.Clone(s.seed), s.output...)
		at := -1
		for i := pos; i+len(block) <= len(seed); i++ {
			if slices.Equal(seed[i:i+len(block)], block) {
				at = i
				break
			}
		}
		if at < 0 {
			t.Errorf("step %s: its lines do not follow the previous step's in the transcript:\n%s", s.label, strings.Join(block, "\n"))
			continue
		}
		for i := at; i < at+len(block); i++ {
			covered[i] = true
		}
		pos = at + len(block)
		commands[demoCommand(s.seed)] = true
	}

	// Commands are shown as instructions and again with their output; an
	// instruction is covered by the step that runs the same command.
	isCommand := regexp.MustCompile(`^(root@alpenshell:/# )?(alpenhorn (acq|db|file|group|node) |python -c )`)
	for i := 0; i < len(seed); i++ {
		if covered[i] || !isCommand.MatchString(seed[i]) {
			continue
		}
		lines := []string{seed[i]}
		for strings.HasSuffix(lines[len(lines)-1], `\`) && i+1 < len(seed) {
			i++
			lines = append(lines, seed[i])
		}
		if cmd := demoCommand(lines); !commands[cmd] {
			t.Errorf("transcript line %d: command not replayed: %s", i+1, cmd)
		}
	}
}

// demoDaemon writes what the demo's daemons write: imported files,
// finished requests, copies pulled and deleted, free space.
type demoDaemon struct {
	t     *testing.T
	d     *db.DB
	files map[string]int64 // ACQ/FILE → archivefile.id
}

func (dd *demoDaemon) must(err error) {
	dd.t.Helper()
	if err != nil {
		dd.t.Fatal(err)
	}
}

func (dd *demoDaemon) nodeID(name string) int64 {
	dd.t.Helper()
	var n db.StorageNode
	dd.must(dd.d.Gorm.Where("name = ?", name).First(&n).Error)
	return n.ID
}

func demoTime(s string) db.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return db.NewTime(t)
}

// importFile registers a new file of size bytes (its content's MD5 given
// or made up) found on node at time when, as an import does.
func (dd *demoDaemon) importFile(node, acq, name string, size int64, md5sum, when string) {
	dd.t.Helper()
	var a db.ArchiveAcq
	dd.must(dd.d.Gorm.Where(db.ArchiveAcq{Name: acq}).FirstOrCreate(&a).Error)
	if md5sum == "" {
		sum := md5.Sum([]byte(acq + "/" + name))
		md5sum = hex.EncodeToString(sum[:])
	}
	f := db.ArchiveFile{AcqID: a.ID, Name: name, SizeB: &size, MD5Sum: &md5sum, Registered: demoTime(when)}
	dd.must(dd.d.Gorm.Create(&f).Error)
	dd.files[acq+"/"+name] = f.ID
	dd.addCopy(f.ID, dd.nodeID(node), when)
}

// addCopy records a healthy, ready copy, over a previous record of the
// file on the node if there is one. Copies take a 4 kiB block on disk.
func (dd *demoDaemon) addCopy(fileID, nodeID int64, when string) {
	dd.t.Helper()
	onDisk := int64(4096)
	var rows []db.ArchiveFileCopy
	dd.must(dd.d.Gorm.Where("file_id = ? AND node_id = ?", fileID, nodeID).Find(&rows).Error)
	c := db.ArchiveFileCopy{FileID: fileID, NodeID: nodeID}
	if len(rows) > 0 {
		c = rows[0]
	}
	c.HasFile, c.WantsFile, c.Ready, c.SizeB, c.LastUpdate = db.HasYes, db.WantYes, true, &onDisk, demoTime(when)
	dd.must(dd.d.Gorm.Save(&c).Error)
}

// finishImports completes the node's import requests (node init included).
func (dd *demoDaemon) finishImports(node string) {
	dd.t.Helper()
	dd.must(dd.d.Gorm.Model(&db.ArchiveFileImportRequest{}).Where("node_id = ? AND completed = 0", dd.nodeID(node)).
		Update("completed", true).Error)
}

// freeSpace records a free-space measurement.
func (dd *demoDaemon) freeSpace(node string, gb float64, when string) {
	dd.t.Helper()
	checked := demoTime(when)
	dd.must(dd.d.Gorm.Model(&db.StorageNode{}).Where("name = ?", node).
		Updates(map[string]any{"avail_gb": gb, "avail_gb_last_checked": checked}).Error)
}

// requestCopy is an auto-sync: a request to copy a file from node to group.
func (dd *demoDaemon) requestCopy(path, node, group string) {
	dd.t.Helper()
	var g db.StorageGroup
	dd.must(dd.d.Gorm.Where("name = ?", group).First(&g).Error)
	now := db.Now()
	r := db.ArchiveFileCopyRequest{FileID: dd.files[path], NodeFromID: dd.nodeID(node), GroupToID: g.ID, Timestamp: &now}
	dd.must(dd.d.Gorm.Create(&r).Error)
}

// transfer carries out every pending copy request onto the first node of
// its destination group.
func (dd *demoDaemon) transfer(when string) {
	dd.t.Helper()
	var reqs []db.ArchiveFileCopyRequest
	dd.must(dd.d.Gorm.Where("completed = 0 AND cancelled = 0").Order("id").Find(&reqs).Error)
	for _, r := range reqs {
		var dest db.StorageNode
		dd.must(dd.d.Gorm.Where("group_id = ?", r.GroupToID).Order("id").First(&dest).Error)
		dd.addCopy(r.FileID, dest.ID, when)
		done := demoTime(when)
		dd.must(dd.d.Gorm.Model(&r).Updates(map[string]any{"completed": true, "transfer_started": done, "transfer_completed": done}).Error)
	}
}

// setHas records what a check of a copy found.
func (dd *demoDaemon) setHas(path, node string, has db.HasFile) {
	dd.t.Helper()
	dd.must(dd.d.Gorm.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", dd.files[path], dd.nodeID(node)).
		Update("has_file", has).Error)
}

// release is an auto-clean: the copy on node is released for removal.
func (dd *demoDaemon) release(path, node string) {
	dd.t.Helper()
	dd.must(dd.d.Gorm.Model(&db.ArchiveFileCopy{}).Where("file_id = ? AND node_id = ?", dd.files[path], dd.nodeID(node)).
		Update("wants_file", db.WantNo).Error)
}

// deleteReleased removes the node's released copies.
func (dd *demoDaemon) deleteReleased(node string) {
	dd.t.Helper()
	dd.must(dd.d.Gorm.Model(&db.ArchiveFileCopy{}).Where("node_id = ? AND wants_file = 'N' AND has_file <> 'N'", dd.nodeID(node)).
		Update("has_file", db.HasNo).Error)
}

// demoDaemonWork is what the daemons did before each step, from the
// transcript's daemon logs.
var demoDaemonWork = map[string]func(dd *demoDaemon){
	"stats-1": func(dd *demoDaemon) {
		dd.finishImports("demo_storage1")
		dd.freeSpace("demo_storage1", 46.77, "2025-02-21 00:41:02")
		dd.importFile("demo_storage1", "2025/02/21", "meta.txt", 52, "4f2a66c1ff5eb90a5013522d53ea2e91", "2025-02-21 23:07:08")
	},
	"stats-2": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/21", "23/1324.dat", 12, "4c79018e00ddef11af0b9cfc14dd3261", "2025-02-21 23:52:21")
	},
	"show-1": func(dd *demoDaemon) {
		dd.freeSpace("demo_storage1", 46.47, "2025-02-22 00:03:36")
	},
	"scan-1": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/21", "23/1330.dat", 12, "", "2025-02-22 00:09:36")
		dd.finishImports("demo_storage1")
	},
	"stats-4": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/21", "23/1349.dat", 14, "", "2025-02-22 00:12:56")
		dd.importFile("demo_storage1", "2025/02/21", "23/1342.dat", 12, "", "2025-02-22 00:12:56")
		dd.finishImports("demo_storage1")
	},
	"show-2-all": func(dd *demoDaemon) {
		// The transcript's database keeps whole seconds; SQLite keeps the
		// microseconds the CLI wrote, which would widen the column.
		when := demoTime("2025-02-26 22:54:14")
		dd.must(dd.d.Gorm.Model(&db.ArchiveFileImportRequest{}).Where("node_id = ?", dd.nodeID("demo_storage2")).
			Update("timestamp", when).Error)
	},
	"file-sync-meta": func(dd *demoDaemon) {
		dd.finishImports("demo_storage2")
		dd.freeSpace("demo_storage2", 45.51, "2025-02-26 23:05:12")
	},
	"stats-6": func(dd *demoDaemon) { dd.transfer("2025-02-26 23:18:52") },
	"stats-7": func(dd *demoDaemon) { dd.transfer("2025-02-26 23:34:32") },
	"stats-9": func(dd *demoDaemon) {
		for _, f := range []string{"meta.txt", "23/1330.dat", "23/1349.dat", "23/1342.dat"} {
			dd.setHas("2025/02/21/"+f, "demo_storage1", db.HasYes)
		}
		dd.setHas("2025/02/21/23/1324.dat", "demo_storage1", db.HasCorrupt)
	},
	"stats-10": func(dd *demoDaemon) { dd.transfer("2025-03-07 01:52:15") },
	"show-2": func(dd *demoDaemon) {
		dd.freeSpace("demo_storage2", 45.38, "2025-03-07 02:27:47")
	},
	"sync-2-3-force": func(dd *demoDaemon) {
		dd.finishImports("demo_storage3")
		dd.freeSpace("demo_storage3", 43.20, "2025-03-07 02:35:00")
	},
	"stats-11": func(dd *demoDaemon) {
		dd.transfer("2025-03-07 02:38:40")
		dd.deleteReleased("demo_storage1")
	},
	"stats-12": func(dd *demoDaemon) { dd.deleteReleased("demo_storage1") },
	"autosync-3-2": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/26", "meta.txt", 52, "", "2025-05-07 20:37:45")
		dd.finishImports("demo_storage1")
		dd.requestCopy("2025/02/26/meta.txt", "demo_storage1", "demo_storage2")
		dd.transfer("2025-05-07 20:37:55")
	},
	"stats-13": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/26", "01/0529.dat", 15, "", "2025-05-07 20:45:05")
		dd.finishImports("demo_storage1")
		dd.requestCopy("2025/02/26/01/0529.dat", "demo_storage1", "demo_storage2")
		dd.transfer("2025-05-07 20:45:15")
		dd.requestCopy("2025/02/26/01/0529.dat", "demo_storage2", "demo_storage3")
		dd.transfer("2025-05-07 20:45:25")
	},
	"stats-14": func(dd *demoDaemon) { dd.transfer("2025-05-07 20:50:00") },
	"show-1-actions": func(dd *demoDaemon) {
		dd.deleteReleased("demo_storage1")
		dd.freeSpace("demo_storage1", 43.09, "2025-05-07 21:00:55")
	},
	"stats-15": func(dd *demoDaemon) {
		dd.importFile("demo_storage1", "2025/02/26", "02/0011.dat", 15, "", "2025-05-07 21:13:15")
		dd.finishImports("demo_storage1")
		dd.requestCopy("2025/02/26/02/0011.dat", "demo_storage1", "demo_storage2")
		dd.transfer("2025-05-07 21:13:25")
		dd.requestCopy("2025/02/26/02/0011.dat", "demo_storage2", "demo_storage3")
		dd.transfer("2025-05-07 21:13:35")
		dd.release("2025/02/26/02/0011.dat", "demo_storage1")
		dd.deleteReleased("demo_storage1")
	},
	"sync-3-transport":     func(dd *demoDaemon) { dd.finishImports("transport1") },
	"show-group-transport": func(dd *demoDaemon) { dd.transfer("2025-03-07 09:30:00") },
	"stats-16":             func(dd *demoDaemon) { dd.transfer("2025-03-09 04:30:00") },
}
