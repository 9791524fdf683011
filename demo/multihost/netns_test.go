package multihost

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The private network of the test: a bridge inside a namespace of its own,
// with one veth pair to each host's namespace. Nothing is added to the
// machine's own network namespace, so no traffic can leave the test's
// namespaces.
const (
	subnet   = "10.213.77."
	maskBits = "/24"
	// nsPrefix starts the names of the test's namespaces, followed by the
	// test process's id, so that namespaces left by a killed run can be
	// found and removed.
	nsPrefix = "alpenmh"
)

// addresses are the hosts' addresses on the bridge.
var addresses = map[string]string{
	"alpendb":    subnet + "10",
	"alpenshell": subnet + "11",
	"alpenhost1": subnet + "21",
	"alpenhost2": subnet + "22",
	"alpenhost3": subnet + "23",
}

// network is the set of namespaces.
type network struct {
	prefix string
	// hostsFile maps every host name to its address; each program run in
	// a host's namespace sees it as /etc/hosts.
	hostsFile string
}

func (n *network) ns(host string) string { return n.prefix + "-" + host }

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// canUseNetns reports why network namespaces cannot be used here, or "":
// it creates one and runs a program in it as the test does, with a bind
// mount over /etc/hosts.
func canUseNetns() string {
	if os.Geteuid() != 0 {
		return "not running as root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "no ip command (install iproute2)"
	}
	probe := nsPrefix + strconv.Itoa(os.Getpid()) + "-probe"
	if err := ip("netns", "add", probe); err != nil {
		return fmt.Sprintf("ip netns unavailable: %v", err)
	}
	defer ip("netns", "del", probe)
	n := &network{prefix: strings.TrimSuffix(probe, "-probe"), hostsFile: "/etc/hosts"}
	if out, err := n.command("probe", "true").CombinedOutput(); err != nil {
		return fmt.Sprintf("cannot run programs in a network namespace: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return ""
}

// removeStaleNamespaces deletes the namespaces of runs whose process is
// gone (killed by a time-out before its clean-up ran).
func removeStaleNamespaces() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], nsPrefix) {
			continue
		}
		pidText, _, _ := strings.Cut(strings.TrimPrefix(fields[0], nsPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			ip("netns", "del", fields[0])
		}
	}
}

// newNetwork creates the namespaces, the bridge and the hosts' links; the
// test's clean-up deletes them all.
func newNetwork(t *testing.T, dir string) *network {
	t.Helper()
	removeStaleNamespaces()
	n := &network{prefix: nsPrefix + strconv.Itoa(os.Getpid()), hostsFile: filepath.Join(dir, "etc_hosts")}
	hosts := "127.0.0.1 localhost\n"
	var names []string
	for _, h := range []string{"alpendb", "alpenshell", "alpenhost1", "alpenhost2", "alpenhost3"} {
		hosts += addresses[h] + " " + h + "\n"
		names = append(names, h)
	}
	if err := os.WriteFile(n.hostsFile, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}

	bridge := n.ns("net")
	var created []string
	t.Cleanup(func() {
		for _, ns := range created {
			if err := ip("netns", "del", ns); err != nil {
				t.Errorf("remove network namespace: %v", err)
			}
		}
	})
	add := func(ns string) {
		if err := ip("netns", "add", ns); err != nil {
			t.Fatal(err)
		}
		created = append(created, ns)
	}
	must := func(args ...string) {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	add(bridge)
	must("-n", bridge, "link", "add", "br0", "type", "bridge")
	must("-n", bridge, "link", "set", "br0", "up")
	for i, h := range names {
		ns := n.ns(h)
		add(ns)
		port := "p" + strconv.Itoa(i)
		must("-n", bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
		must("-n", bridge, "link", "set", port, "master", "br0", "up")
		must("-n", ns, "addr", "add", addresses[h]+maskBits, "dev", "eth0")
		must("-n", ns, "link", "set", "eth0", "up")
		must("-n", ns, "link", "set", "lo", "up")
	}
	return n
}

// command runs argv in host's namespace with the test's hosts file as
// /etc/hosts. ip netns exec gives the program a mount namespace of its
// own, so the bind mount is seen by nothing else; the program replaces
// the shell, so that signalling the command signals it.
func (n *network) command(host string, argv ...string) *exec.Cmd {
	args := append([]string{"netns", "exec", n.ns(host), "sh", "-c", `mount --bind "$0" /etc/hosts && exec "$@"`, n.hostsFile}, argv...)
	return exec.Command("ip", args...)
}
