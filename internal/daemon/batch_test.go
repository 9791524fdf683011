package daemon_test

import (
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/daemontest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshtest"
	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

// remoteWorld is a node of host alpha reached over a real sshd, and a node
// of host beta that pulls from it.
type remoteWorld struct {
	*daemontest.World
	srv    *sshtest.Server
	n1, n2 *db.StorageNode
	g2     *db.StorageGroup
}

// remoteTest runs body on both engines, each in a remoteWorld of its own
// (an sshd of its own too: a test may change its keys).
func remoteTest(t *testing.T, body func(t *testing.T, w *remoteWorld)) {
	t.Parallel()
	bin := daemontest.BuildDaemon(t)
	testdb.Engines(t, func(t *testing.T, url string) {
		body(t, newRemoteWorld(t, bin, url, sshtest.Start(t, "alphahost")))
	})
}

func newRemoteWorld(t *testing.T, bin, url string, srv *sshtest.Server) *remoteWorld {
	w := daemontest.NewWorld(t, bin, url)
	g1, g2 := w.Group("storage1"), w.Group("storage2")
	n1 := w.Node("storage1", g1, daemontest.NodeSpec{Host: "alpha", Username: srv.User, Address: srv.Aliases[0]})
	n2 := w.Node("storage2", g2, daemontest.NodeSpec{Host: "beta"})
	w.InitNode(n1)
	w.InitNode(n2)
	return &remoteWorld{World: w, srv: srv, n1: n1, n2: n2, g2: g2}
}

// files registers count files of acquisition acq on n1, written there,
// and requests each into storage2, in a few statements whatever count is.
func (w *remoteWorld) files(acq string, count int, data func(i int) string) []*db.ArchiveFile {
	w.T.Helper()
	a := db.ArchiveAcq{Name: acq}
	w.Create(&a)
	files := make([]*db.ArchiveFile, count)
	for i := range files {
		content := data(i)
		size, sum := int64(len(content)), daemontest.MD5Hex(content)
		files[i] = &db.ArchiveFile{AcqID: a.ID, Name: fmt.Sprintf("%05d.dat", i), SizeB: &size, MD5Sum: &sum, Registered: db.Now()}
		daemontest.WriteFile(w.T, w.n1, acq+"/"+files[i].Name, content)
	}
	w.createAll(files)
	copies := make([]*db.ArchiveFileCopy, count)
	reqs := make([]*db.ArchiveFileCopyRequest, count)
	now := db.Now()
	for i, f := range files {
		copies[i] = &db.ArchiveFileCopy{FileID: f.ID, NodeID: w.n1.ID, HasFile: db.HasYes, WantsFile: db.WantYes, Ready: true, SizeB: f.SizeB, LastUpdate: now}
		reqs[i] = &db.ArchiveFileCopyRequest{FileID: f.ID, NodeFromID: w.n1.ID, GroupToID: w.g2.ID, Timestamp: &now}
	}
	w.createAll(copies)
	w.createAll(reqs)
	return files
}

func (w *remoteWorld) createAll(rows any) {
	w.T.Helper()
	if err := w.DB.Gorm.CreateInBatches(rows, 500).Error; err != nil {
		w.T.Fatal(err)
	}
}

// start runs both daemons, beta reaching alpha through the test's sshd.
func (w *remoteWorld) start(s daemontest.Settings) (alpha, beta *daemontest.Daemon) {
	return w.StartDaemon("alpha", daemontest.Settings{}), w.StartDaemon("beta", s, transfer.SSHConfigEnv+"="+w.srv.ConfigFile)
}

func (w *remoteWorld) completed() int64 {
	return w.Count(&db.ArchiveFileCopyRequest{}, "completed = 1")
}

// checkSafe fails the test if storage2 holds anything but verified,
// recorded files: no request both completed and cancelled, no copy
// recorded whose file is missing or differs, no file on disk unrecorded,
// and nothing left of a transfer (temporary files, staging directories,
// placeholders).
func (w *remoteWorld) checkSafe(t *testing.T, d *daemontest.Daemon) {
	t.Helper()
	// A batch records its files as they arrive, and clears up after the
	// last: the check waits for a pass that finds no task in progress.
	const idle = "Tasks: 0 queued, 0 deferred, 0 in-progress"
	seen := d.CountLogged(idle)
	w.WaitFor("the pull tasks to end", func() bool { return d.CountLogged(idle) > seen }, d)
	if n := w.Count(&db.ArchiveFileCopyRequest{}, "completed = 1 AND cancelled = 1"); n > 0 {
		t.Errorf("%d requests both completed and cancelled", n)
	}
	var copies []db.ArchiveFileCopy
	if err := w.DB.Gorm.Preload("File.Acq").Where("node_id = ? AND has_file = 'Y'", w.n2.ID).Find(&copies).Error; err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, c := range copies {
		rel := c.File.Acq.Name + "/" + c.File.Name
		recorded[rel] = true
		data, err := os.ReadFile(filepath.Join(*w.n2.Root, rel))
		if err != nil || daemontest.MD5Hex(string(data)) != *c.File.MD5Sum {
			t.Errorf("copy of %s recorded, file on disk: %v", rel, err)
		}
	}
	err := filepath.WalkDir(*w.n2.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == *w.n2.Root {
			return err
		}
		rel, _ := filepath.Rel(*w.n2.Root, p)
		switch {
		case strings.HasPrefix(d.Name(), "."):
			t.Errorf("left behind: %s", rel)
		case !d.IsDir() && rel != "ALPENHORN_NODE" && !recorded[rel]:
			t.Errorf("on disk, not recorded: %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBatchCorruptSource: in a batch pulled by one rsync, a source file
// that does not match its MD5 fails alone: the others are recorded, it is
// not, and its source copy is checked and found corrupt.
func TestBatchCorruptSource(t *testing.T) {
	remoteTest(t, func(t *testing.T, w *remoteWorld) {
		files := w.files("2025/03/01", 20, func(i int) string { return fmt.Sprintf("file %d\n", i) })
		bad := files[7]
		daemontest.WriteFile(t, w.n1, "2025/03/01/"+bad.Name, "file X\n") // same size
		_, beta := w.start(daemontest.Settings{})
		w.WaitFor("the good files pulled and the bad one found corrupt", func() bool {
			h, _ := w.CopyState(bad.ID, w.n1.ID)
			return w.completed() == 19 && h == db.HasCorrupt
		}, beta)
		if h, _ := w.CopyState(bad.ID, w.n2.ID); h != "" {
			t.Errorf("copy of the bad file recorded on storage2: %s", h)
		}
		beta.ExpectLogged(t, "Pull of 2025/03/01/00007.dat from node storage1 to node storage2 failed: file arrived damaged: MD5 ")
		if n := beta.CountLogged("Pulling remote file "); n < 20 {
			t.Errorf("%d pulls logged, want one line per file", n)
		}
		// One rsync for the batch, not one per file.
		if n := beta.CountLogged("--files-from"); n != 1 {
			t.Errorf("%d rsync commands with a file list, want 1", n)
		}
		w.checkSafe(t, beta)
	})
}

// TestBatchNames: names with spaces, quotes, a newline and a leading dash
// travel in one batch and arrive under their own names.
func TestBatchNames(t *testing.T) {
	remoteTest(t, func(t *testing.T, w *remoteWorld) {
		names := []string{"a b.dat", "it's.dat", `say "hi".dat`, "new\nline.dat", "-dash.dat", "back\\slash.dat", "tab\there.dat"}
		var reqs []*db.ArchiveFileCopyRequest
		for _, name := range names {
			f := w.File("2025/03/02", name, "content of "+name, w.n1)
			reqs = append(reqs, w.Sync(f, w.n1, w.g2))
		}
		_, beta := w.start(daemontest.Settings{})
		w.WaitFor("every pull", func() bool { return w.completed() == int64(len(reqs)) }, beta)
		for _, name := range names {
			if got := daemontest.ReadNodeFile(t, w.n2, "2025/03/02/"+name); got != "content of "+name {
				t.Errorf("%q holds %q", name, got)
			}
		}
		w.checkSafe(t, beta)
	})
}

// TestBatchKilled: a daemon killed (SIGKILL) while a batch is on the way
// leaves no false record; restarted, it finishes the pulls, and nothing of
// the cut-short transfer stays on disk.
func TestBatchKilled(t *testing.T) {
	remoteTest(t, func(t *testing.T, w *remoteWorld) {
		const count = 200
		w.files("2025/03/03", count, func(int) string { return rand.Text() + strings.Repeat("x", 1<<20) })
		_, beta := w.start(daemontest.Settings{})
		w.WaitFor("the first batch under way", func() bool { return beta.Logged("Pulling remote file ") }, beta)
		time.Sleep(100 * time.Millisecond)
		beta.Stop(syscall.SIGKILL)
		if n := w.completed(); n == count {
			t.Fatalf("all %d pulls were done before the kill: the batch was not cut short", n)
		}
		w.checkSafeOnRestart(t, beta, count)
	})
}

// checkSafeOnRestart restarts a killed daemon, waits for every pull and
// the tidy-up that follows them, and checks what is on storage2.
func (w *remoteWorld) checkSafeOnRestart(t *testing.T, d *daemontest.Daemon, count int64) {
	t.Helper()
	tidied := func() int { return d.CountLogged("Finished task: Tidy up storage2") }
	before := tidied()
	d.Restart()
	w.WaitFor("every pull and a tidy-up after the restart", func() bool {
		return w.completed() == count && tidied() > before
	}, d)
	w.checkSafe(t, d)
}

// TestCancelDuringSync: cancelling the requests of a 10,000-file sync
// stops the pulls: at most the batches already transferring finish, their
// requests stay cancelled (never completed too), and nothing more is
// pulled afterwards.
func TestCancelDuringSync(t *testing.T) {
	remoteTest(t, func(t *testing.T, w *remoteWorld) {
		const count = 10000
		w.files("2025/03/04", count, func(i int) string { return fmt.Sprintf("%d\n", i) })
		_, beta := w.start(daemontest.Settings{})
		w.WaitFor("some pulls", func() bool { return w.completed() >= 300 }, beta)
		// As `alpenhorn node sync --cancel` does.
		w.Exec("UPDATE archivefilecopyrequest SET cancelled = 1 WHERE completed = 0 AND cancelled = 0")
		onDisk := func() int64 { return w.Count(&db.ArchiveFileCopy{}, "node_id = ?", w.n2.ID) }
		atCancel := onDisk()
		// Then the copies stop growing: two counts 5 s apart, after the
		// batches under way had time to end.
		var last int64 = -1
		w.WaitFor("the pulls to stop", func() bool {
			n := onDisk()
			stopped := n == last
			last = n
			if !stopped {
				time.Sleep(5 * time.Second)
			}
			return stopped
		}, beta)
		// Two workers, each with at most one batch (1,000 small files)
		// under way.
		if extra := last - atCancel; extra > 2*1000 {
			t.Errorf("%d files pulled after the cancel", extra)
		}
		if last >= count/2 {
			t.Errorf("%d of %d files pulled: the cancel did not stop the sync", last, count)
		}
		w.checkSafe(t, beta)
	})
}

// TestSSHRefusedThenRepaired: a pull refused by ssh logs one ERROR line
// with ssh's own message and its next try; once the key is authorised
// again the pull succeeds after that wait.
func TestSSHRefusedThenRepaired(t *testing.T) {
	remoteTest(t, func(t *testing.T, w *remoteWorld) {
		srv := w.srv
		keys := srv.IdentityFile + ".pub"
		key, err := os.ReadFile(keys)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keys, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		f := w.File("2025/03/05", "one.dat", "one\n", w.n1)
		r := w.Sync(f, w.n1, w.g2)
		_, beta := w.start(daemontest.Settings{})
		const refused = "Pull of 2025/03/05/one.dat from node storage1 to node storage2 failed: "
		w.WaitFor("the refusal", func() bool { return beta.Logged(refused) }, beta)
		line := ""
		for l := range strings.Lines(beta.Log.String()) {
			if strings.Contains(l, refused) {
				line = l
			}
		}
		if !strings.Contains(line, "ERROR") || !strings.Contains(line, "Permission denied (publickey") || !strings.Contains(line, "[next try in 1m0s]") {
			t.Errorf("refusal logged as %q", line)
		}
		if h, _ := w.CopyState(f.ID, w.n1.ID); h != db.HasYes {
			t.Errorf("source copy %s after a refused connection", h)
		}
		if err := os.WriteFile(keys, key, 0o600); err != nil {
			t.Fatal(err)
		}
		w.WaitForWithin("the pull after the wait", 3*time.Minute, func() bool { return w.CopyRequest(r.ID).Completed }, beta)
		if n := beta.CountLogged(refused); n != 1 {
			t.Errorf("refusal logged %d times, want once: tried again before its wait", n)
		}
		w.checkSafe(t, beta)
	})
}
