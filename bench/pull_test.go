package bench

import (
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

var (
	pullCount       = flag.Int("pulls", 10000, "small files pulled between two nodes of one host on one filesystem (item 4)")
	copyPullCount   = flag.Int("copy-pulls", 1000, "small files pulled between two nodes of one host on two filesystems (item 4)")
	remotePullCount = flag.Int("remote-pulls", 1000, "small files pulled from another host over SSH (item 4)")
	remoteEngines   = flag.String("remote-engines", "sqlite", "comma-separated engines for the pulls over SSH, which SSH, not the data index, bounds")
)

// BenchmarkPullSmall (items 4 and 7) registers small files on a node and
// has alpenhornd copy them, with `alpenhorn node sync --force`, to a node
// of the same host on the same filesystem (hard links), to one on another
// filesystem (copies), and to a node of another host over SSH (rsync in
// batches over one connection each, compared with one rsync of the whole
// file list run by hand).
func BenchmarkPullSmall(b *testing.B) {
	bins := build(b)
	n := *pullCount
	src := filepath.Join(b.TempDir(), "src")
	writeSmallFiles(b, src, max(n, *copyPullCount, *remotePullCount))
	remoteOn := map[string]bool{}
	for _, e := range strings.Split(*remoteEngines, ",") {
		remoteOn[e] = true
	}
	for _, engine := range engines {
		b.Run(engine, func(b *testing.B) {
			pullSmall(b, bins, engine, src, n, remoteOn[engine])
		})
	}
}

func pullSmall(b *testing.B, bins binaries, engine, src string, n int, remote bool) {
	u, err := user.Current()
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(b, bins, engine)
	srcID := w.node("src", "src", nodeOpts{host: "alpenhost", root: src, address: "alpensrc", username: u.Username})
	m := max(n, *copyPullCount, *remotePullCount)
	first := w.registerFiles(m, smallData)
	w.addCopies(srcID, first, first+int64(m)-1)

	dir := b.TempDir()
	shm, err := os.MkdirTemp("/dev/shm", "alpenhorn-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(shm) })
	w.node("same", "same", nodeOpts{host: "alpenhost", root: filepath.Join(dir, "same")})
	w.node("other", "other", nodeOpts{host: "alpenhost", root: filepath.Join(shm, "other")})

	d := w.startDaemon(daemonOpts{host: "alpenhost", workers: 2, traced: *traceSQL}, pulledLine)
	d.waitPasses(2, time.Minute)
	rss := sampleRSS(d.pid())
	pulled := 0
	for _, c := range []struct {
		group, what string
		n           int
	}{
		{"same", "same filesystem (hard links)", n},
		{"other", "another filesystem (tmpfs; an in-process copy per file)", *copyPullCount},
	} {
		// The pulls take the first files: a file list names them.
		n := c.n
		list := filepath.Join(b.TempDir(), "files")
		writeList(b, list, n)
		stop := d.profile(c.group)
		before := d.statements()
		start := time.Now()
		w.cli("node", "sync", "src", c.group, "--force", "-F", list)
		requested := time.Since(start)
		pulled += n
		// A bound on the wait, so that stuck pulls end the run: ten
		// times slower than the target.
		end := d.waitSeen(pulledLine, pulled, time.Minute+time.Duration(n)*10*time.Millisecond)
		stop()
		if *traceSQL {
			b.Logf("%s: %.1f statements per copy", c.group, float64(d.statements()-before)/float64(n))
		}
		if got := w.count(`SELECT COUNT(*) FROM archivefilecopy c JOIN storagenode n ON n.id = c.node_id
 WHERE n.name = ? AND c.has_file = 'Y'`, c.group); got != int64(n) {
			b.Fatalf("%d copies on %s, want %d", got, c.group, n)
		}
		report(b, "4. small-file pulls", fmt.Sprintf("%d files, one host, %s, %s", n, c.what, engine),
			float64(n)/end.Sub(start).Seconds(), "copies/s", "≥ 1,000 copies/s", map[string]string{"sqlite": "6.7/s", "mariadb": "23/s"}[engine])
		// The window starts with the request: the command's own time
		// (reading and resolving its file list, inserting the requests)
		// is part of it, and shown apart.
		report(b, "4. small-file pulls", fmt.Sprintf("for reference: of which `alpenhorn node sync --force -F` (%d lines), %s", n, engine),
			requested.Seconds(), "s", "", "")
		if c.group == "same" {
			ceiling := linkCeiling(b, src, filepath.Join(dir, "by-hand"), n)
			report(b, "4. small-file pulls", "for reference: the same links with the file and directory fsyncs each pull makes, by hand, 2 at a time",
				float64(n)/ceiling.Seconds(), "copies/s", "", "")
		}
	}
	peak := rss.end()
	st, err := readStatus(d.pid())
	if err != nil {
		b.Fatal(err)
	}
	report(b, "7. footprint", fmt.Sprintf("RSS pulling %d files, %s: largest VmRSS sampled (VmHWM)", pulled, engine),
		inMiB(peak), fmt.Sprintf("MiB (%.1f)", inMiB(st.hwm)), "≤ 25 MB", "98 MB")
	d.stop()

	if remote && *remotePullCount > 0 {
		pullRemote(b, w, u.Username, src, *remotePullCount)
	}
}

// linkCeiling does, for files 0…n-1 of src, the filesystem work of a
// hard-link pull and nothing else, two files at a time: link to a
// temporary name, fsync it, rename it into place, fsync the directory.
// It returns how long that took.
func linkCeiling(b *testing.B, src, dst string, n int) time.Duration {
	b.Helper()
	sync := func(p string) error {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	}
	start := time.Now()
	errs := make(chan error, 2)
	for k := range 2 {
		go func() {
			for i := k; i < n; i += 2 {
				to := filepath.Join(dst, filePath(i))
				tmp := filepath.Join(filepath.Dir(to), ".tmp."+filepath.Base(to))
				if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
					errs <- err
					return
				}
				if err := os.Link(filepath.Join(src, filePath(i)), tmp); err != nil {
					errs <- err
					return
				}
				if err := sync(tmp); err != nil {
					errs <- err
					return
				}
				if err := os.Rename(tmp, to); err != nil {
					errs <- err
					return
				}
				if err := sync(filepath.Dir(to)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// writeList writes an `-F` file list naming files 0…n-1.
func writeList(b *testing.B, path string, n int) {
	b.Helper()
	var sb strings.Builder
	for i := range n {
		sb.WriteString(filePath(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}

// pullRemote has a daemon of another host pull n small files from src
// over SSH.
func pullRemote(b *testing.B, w *world, username, src string, n int) {
	srv, sshConfig := startSSHD(b, username, "alpensrc")
	defer srv.Stop()
	list := filepath.Join(b.TempDir(), "remote-files")
	writeList(b, list, n)

	// The same work by hand: one rsync of the whole list over one ssh
	// connection, as the daemon's batches are pulled (before and after the
	// daemon's run, averaged).
	whole := func() time.Duration {
		dst := filepath.Join(b.TempDir(), "whole")
		return parallel(b, []string{"rsync", "--quiet", "--times", "--protect-args", "--files-from", list,
			"-e", "ssh -F " + sshConfig, "alpensrc:" + src + "/", dst})
	}
	byHand := whole()

	w.node("far", "far", nodeOpts{host: "farhost", root: filepath.Join(b.TempDir(), "far")})
	const pickedUp = "Pre-pull search for "
	// The daemon starts its pass as soon as the requests are written
	// (daemon.wake_on_requests), rather than up to update_interval later:
	// the figure from the request is then the pulls', not the polling's.
	far := w.startDaemon(daemonOpts{host: "farhost", workers: 2, wake: true, env: []string{transfer.SSHConfigEnv + "=" + sshConfig}}, pulledLine, pickedUp)
	far.waitPasses(2, time.Minute)
	stop := far.profile("remote")
	start := time.Now()
	w.cli("node", "sync", "src", "far", "--force", "-F", list)
	requested := time.Since(start)
	end := far.waitSeen(pulledLine, n, time.Minute+time.Duration(n)*time.Second)
	stop()
	ours := end.Sub(start)
	// The daemon's own part: from the pass that picked the requests up
	// (its pre-pull search) to the last pull recorded, without the CLI's
	// run and the wait for that pass (about a quarter of a second).
	own := end.Sub(far.firstSeen(pickedUp))
	byHand = (byHand + whole()) / 2
	report(b, "4. small-file pulls", fmt.Sprintf("%d files from another host over SSH, 2 workers, %s, from the request: copies/s (one rsync -e ssh of the file list by hand: copies/s)", n, w.engine),
		float64(n)/ours.Seconds(), fmt.Sprintf("copies/s (%.1f)", float64(n)/byHand.Seconds()), "≥ 200 copies/s", "")
	report(b, "4. small-file pulls", "over SSH, from the request: throughput relative to the one rsync by hand", 100*byHand.Seconds()/ours.Seconds(), "%", "≥ 50 %", "")
	report(b, "4. small-file pulls", fmt.Sprintf("for reference: of which `alpenhorn node sync --force -F` (%d lines), %s", n, w.engine), requested.Seconds(), "s", "", "")
	report(b, "4. small-file pulls", "over SSH, from the pass that picked the requests up: copies/s", float64(n)/own.Seconds(), "copies/s", "", "")
	report(b, "4. small-file pulls", "over SSH, from the pass that picked the requests up: throughput relative to the one rsync by hand", 100*byHand.Seconds()/own.Seconds(), "%", "", "")
}
