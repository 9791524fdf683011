package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run runs ensure-packages.sh for purpose with rsync made to look missing
// and id and apt-get replaced by stubs; uid is what id -u says.
func run(t *testing.T, purpose, uid string) (code int, stderr, aptCalls string) {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile("ensure-packages.sh")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(script), "rsync) echo rsync ;;", "rsync) echo rsync-not-installed ;;", 1)
	if text == string(script) {
		t.Fatal("the script no longer maps rsync to its program")
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("ensure.sh", text)
	write("id", "#!/bin/sh\necho "+uid+"\n")
	calls := filepath.Join(dir, "apt-calls")
	write("apt-get", "#!/bin/sh\necho \"$*\" >>"+calls+"\n")
	cmd := exec.Command("sh", filepath.Join(dir, "ensure.sh"), purpose)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "ALPENHORN_POLICY_RC_D="+filepath.Join(dir, "policy-rc.d"))
	var errb strings.Builder
	cmd.Stderr = &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(calls)
	if _, err := os.Stat(filepath.Join(dir, "policy-rc.d")); err == nil {
		t.Errorf("policy-rc.d left behind")
	}
	return code, errb.String(), string(data)
}

func TestNotRootDemoStopsWithTheCommand(t *testing.T) {
	code, stderr, apt := run(t, "demo", "1000")
	if code != 1 || !strings.Contains(stderr, "sudo apt-get install --no-install-recommends rsync") || apt != "" {
		t.Errorf("exit %d, stderr %q, apt %q", code, stderr, apt)
	}
}

func TestNotRootTestSkipsLoudly(t *testing.T) {
	code, stderr, apt := run(t, "test", "1000")
	if code != 0 || !strings.Contains(stderr, "*** make test: SKIPPING the tests that need rsync") || apt != "" {
		t.Errorf("exit %d, stderr %q, apt %q", code, stderr, apt)
	}
}

func TestRootInstallsSayingWhat(t *testing.T) {
	code, stderr, apt := run(t, "demo", "0")
	if code != 0 || !strings.Contains(stderr, "installing system packages needed by make demo: rsync") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if apt != "update -q\ninstall -y -q --no-install-recommends rsync\n" {
		t.Errorf("apt-get calls %q", apt)
	}
}
