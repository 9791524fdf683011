package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// make runs a Makefile target of the repository with extra variables.
func runMake(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-C", "..", "--no-print-directory"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func need(t *testing.T, programs ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: builds and installs the release (`make test` runs it)")
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
}

// The files make install puts where, under PREFIX and DESTDIR.
func TestMakeInstallLayout(t *testing.T) {
	need(t, "make", "git")
	dest := t.TempDir()
	runMake(t, "install", "PREFIX=/opt/alpenhorn", "DESTDIR="+dest, "BIN="+t.TempDir())
	root := filepath.Join(dest, "opt/alpenhorn")
	for _, f := range []string{
		"bin/alpenhorn", "bin/alpenhornd",
		"share/man/man1/alpenhorn.1", "share/man/man1/alpenhornd.1", "share/man/man1/alpenhorn-node-clean.1",
		"share/bash-completion/completions/alpenhorn", "share/zsh/vendor-completions/_alpenhorn",
		"share/fish/vendor_completions.d/alpenhorn.fish",
		"share/doc/alpenhorn/alpenhorn.conf.example", "share/doc/alpenhorn/operations.md",
		"lib/systemd/system/alpenhornd.service", "lib/sysusers.d/alpenhorn.conf",
	} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("make install: %v", err)
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, "lib/systemd/system/alpenhornd.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/opt/alpenhorn/bin/alpenhornd\n") {
		t.Errorf("the installed unit does not run the installed daemon")
	}
	out, err := exec.Command(filepath.Join(root, "bin/alpenhorn"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	head, _ := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if !strings.Contains(string(out), "+"+strings.TrimSpace(string(head))) {
		t.Errorf("--version does not name the commit %s: %s", head, out)
	}
}

// The .deb installs into the real system, its unit passes systemd's
// checks there, and it is removed again. Only as root, and only where no
// alpenhorn package is installed already.
func TestDebInstalls(t *testing.T) {
	need(t, "make", "git", "dpkg", "dpkg-deb", "systemd-analyze")
	if os.Geteuid() != 0 {
		t.Skip("installing the package needs root")
	}
	if exec.Command("dpkg-query", "-W", "alpenhorn").Run() == nil {
		t.Skip("an alpenhorn package is installed already; not touching it")
	}
	_, noUserBefore := exec.Command("getent", "passwd", "alpenhorn").Output()
	bin := t.TempDir()
	out := runMake(t, "deb", "BIN="+bin)
	debs, _ := filepath.Glob(filepath.Join(bin, "alpenhorn_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make deb made %v\n%s", debs, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", "alpenhorn").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge: %v\n%s", err, out)
		}
		if noUserBefore != nil {
			exec.Command("userdel", "alpenhorn").Run()
			exec.Command("groupdel", "alpenhorn").Run()
			os.RemoveAll("/var/lib/alpenhorn")
			os.Remove("/etc/alpenhorn")
		}
	})
	if out, err := exec.Command("dpkg", "-i", debs[0]).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	for _, f := range []string{
		"/usr/bin/alpenhorn", "/usr/bin/alpenhornd", "/usr/share/man/man1/alpenhorn-node-clean.1.gz",
		"/usr/share/man/man1/alpenhornd.1.gz", "/usr/share/bash-completion/completions/alpenhorn",
		"/usr/share/doc/alpenhorn/alpenhorn.conf.example", "/usr/share/doc/alpenhorn/copyright",
		"/usr/lib/systemd/system/alpenhornd.service",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("installed package: %v", err)
		}
	}
	if _, err := exec.Command("getent", "passwd", "alpenhorn").Output(); err != nil {
		t.Errorf("the package made no alpenhorn user")
	}
	if info, err := os.Stat("/var/lib/alpenhorn"); err != nil || info.Mode().Perm() != 0o750 {
		t.Errorf("/var/lib/alpenhorn: %v %v", info, err)
	}
	unit := "/usr/lib/systemd/system/alpenhornd.service"
	if out, err := exec.Command("systemd-analyze", "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
	}
	out2, _ := exec.Command("systemd-analyze", "security", "--offline=yes", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for alpenhornd.service: ([0-9.]+)`).FindSubmatch(out2)
	if m == nil {
		t.Fatalf("systemd-analyze security:\n%s", out2)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.5 {
		t.Errorf("exposure level %s, want at most 2.5\n%s", m[1], out2)
	}
	if out, err := exec.Command("/usr/bin/alpenhornd", "--help").Output(); err != nil || !strings.Contains(string(out), "--check-config") {
		t.Errorf("installed alpenhornd --help: %v\n%s", err, out)
	}
}
