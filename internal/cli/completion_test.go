package cli

import (
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	call := func(args ...string) result {
		var out, errb strings.Builder
		code := Main(args, strings.NewReader(""), &out, &errb)
		return result{out.String(), errb.String(), code}
	}
	for shell, start := range map[string]string{
		"bash": "# bash completion V2 for alpenhorn",
		"zsh":  "#compdef alpenhorn",
		"fish": "# fish completion for alpenhorn",
	} {
		if r := call("completion", shell); r.code != 0 || !strings.HasPrefix(r.stdout, start) || r.stderr != "" {
			t.Errorf("completion %s: exit %d, stdout starts %.40q, stderr %q", shell, r.code, r.stdout, r.stderr)
		}
	}

	// The scripts ask the program itself; global options before the
	// command word must not get in the way.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "node", "cr"}, "create\tCreate a new storage node\n:4\n"},
		{[]string{"__complete", "-q", "--conf", "x.conf", "--test-isolation", "group", "auto"}, "autosync\tAdd or remove an auto-sync source of a group\n:4\n"},
		{[]string{"__completeNoDesc", "-c", "x.conf", "node", "scan", "N1", "--reg"}, "--register-new\n:4\n"},
		{[]string{"__complete", "ac"}, "acq\tManage acquisitions\n:4\n"},
	} {
		if r := call(c.args...); r.code != 0 || r.stdout != c.want {
			t.Errorf("%s: exit %d, stdout %q, want %q", strings.Join(c.args, " "), r.code, r.stdout, c.want)
		}
	}

	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"completion", "tcsh"}, usageText("completion", "COMMAND [ARGS]...", "No such command 'tcsh'.")},
		{[]string{"completion", "bash", "extra"}, usageText("completion bash", "", "Got unexpected extra argument (extra)")},
	} {
		if r := call(c.args...); r.code != 2 || r.stdout != "" || r.stderr != c.stderr {
			t.Errorf("%s: exit %d, stdout %q, stderr %q, want %q", strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.stderr)
		}
	}
}
