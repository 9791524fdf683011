package reliability

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// snapshotTree returns every file under dir with its content, and every
// directory and link, so that a test can tell whether anything changed.
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case fi.IsDir():
			out[rel] = "dir"
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "file " + string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoEscape: nothing outside a node root is imported, deleted, pruned
// or written, whatever the requests and the data index say: import and
// scan requests with "..", absolute paths and symbolic links leading out
// of the root; copies to delete whose file, or whose acquisition
// directory, is a symbolic link to outside; a pull into a node whose
// acquisition directory is such a link; and file names in the data index
// that climb out with "..". Meanwhile ordinary files are imported,
// deleted and pulled as usual.
func TestNoEscape(t *testing.T) {
	gate(t)
	bins := build(t)
	fig := newFigures(t)
	w := daemontest.NewWorld(t, bins.daemon, testdb.SQLiteURL(t))
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	put := func(dir, rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	// Outside: files that import patterns would accept, and victims.
	put(outside, "2025/01/02/00/0000.dat", "outside data\n")
	put(outside, "2025/01/02/meta.txt", "outside meta\n")
	put(outside, "victim.dat", "victim\n")
	put(outside, "acqdir/00/0000.dat", "acq victim\n")
	put(outside, "evil.dat", "evil\n")
	if err := os.MkdirAll(filepath.Join(outside, "pulltarget"), 0o755); err != nil {
		t.Fatal(err)
	}

	g1, g2, g3, g4 := w.Group("storage1"), w.Group("archive2"), w.Group("archive3"), w.Group("archive4")
	n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", Root: filepath.Join(base, "storage1"), AutoImport: true})
	n2 := w.Node("archive2", g2, daemontest.NodeSpec{Host: "alpha", Archive: true})
	n3 := w.Node("archive3", g3, daemontest.NodeSpec{Host: "alpha", Archive: true})
	n4 := w.Node("archive4", g4, daemontest.NodeSpec{Host: "alpha", Archive: true})
	for _, n := range []*db.StorageNode{n1, n2, n3, n4} {
		w.InitNode(n)
	}
	root := *n1.Root

	// Symbolic links out of the root, in place before the daemon starts
	// (the catch-up scan meets them) and after (the watcher does).
	link(filepath.Join(outside, "2025/01/02"), filepath.Join(root, "2025/01/03"))
	link(filepath.Join(outside, "2025/01/02/00/0000.dat"), filepath.Join(root, "2025/01/04/00/0000.dat"))
	// Registered files whose copies are to be deleted, each safe to
	// delete (two archive copies), then swapped for links to outside.
	fileLink := w.File("2025/01/06", "00/0000.dat", "six\n", n1, n2, n3)
	dirLink := w.File("2025/01/07", "00/0000.dat", "acq victim\n", n1, n2, n3)
	if err := os.Remove(filepath.Join(root, "2025/01/06/00/0000.dat")); err != nil {
		t.Fatal(err)
	}
	link(filepath.Join(outside, "victim.dat"), filepath.Join(root, "2025/01/06/00/0000.dat"))
	if err := os.RemoveAll(filepath.Join(root, "2025/01/07")); err != nil {
		t.Fatal(err)
	}
	link(filepath.Join(outside, "acqdir"), filepath.Join(root, "2025/01/07"))
	// A pull into a node whose acquisition directory leads outside.
	pulled := w.File("2025/01/08", "00/0000.dat", "eight\n", n2)
	link(filepath.Join(outside, "pulltarget"), filepath.Join(*n4.Root, "2025/01/08"))
	pullOut := w.Sync(pulled, n2, g4)
	// Names in the data index that climb out of the root.
	evil := w.File("2025/01/09", "ok.dat", "evil\n")
	w.Exec("UPDATE archivefile SET name = ? WHERE id = ?", "../../../outside/evil.dat", evil.ID)
	size := int64(5)
	w.Create(&db.ArchiveFileCopy{FileID: evil.ID, NodeID: n1.ID, HasFile: db.HasYes, WantsFile: db.WantNo, Ready: true, SizeB: &size, LastUpdate: db.Now()})
	for _, n := range []*db.StorageNode{n2, n3} {
		w.Create(&db.ArchiveFileCopy{FileID: evil.ID, NodeID: n.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, SizeB: &size, LastUpdate: db.Now()})
	}
	evilPull := w.Sync(evil, n2, g4)
	// Released for deletion.
	for _, f := range []*db.ArchiveFile{fileLink, dirLink} {
		w.Exec("UPDATE archivefilecopy SET wants_file = 'N' WHERE file_id = ? AND node_id = ?", f.ID, n1.ID)
	}
	// An ordinary file, imported as usual, shows the daemon at work.
	put(root, "2025/01/05/00/0000.dat", "five\n")
	before := snapshotTree(t, outside)

	reqs := []*db.ArchiveFileImportRequest{
		w.Request(n1, "../outside/2025/01/02/00/0000.dat", false, true),
		w.Request(n1, filepath.Join(outside, "2025/01/02/00/0000.dat"), false, true),
		w.Request(n1, "2025/01/02/../../../outside/2025/01/02/meta.txt", false, true),
		w.Request(n1, "../outside", true, true),
		w.Request(n1, outside, true, true),
		w.Request(n1, "2025/01/03", true, true),
		w.Request(n1, "2025/01/04/00/0000.dat", false, true),
		w.Request(n1, "2025", true, true),
	}
	d := w.StartDaemon("alpha", daemontest.Settings{})
	// Links made while the watcher runs.
	w.WaitFor("watcher", func() bool { return d.Logged(`Watching node "storage1"`) }, d)
	link(filepath.Join(outside, "2025/01/02"), filepath.Join(root, "2025/01/10"))
	link(filepath.Join(outside, "2025/01/02/meta.txt"), filepath.Join(root, "2025/01/11/meta.txt"))
	// A file appearing behind the directory link: a watcher that followed
	// the link would report it under the root. The pause gives such a
	// watcher the time to follow it.
	time.Sleep(time.Second)
	put(outside, "2025/01/02/00/0001.dat", "new outside data\n")
	before["2025/01/02/00/0001.dat"] = "file new outside data\n"

	w.WaitFor("requests handled", func() bool {
		for _, r := range reqs {
			if !w.ImportRequest(r.ID).Completed {
				return false
			}
		}
		return w.Count(&db.ArchiveFileCopy{}, "node_id = ? AND has_file = 'Y'", n1.ID) >= 1
	}, d)
	w.WaitFor("refusals", func() bool {
		return d.CountLogged("Error deleting 2025/01/06/00/0000.dat") >= 2 &&
			d.CountLogged("Error deleting 2025/01/07/00/0000.dat") >= 2 &&
			d.CountLogged("Error deleting 2025/01/09/../../../outside/evil.dat") >= 2 &&
			w.CopyRequest(pullOut.ID).Completed == false && pullBegun(d, pullOut.ID) && pullBegun(d, evilPull.ID)
	}, d)
	d.Stop(syscall.SIGTERM)
	checkLogs(t, "", d)

	if after := snapshotTree(t, outside); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("outside the roots changed:\nbefore %v\nafter  %v", before, after)
	}
	var names []string
	if err := w.DB.Gorm.Raw(`SELECT a.name || '/' || f.name FROM archivefile f JOIN archiveacq a ON a.id = f.acq_id ORDER BY f.id`).Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	// The node's scans and the watcher had time to meet every link.
	want := "[2025/01/06/00/0000.dat 2025/01/07/00/0000.dat 2025/01/08/00/0000.dat 2025/01/09/../../../outside/evil.dat 2025/01/05/00/0000.dat]"
	if fmt.Sprint(names) != want {
		t.Errorf("registered files %v, want %v", names, want)
	}
	for _, f := range []*db.ArchiveFile{fileLink, dirLink, evil} {
		if h, _ := w.CopyState(f.ID, n1.ID); h != db.HasYes {
			t.Errorf("copy of file #%d on storage1 became %s although nothing was deleted", f.ID, h)
		}
	}
	if h, _ := w.CopyState(pulled.ID, n4.ID); h != "" {
		t.Errorf("pull through a link out of archive4 recorded: %s", h)
	}
	if h, _ := w.CopyState(evil.ID, n4.ID); h != "" {
		t.Errorf("pull of a climbing name recorded: %s", h)
	}
	for _, l := range []string{"2025/01/03", "2025/01/04/00/0000.dat", "2025/01/06/00/0000.dat", "2025/01/07", "2025/01/10", "2025/01/11/meta.txt"} {
		if fi, err := os.Lstat(filepath.Join(root, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link %s on storage1 was removed or replaced: %v", l, err)
		}
	}
	fig.set("import and scan requests refused", len(reqs)-1)
	fig.set("deletions refused", 3)
	fig.set("pulls refused", 2)
	fig.set("links made under a watched root", 2)
}

// hostileNames are file names a shell, ssh or rsync would misread if they
// were ever given one: blanks, quotes, separators, substitutions, globs,
// newlines, leading dashes that look like options, colons that look like
// host names, and non-ASCII text.
var hostileNames = []string{
	"with space.dat",
	"two  spaces .dat",
	"quote'single.dat",
	`quote"double.dat`,
	"semi;colon.dat",
	"; touch INJECTED ;.dat",
	"new\nline.dat",
	"-leading-dash.dat",
	"--rsync-path=touch INJECTED.dat",
	"-e sh -c 'touch INJECTED'.dat",
	"$(touch INJECTED).dat",
	"`touch INJECTED`.dat",
	"$HOME.dat",
	"glob*?[a].dat",
	`back\slash.dat`,
	"tab\there.dat",
	"pipe|amp&.dat",
	"<redir>.dat",
	":colon:.dat",
	"host:path.dat",
	"ünïcødé ☃.dat",
}

// TestHostileNames: files with hostile names, in an acquisition whose
// name has blanks and a ";", pass between two daemons over real ssh
// (rsync, --protect-args) byte for byte, and nothing they contain is ever
// executed or taken for an option. On MariaDB, the database password
// appears in no daemon log (debug level) and in no command line or
// environment of the daemons' child processes, watched while the
// transfers run.
func TestHostileNames(t *testing.T) {
	gate(t)
	bins := build(t)
	requireSSH(t)
	srv := sshtest.Start(t, "alphahost")
	testdb.Engines(t, func(t *testing.T, url string) {
		fig := newFigures(t)
		password := urlPassword(url)
		w := daemontest.NewWorld(t, bins.daemon, url)
		g1, g2 := w.Group("storage1"), w.Group("storage2")
		n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", Username: srv.User, Address: "alphahost"})
		n2 := w.Node("storage2", g2, daemontest.NodeSpec{Host: "beta"})
		w.InitNode(n1)
		w.InitNode(n2)
		const acq = "acq with space; and more"
		want := map[string]string{} // by file name
		var reqs []*db.ArchiveFileCopyRequest
		for i, name := range hostileNames {
			data := fmt.Sprintf("%d %q\n", i, name)
			f := w.File(acq, name, data, n1)
			want[name] = data
			reqs = append(reqs, w.Sync(f, n1, g2))
		}
		// A large file keeps a transfer running long enough to be seen.
		big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
		f := w.File(acq, "big.dat", string(big), n1)
		want["big.dat"] = string(big)
		reqs = append(reqs, w.Sync(f, n1, g2))

		alpha := w.StartDaemon("alpha", daemontest.Settings{})
		beta := w.StartDaemon("beta", daemontest.Settings{}, transfer.SSHConfigEnv+"="+srv.ConfigFile)

		// Watch the daemons' descendants while the transfers run.
		stop := make(chan struct{})
		var seen []string
		var leaks []string
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				for _, d := range []*daemontest.Daemon{alpha, beta} {
					for _, pid := range descendants(d.Cmd.Process.Pid) {
						cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
						environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
						if len(cmdline) == 0 {
							continue
						}
						args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
						seen = append(seen, args[0])
						if password != "" && (bytes.Contains(cmdline, []byte(password)) || bytes.Contains(environ, []byte(password))) {
							leaks = append(leaks, strings.Join(args, " "))
						}
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		// Each file is its own ssh connection and rsync: on a loaded
		// machine a few seconds each, longer than WaitLimit for them all.
		w.WaitForWithin("pulls", 3*time.Minute, func() bool {
			for _, r := range reqs {
				if !w.CopyRequest(r.ID).Completed {
					return false
				}
			}
			return true
		}, alpha, beta)
		close(stop)
		wg.Wait()
		alpha.Stop(syscall.SIGTERM)
		beta.Stop(syscall.SIGTERM)
		checkLogs(t, password, alpha, beta)

		tr, err := walk(*n2.Root, newHasher())
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range want {
			e, ok := tr.files[acq+"/"+name]
			switch {
			case !ok:
				t.Errorf("%q not pulled", name)
			case e.md5 != daemontest.MD5Hex(data):
				t.Errorf("%q pulled with the wrong content", name)
			}
			if h, _ := w.CopyState(idOf(t, w, acq, name), n2.ID); h != db.HasYes {
				t.Errorf("%q recorded %q on storage2", name, h)
			}
		}
		if len(tr.files) != len(want) || len(tr.leftovers)+len(tr.dotFiles) != 0 {
			t.Errorf("storage2 holds %d files (want %d), leftovers %q %q", len(tr.files), len(want), tr.leftovers, tr.dotFiles)
		}
		home, _ := os.UserHomeDir()
		cwd, _ := os.Getwd()
		for _, dir := range []string{home, cwd, *n1.Root, *n2.Root, filepath.Join(*n1.Root, acq), filepath.Join(*n2.Root, acq)} {
			if _, err := os.Lstat(filepath.Join(dir, "INJECTED")); err == nil {
				os.Remove(filepath.Join(dir, "INJECTED"))
				t.Errorf("a file name was executed: %s/INJECTED appeared", dir)
			}
		}
		transfers := 0
		for _, s := range seen {
			if filepath.Base(s) == "rsync" || filepath.Base(s) == "ssh" {
				transfers++
			}
		}
		if transfers == 0 {
			t.Errorf("no transfer command was seen running (saw %q)", seen)
		}
		for _, l := range leaks {
			t.Errorf("the password is in a child process: %s", l)
		}
		if !beta.Logged("Running command") {
			t.Error("beta did not log its commands (debug)")
		}
		if password != "" {
			checkBadPassword(t, w, bins, url, password)
		}
		fig.set("hostile names transferred", len(hostileNames))
		fig.set("child process samples checked", len(seen))
	})
}

// checkBadPassword: the CLI and the daemon given a wrong database
// password fail with one clear error line, exit status 1, and print
// neither the wrong password nor the right one.
func checkBadPassword(t *testing.T, w *daemontest.World, bins binaries, url, password string) {
	t.Helper()
	const wrong = "Wr0ng-Secret-pw"
	bad := strings.Replace(url, ":"+password+"@", ":"+wrong+"@", 1)
	r := newCLI(t, bins.cli, bad).run("node", "list")
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "Error: ") ||
		strings.Contains(r.stderr, wrong) || strings.Contains(r.stderr, password) || noise.MatchString(r.stderr) {
		t.Errorf("alpenhorn with a wrong password: exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
	}
	wb := *w
	wb.URL = bad
	d := wb.Spawn("alpha", daemontest.Settings{}, nil)
	select {
	case <-d.Done():
	case <-time.After(daemontest.WaitLimit):
		d.Stop(syscall.SIGKILL)
		t.Fatalf("alpenhornd with a wrong password did not exit\n%s", d.Log.String())
	}
	log := d.Log.String()
	if d.Cmd.ProcessState.ExitCode() != 1 || !strings.Contains(log, "Error: Database read error: ") ||
		strings.Contains(log, wrong) || strings.Contains(log, password) {
		t.Errorf("alpenhornd with a wrong password: exit %d\n%s", d.Cmd.ProcessState.ExitCode(), log)
	}
}

// idOf returns the id of file name of acquisition acq.
func idOf(t *testing.T, w *daemontest.World, acq, name string) int64 {
	t.Helper()
	var ids []int64
	if err := w.DB.Gorm.Raw(`SELECT f.id FROM archivefile f JOIN archiveacq a ON a.id = f.acq_id
 WHERE a.name = ? AND f.name = ?`, acq, name).Scan(&ids).Error; err != nil || len(ids) != 1 {
		t.Fatalf("file %q in %q: %v %v", name, acq, ids, err)
	}
	return ids[0]
}

// descendants returns the pids of every process below pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	for _, p := range processes() {
		parent[p.pid] = p.ppid
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// pullBegun reports whether a pull task serving copy request id has begun;
// a task serves one request or several ("AFCR#1, #2: src -> dst").
func pullBegun(d *daemontest.Daemon, id int64) bool {
	return regexp.MustCompile(`Beginning task AFCR#(\d+, #)*` + strconv.FormatInt(id, 10) + `[,:]`).MatchString(d.Log.String())
}
