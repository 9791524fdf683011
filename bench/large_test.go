package bench

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/sshd"
	"github.com/radiocosmology/alpenhorn-go/internal/transfer"
)

var (
	largeCount   = flag.Int("large", 4, "number of large files (items 2 and 6)")
	largeSize    = flag.Int64("large-size", 1<<30, "size in bytes of each large file (items 2 and 6)")
	largeEngines = flag.String("large-engines", "sqlite", "comma-separated engines for the large-file scenarios; with a handful of files the data index hardly matters")
)

// largeWorkers is num_workers for the large-file scenarios, and the
// number of md5sum, cp or rsync processes run side by side as their
// baselines.
const largeWorkers = 2

const pulledLine = "Pull of "

// The pulls' figures of the daemon's reads and CPU time. /proc/PID/io and
// /proc/PID/stat count the commands the daemon ran and waited for too. A
// local pull copies in process and reads the source once, hashing it on
// the way; in a remote one ssh reads the socket and rsync the pipe from
// ssh (the sending end's work is not counted), and reading the copy back
// to check its MD5 would be a third read, which rsync's computing the MD5
// as it writes avoids.
const (
	pulledReadFigure = "bytes read by the daemon, its rsync and ssh, per byte pulled"
	pulledCPUFigure  = "CPU time of the daemon, its rsync and ssh, per GiB pulled"
)

// BenchmarkLargeFiles (items 2 and 6) imports large files and then pulls
// them to a node on another filesystem of this host and to a node of
// another host over SSH, each time against the same work done by the
// standard tools (md5sum, cp, rsync -e ssh) on the same files, run
// largeWorkers at a time as the daemon's workers do. All the runs read
// files already in the page cache: the first md5sum warms it.
func BenchmarkLargeFiles(b *testing.B) {
	n, size := *largeCount, *largeSize
	need := int64(n) * size
	checkSpace(b, os.TempDir(), 3*need)
	checkSpace(b, "/dev/shm", need+need/10)
	bins := build(b)

	src := filepath.Join(b.TempDir(), "src")
	var paths []string
	for i := range n {
		p := filepath.Join(src, filePath(i))
		writeRandom(b, p, size, uint64(i))
		paths = append(paths, p)
	}
	run(b, "sync")

	for _, engine := range strings.Split(*largeEngines, ",") {
		b.Run(engine, func(b *testing.B) {
			largeImport(b, bins, engine, src, paths, size)
		})
	}
}

// checkSpace fails the benchmark early when dir has less than need bytes
// free.
func checkSpace(b *testing.B, dir string, need int64) {
	b.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		b.Fatal(err)
	}
	if free := int64(st.Bavail) * st.Bsize; free < need {
		b.Fatalf("%s has %.1f GiB free; the large-file scenarios need %.1f GiB (lower -large or -large-size)",
			dir, float64(free)/(1<<30), float64(need)/(1<<30))
	}
}

// writeRandom writes size bytes of incompressible data to path.
func writeRandom(b *testing.B, path string, size int64, seed uint64) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{byte(seed), 1})
	buf := make([]byte, 4*mib)
	w := bufio.NewWriterSize(f, len(buf))
	for left := size; left > 0; left -= int64(len(buf)) {
		chunk := buf[:min(int64(len(buf)), left)]
		rng.Read(chunk)
		if _, err := w.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// split deals paths out to k command lines of prog args..., as k workers
// taking the files in turn would.
func split(k int, paths []string, prog []string, tail ...string) [][]string {
	cmds := make([][]string, k)
	for i := range cmds {
		cmds[i] = append([]string(nil), prog...)
	}
	for i, p := range paths {
		cmds[i%k] = append(cmds[i%k], p)
	}
	for i := range cmds {
		cmds[i] = append(cmds[i], tail...)
	}
	return cmds
}

// readBytes is the number of bytes the process has read so far
// (/proc/PID/io rchar: every read, cached or not).
func readBytes(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no rchar in /proc/%d/io", pid)
	return 0
}

// cpuSeconds is the CPU time the process and the children it has waited
// for have used so far (/proc/PID/stat utime, stime, cutime and cstime, in
// Linux's fixed 100 ticks a second). Unlike the wall time it hardly
// depends on what else the machine is doing.
func cpuSeconds(b *testing.B, pid int) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces; field 3 follows.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	var ticks int64
	for _, f := range fields[11:15] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += n
	}
	return float64(ticks) / 100
}

func largeImport(b *testing.B, bins binaries, engine, src string, paths []string, size int64) {
	n := len(paths)
	total := int64(n) * size
	u, err := user.Current()
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(b, bins, engine)
	w.node("src", "src", nodeOpts{host: "alpenhost", root: src, address: "alpensrc", username: u.Username})

	// Throughputs count from the moment the daemon takes the request up
	// (its scan starts, its first transfer starts) to the last copy
	// registered: the wait for the next pass (update_interval, 1 s here)
	// is no part of reading or copying. It is logged too.
	mibps := func(d time.Duration) float64 { return float64(total) / mib / d.Seconds() }
	what := func(s string) string {
		return fmt.Sprintf("%d × %d MiB, %d workers, %s: %s", n, size/mib, largeWorkers, engine, s)
	}

	// Each baseline runs just before and just after the daemon's run, and
	// the mean of the two is the figure compared with: the machine's load
	// may change meanwhile.
	//
	// Item 2: import, against md5sum. A first md5sum warms the cache.
	md5sum := func() time.Duration { return parallel(b, split(largeWorkers, paths, []string{"md5sum"})...) }
	md5sum()
	base := md5sum()
	scanning := `Scanning "." on "src" for new files.`
	localPull, remotePull := "Pulling local file", "Pulling remote file"
	d := w.startDaemon(daemonOpts{host: "alpenhost", workers: largeWorkers}, importedLine, scanning, pulledLine, localPull)
	d.waitPasses(2, time.Minute)
	read0 := readBytes(b, d.pid())
	stopProfile := d.profile("import")
	start := time.Now()
	w.cli("node", "scan", "src", "--register-new")
	end := d.waitSeen(importedLine, n, 10*time.Minute)
	stopProfile()
	read := readBytes(b, d.pid()) - read0
	after := md5sum()
	b.Logf("md5sum: %.2f s before, %.2f s after", base.Seconds(), after.Seconds())
	base = (base + after) / 2
	ours := end.Sub(d.firstSeen(scanning))
	b.Logf("import: %.2f s from the request, %.2f s from the start of the scan", end.Sub(start).Seconds(), ours.Seconds())
	report(b, "2. large-file import", what("MiB/s (md5sum: MiB/s)"), mibps(ours), fmt.Sprintf("MiB/s (%.0f)", mibps(base)),
		"≥ 95 % of md5sum", "763 MiB/s, 2 workers")
	report(b, "2. large-file import", "throughput relative to md5sum", 100*base.Seconds()/ours.Seconds(), "%", "≥ 95 %", "")
	report(b, "2. large-file import", "bytes read by the daemon per byte imported", float64(read)/float64(total), "x", "1 (each file read once)", "")

	// Item 6, local: a node of this host on another filesystem (tmpfs),
	// so that the pull copies rather than links; against cp.
	shm, err := os.MkdirTemp("/dev/shm", "alpenhorn-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(shm) })
	cpDir := filepath.Join(shm, "cp")
	if err := os.Mkdir(cpDir, 0o755); err != nil {
		b.Fatal(err)
	}
	copyTo := func(prog ...string) time.Duration {
		t := parallel(b, split(largeWorkers, paths, prog, cpDir)...)
		if err := os.RemoveAll(cpDir); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(cpDir, 0o755); err != nil {
			b.Fatal(err)
		}
		return t
	}
	cp := copyTo("cp")
	w.node("shm", "shm", nodeOpts{host: "alpenhost", root: filepath.Join(shm, "node")})
	read0, cpu0 := readBytes(b, d.pid()), cpuSeconds(b, d.pid())
	stopProfile = d.profile("local")
	start = time.Now()
	w.cli("node", "sync", "src", "shm", "--force")
	end = d.waitSeen(pulledLine, n, 10*time.Minute)
	stopProfile()
	read, cpu := readBytes(b, d.pid())-read0, cpuSeconds(b, d.pid())-cpu0
	cpAfter := copyTo("cp")
	b.Logf("cp: %.2f s before, %.2f s after", cp.Seconds(), cpAfter.Seconds())
	cp = (cp + cpAfter) / 2
	ours = end.Sub(d.firstSeen(localPull))
	b.Logf("local pull: %.2f s from the request, %.2f s from the first transfer", end.Sub(start).Seconds(), ours.Seconds())
	report(b, "6. local pull", what("to tmpfs, MiB/s (cp: MiB/s)"), mibps(ours), fmt.Sprintf("MiB/s (%.0f)", mibps(cp)), "≥ 95 % of cp", "")
	report(b, "6. local pull", "throughput relative to cp", 100*cp.Seconds()/ours.Seconds(), "%", "≥ 95 %", "")
	// The pull must check the copy's MD5: hashing, which it does while
	// copying, bounds it, and md5sum of the same files is that bound.
	report(b, "6. local pull", "throughput relative to md5sum of the same files (item 2)", 100*base.Seconds()/ours.Seconds(), "%", "", "")
	report(b, "6. local pull", pulledReadFigure, float64(read)/float64(total), "x", "", "")
	report(b, "6. local pull", pulledCPUFigure, cpu/(float64(total)/(1<<30)), "s/GiB", "", "")
	d.stop()
	if err := os.RemoveAll(filepath.Join(shm, "node")); err != nil {
		b.Fatal(err)
	}

	// Item 6, remote: a node of another host pulls over SSH (rsync) from
	// this machine's sshd on loopback; against plain rsync -e ssh.
	srv, sshConfig := startSSHD(b, u.Username, "alpensrc")
	defer srv.Stop()
	plain := filepath.Join(b.TempDir(), "rsync")
	if err := os.Mkdir(plain, 0o755); err != nil {
		b.Fatal(err)
	}
	var remote []string
	for _, p := range paths {
		remote = append(remote, "alpensrc:"+p)
	}
	rsync := []string{"rsync", "--quiet", "--times", "--protect-args", "-e", "ssh -F " + sshConfig}
	plainRsync := func() time.Duration {
		t := parallel(b, split(largeWorkers, remote, rsync, plain)...)
		if err := os.RemoveAll(plain); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(plain, 0o755); err != nil {
			b.Fatal(err)
		}
		return t
	}
	plainTime := plainRsync()
	w.node("far", "far", nodeOpts{host: "farhost", root: filepath.Join(b.TempDir(), "far")})
	far := w.startDaemon(daemonOpts{host: "farhost", workers: largeWorkers, env: []string{transfer.SSHConfigEnv + "=" + sshConfig}}, pulledLine, remotePull)
	far.waitPasses(2, time.Minute)
	read0, cpu0 = readBytes(b, far.pid()), cpuSeconds(b, far.pid())
	stopProfile = far.profile("remote")
	start = time.Now()
	w.cli("node", "sync", "src", "far", "--force")
	end = far.waitSeen(pulledLine, n, 10*time.Minute)
	stopProfile()
	read, cpu = readBytes(b, far.pid())-read0, cpuSeconds(b, far.pid())-cpu0
	plainAfter := plainRsync()
	b.Logf("rsync -e ssh: %.2f s before, %.2f s after", plainTime.Seconds(), plainAfter.Seconds())
	plainTime = (plainTime + plainAfter) / 2
	ours = end.Sub(far.firstSeen(remotePull))
	b.Logf("remote pull: %.2f s from the request, %.2f s from the first transfer", end.Sub(start).Seconds(), ours.Seconds())
	report(b, "6. remote pull", what("over SSH on loopback, MiB/s (rsync -e ssh: MiB/s)"), mibps(ours),
		fmt.Sprintf("MiB/s (%.0f)", mibps(plainTime)), "≥ 95 % of rsync -e ssh", "")
	report(b, "6. remote pull", "throughput relative to rsync -e ssh", 100*plainTime.Seconds()/ours.Seconds(), "%", "≥ 95 %", "")
	report(b, "6. remote pull", pulledReadFigure, float64(read)/float64(total), "x", "2 (the copy is not read back)", "")
	report(b, "6. remote pull", pulledCPUFigure+" (this end only)", cpu/(float64(total)/(1<<30)), "s/GiB", "", "")
	if got := w.count("SELECT COUNT(*) FROM archivefilecopy WHERE has_file = 'Y'"); got != int64(3*n) {
		b.Fatalf("%d copies, want %d", got, 3*n)
	}
}

// startSSHD runs a private sshd on loopback that lets the current user in
// with a new key, and writes an ssh client configuration reaching it as
// alias. It returns the server and the configuration file.
func startSSHD(b *testing.B, username, alias string) (*sshd.Server, string) {
	b.Helper()
	if err := sshd.Check(); err != nil {
		b.Skipf("SKIPPING the SSH scenarios: %v", err)
	}
	dir := b.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := sshd.Keygen(b.Context(), key); err != nil {
		b.Fatal(err)
	}
	srv, err := sshd.Start(b.Context(), sshd.Options{Dir: dir, AuthorizedKeys: key + ".pub"})
	if err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(dir, "ssh_config")
	host := sshd.Host{Aliases: []string{alias}, HostName: srv.Addr, Port: srv.Port, User: username}
	if err := sshd.WriteClientConfig(conf, key, host); err != nil {
		srv.Stop()
		b.Fatal(err)
	}
	// The first connection is the slowest (host key, DNS): make it before
	// anything is timed.
	if out, err := exec.Command("ssh", "-F", conf, alias, "true").CombinedOutput(); err != nil {
		srv.Stop()
		b.Fatalf("ssh %s: %v\n%s", alias, err, out)
	}
	return srv, conf
}
