package demo

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Story tells the seed's demo on a cluster, printing a transcript: each
// command as the seed shows it, its output, and the daemon log lines it
// caused. After each step it checks what the seed shows (command output,
// the files each node holds in the data index and on disk, the states of
// copies) and stops at the first difference.
type Story struct {
	C   *Cluster
	Out io.Writer
	// Timeout bounds each wait for the daemons.
	Timeout time.Duration
	// Sections receives the title of each section as it is completed.
	Sections func(title string)

	ctx     context.Context
	section string
	// waitFrom is, per host, the log offset from which waits look for
	// lines; shown is the offset up to which lines have been printed;
	// vetted the offset up to which lines have been checked for errors.
	waitFrom, shown, vetted map[string]int
}

// The demo's nodes and groups.
const (
	storage1  = "demo_storage1"
	storage2  = "demo_storage2"
	storage3  = "demo_storage3"
	transport = "transport1"
	tgroup    = "transport_group"
)

// The demo's files.
const (
	meta1 = "2025/02/21/meta.txt"
	f1324 = "2025/02/21/23/1324.dat"
	f1330 = "2025/02/21/23/1330.dat"
	f1342 = "2025/02/21/23/1342.dat"
	f1349 = "2025/02/21/23/1349.dat"
	meta2 = "2025/02/26/meta.txt"
	f0529 = "2025/02/26/01/0529.dat"
	f0011 = "2025/02/26/02/0011.dat"
)

// pollInterval is how often waits look at the data index and logs.
const pollInterval = 200 * time.Millisecond

// failure carries a step's error out of the story.
type failure struct{ err error }

// Run tells the story. The error says which step failed and how.
func (s *Story) Run(ctx context.Context) (err error) {
	s.ctx = ctx
	s.waitFrom, s.shown, s.vetted = map[string]int{}, map[string]int{}, map[string]int{}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("step %q: %w", s.section, f.err)
		}
	}()
	s.setUp()
	s.importing()
	s.syncing()
	s.corruption()
	s.deleting()
	s.autoActions()
	s.sneakernet()
	s.done()
	return nil
}

func (s *Story) fail(format string, args ...any) {
	panic(failure{fmt.Errorf(format, args...)})
}

func (s *Story) check(err error) {
	if err != nil {
		s.fail("%w", err)
	}
}

// begin starts a section named as in the seed.
func (s *Story) begin(title string) {
	s.done()
	s.section = title
	fmt.Fprintf(s.Out, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
}

// done reports the section just finished.
func (s *Story) done() {
	if s.section != "" && s.Sections != nil {
		s.Sections(s.section)
	}
	s.section = ""
}

func (s *Story) note(format string, args ...any) {
	fmt.Fprintf(s.Out, "# "+format+"\n", args...)
}

// ---------------------------------------------------------------------------
// The alpenhorn command on alpenshell.

func (s *Story) prompt(host, dir string) string {
	mark := "#"
	if s.C.User != "root" {
		mark = "$"
	}
	return fmt.Sprintf("%s@%s:%s%s ", s.C.User, host, dir, mark)
}

// run runs an alpenhorn command, answering a confirmation with answer
// (empty: none expected), prints it and its output, and fails unless it
// succeeded and, when want is not empty, printed want.
func (s *Story) run(answer, want string, args ...string) {
	fmt.Fprintf(s.Out, "%salpenhorn %s\n", s.prompt(Shell, "/"), shellJoin(args))
	stdin := ""
	if answer != "" {
		stdin = answer + "\n"
	}
	out, status, err := s.C.Alpenhorn(s.ctx, stdin, args...)
	if answer != "" {
		// What a terminal shows: the typed answer after the prompt.
		out = strings.ReplaceAll(out, "Continue? [y/N]: ", "Continue? [y/N]: "+answer)
	}
	fmt.Fprint(s.Out, out)
	if err != nil {
		s.fail("alpenhorn %s: %w", shellJoin(args), err)
	}
	if status != 0 {
		s.fail("alpenhorn %s: exit status %d", shellJoin(args), status)
	}
	if want != "" {
		if err := matchOutput(out, strings.ReplaceAll(want, "{user}", s.C.User)); err != nil {
			s.fail("alpenhorn %s: %w", shellJoin(args), err)
		}
	}
	s.showLogs()
	s.vetLogs()
}

func (s *Story) alpenhorn(want string, args ...string) { s.run("", want, args...) }

// yes runs a command that asks for confirmation and confirms.
func (s *Story) yes(want string, args ...string) { s.run("y", want, args...) }

// shellJoin quotes args as a shell would need them.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]#~;&|<>(){}") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// ---------------------------------------------------------------------------
// Work on the hosts' file systems.

// onHost shows command run in host's node root and does it with fn.
func (s *Story) onHost(host, command string, fn func(root string) error) {
	root := s.C.NodeRoot(host)
	fmt.Fprintf(s.Out, "%s%s\n", s.prompt(host, root), command)
	if err := fn(root); err != nil {
		s.fail("on %s: %s: %w", host, command, err)
	}
}

func (s *Story) mkdir(host, dir string) {
	s.onHost(host, "mkdir -p "+dir, func(root string) error { return os.MkdirAll(filepath.Join(root, dir), 0o755) })
}

func (s *Story) touch(host, name string) {
	s.onHost(host, "touch "+name, func(root string) error {
		return os.WriteFile(filepath.Join(root, name), nil, 0o644)
	})
}

func (s *Story) echo(host, text, name string) {
	s.onHost(host, fmt.Sprintf("echo %q > %s", text, name), func(root string) error {
		return os.WriteFile(filepath.Join(root, name), []byte(text+"\n"), 0o644)
	})
}

// echoN writes text without a final newline.
func (s *Story) echoN(host, text, name string) {
	s.onHost(host, fmt.Sprintf("echo -n %q > %s", text, name), func(root string) error {
		return os.WriteFile(filepath.Join(root, name), []byte(text), 0o644)
	})
}

func (s *Story) rm(host, name string) {
	s.onHost(host, "rm -f "+name, func(root string) error { return os.Remove(filepath.Join(root, name)) })
}

func (s *Story) mv(host, from, to string) {
	s.onHost(host, "mv "+from+" "+to, func(root string) error {
		return os.Rename(filepath.Join(root, from), filepath.Join(root, to))
	})
}

// md5sum shows a file's MD5 digest and fails unless it is want.
func (s *Story) md5sum(host, name, want string) {
	s.onHost(host, "md5sum "+name, func(root string) error {
		sum, err := md5File(filepath.Join(root, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "%s  %s\n", sum, name)
		if sum != want {
			return fmt.Errorf("MD5 %s, expected %s", sum, want)
		}
		return nil
	})
}

func md5File(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// find lists host's node root as find does (in sorted order) and fails
// unless it holds exactly want, paths relative to the root.
func (s *Story) find(host string, want ...string) {
	root := s.C.NodeRoot(host)
	fmt.Fprintf(s.Out, "%sfind %s\n", s.prompt(host, "/"), root)
	var got []string
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		got = append(got, rel)
		return nil
	})
	if err != nil {
		s.fail("find %s: %w", root, err)
	}
	for _, rel := range got {
		fmt.Fprintln(s.Out, filepath.Join(root, rel))
	}
	want = append(want, ".")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		s.fail("%s holds %q, expected %q", root, got, want)
	}
}

// ---------------------------------------------------------------------------
// The daemons.

func (s *Story) startDaemon(host string) {
	fmt.Fprintf(s.Out, "$ docker compose up --detach %s    # here: alpenhornd --conf %s\n", host, s.C.hostConfig(host))
	s.mark(host)
	s.check(s.C.StartDaemon(host))
}

// mark makes later waits for hosts' log lines look only at what comes
// after now.
func (s *Story) mark(hosts ...string) {
	if len(hosts) == 0 {
		hosts = DaemonHosts
	}
	for _, h := range hosts {
		s.waitFrom[h] = len(s.C.Log(h))
	}
}

// waitFor polls cond until it holds, failing after s.Timeout or when a
// daemon has died. cond returns whether it holds and, if not, what it
// found instead.
func (s *Story) waitFor(what string, cond func() (bool, string, error)) {
	fmt.Fprintf(s.Out, "# ... waiting for %s\n", what)
	deadline := time.Now().Add(s.Timeout)
	for {
		ok, state, err := cond()
		if err != nil {
			s.fail("waiting for %s: %w", what, err)
		}
		if ok {
			s.showLogs()
			s.vetLogs()
			return
		}
		for _, h := range s.C.Started() {
			if err := s.C.DaemonExited(h); err != nil {
				s.showLogs()
				s.fail("waiting for %s: alpenhornd on %s exited: %v", what, h, err)
			}
		}
		s.vetLogs()
		if time.Now().After(deadline) {
			s.showLogs()
			s.fail("%s did not happen within %v; found: %s", what, s.Timeout, state)
		}
		select {
		case <-s.ctx.Done():
			s.fail("waiting for %s: %w", what, context.Cause(s.ctx))
		case <-time.After(pollInterval):
		}
	}
}

// waitLog waits for the daemon on host to log a line containing text,
// after the last mark.
func (s *Story) waitLog(host, text string) {
	s.waitLogCount(host, text, 1)
}

// waitLogCount waits for n lines containing text.
func (s *Story) waitLogCount(host, text string, n int) {
	what := fmt.Sprintf("%s to log: %s", host, text)
	if n > 1 {
		what = fmt.Sprintf("%s to log %d times: %s", host, n, text)
	}
	s.waitFor(what, func() (bool, string, error) {
		got := strings.Count(s.logSinceMark(host), text)
		return got >= n, fmt.Sprintf("%d such lines", got), nil
	})
}

// passes waits for n more update passes of the daemon on host to start:
// each logs the node's free space.
func (s *Story) passes(host, node string, n int) {
	s.mark(host)
	s.waitLogCount(host, "[MainThread] Node "+node+": ", n)
}

func (s *Story) logSinceMark(host string) string {
	log := s.C.Log(host)
	if from := s.waitFrom[host]; from <= len(log) {
		return log[from:]
	}
	return log
}

// expectedErrors matches the only error the seed's daemons log: the
// corruption the story causes.
var expectedErrors = regexp.MustCompile(`\] File \S+ on node \S+ is corrupt! `)

// vetLogs fails at the first ERROR or CRITICAL line a daemon has logged
// that the seed does not show: the story would then only time out later.
func (s *Story) vetLogs() {
	for _, h := range s.C.Started() {
		log := s.C.Log(h)
		end := strings.LastIndexByte(log, '\n') + 1
		from := min(s.vetted[h], end)
		for line := range strings.Lines(log[from:end]) {
			if (strings.Contains(line, " ERROR >> ") || strings.Contains(line, " CRITICAL >> ")) && !expectedErrors.MatchString(line) {
				s.showLogs()
				s.fail("alpenhornd on %s logged an error the seed does not show: %s", h, strings.TrimSpace(line))
			}
		}
		s.vetted[h] = end
	}
}

// routine matches the log lines every update pass writes, which the
// transcript leaves out.
var routine = regexp.MustCompile(`\[MainThread\] (Main loop execution was |Tasks: |Updating (node|group) "|Skipping update for |Node \S+: .* available\.$)`)

// showLogs prints the daemons' log lines not yet shown, as docker compose
// logs does, leaving out the routine ones.
func (s *Story) showLogs() {
	for _, h := range s.C.Started() {
		log := s.C.Log(h)
		from := s.shown[h]
		if from > len(log) {
			from = 0
		}
		// Only whole lines: the daemon may be writing the last one.
		end := strings.LastIndexByte(log, '\n') + 1
		if end <= from {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(log[from:end]))
		for sc.Scan() {
			if line := sc.Text(); !routine.MatchString(line) {
				fmt.Fprintf(s.Out, "%s-1  | %s\n", h, line)
			}
		}
		s.shown[h] = end
	}
}

// ---------------------------------------------------------------------------
// The data index.

type copyRow struct {
	Node      string
	Acq       string
	File      string
	HasFile   string
	WantsFile string
	Root      *string
}

func (r copyRow) path() string { return r.Acq + "/" + r.File }

func (s *Story) copies() ([]copyRow, error) {
	var rows []copyRow
	err := s.C.Index.Gorm.WithContext(s.ctx).Raw(`
		SELECT n.name AS node, a.name AS acq, f.name AS file,
		       c.has_file AS has_file, c.wants_file AS wants_file, n.root AS root
		FROM archivefilecopy c
		JOIN archivefile f ON f.id = c.file_id
		JOIN archiveacq a ON a.id = f.acq_id
		JOIN storagenode n ON n.id = c.node_id`).Scan(&rows).Error
	return rows, err
}

// waitHolds waits until each node named in want holds (has_file 'Y')
// exactly the files listed for it, then checks the node roots: every file
// held is there, with its recorded size, and every copy recorded as
// removed is gone.
func (s *Story) waitHolds(want map[string][]string) {
	var nodes []string
	for n := range want {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	var parts []string
	for _, n := range nodes {
		parts = append(parts, fmt.Sprintf("%s to hold %s", n, files(len(want[n]))))
	}
	var rows []copyRow
	s.waitFor(strings.Join(parts, ", "), func() (bool, string, error) {
		var err error
		if rows, err = s.copies(); err != nil {
			return false, "", err
		}
		held := map[string][]string{}
		for _, r := range rows {
			if r.HasFile == "Y" {
				held[r.Node] = append(held[r.Node], r.path())
			}
		}
		ok := true
		var found []string
		for _, n := range nodes {
			w := slices.Clone(want[n])
			slices.Sort(w)
			slices.Sort(held[n])
			ok = ok && slices.Equal(w, held[n])
			found = append(found, fmt.Sprintf("%s holds %q", n, held[n]))
		}
		return ok, strings.Join(found, "; "), nil
	})
	for _, r := range rows {
		if _, ok := want[r.Node]; !ok || r.Root == nil {
			continue
		}
		name := filepath.Join(*r.Root, r.path())
		_, err := os.Stat(name)
		switch {
		case r.HasFile == "Y" && err != nil:
			s.fail("%s holds %s in the data index, but not on disk: %v", r.Node, r.path(), err)
		case r.HasFile == "N" && !errors.Is(err, fs.ErrNotExist):
			s.fail("%s recorded as removed from %s, but %s is still there", r.path(), r.Node, name)
		}
	}
}

func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// waitState waits until the copy of path on node has the given has_file.
func (s *Story) waitState(node, path, hasFile string) {
	s.waitFor(fmt.Sprintf("the copy of %s on %s to have has_file=%s", path, node, hasFile), func() (bool, string, error) {
		rows, err := s.copies()
		if err != nil {
			return false, "", err
		}
		for _, r := range rows {
			if r.Node == node && r.path() == path {
				return r.HasFile == hasFile, "has_file=" + r.HasFile, nil
			}
		}
		return false, "no copy", nil
	})
}

// waitRequests waits until every import request of node is completed.
func (s *Story) waitRequests(node string) {
	s.waitFor("the import requests of "+node+" to be completed", func() (bool, string, error) {
		var n int64
		err := s.C.Index.Gorm.WithContext(s.ctx).Raw(`
			SELECT COUNT(*) FROM archivefileimportrequest r
			JOIN storagenode n ON n.id = r.node_id
			WHERE n.name = ? AND r.completed = 0`, node).Scan(&n).Error
		return n == 0, fmt.Sprintf("%d pending", n), err
	})
}

// waitFile waits for a file to appear on disk.
func (s *Story) waitFile(name string) {
	s.waitFor(name+" to exist", func() (bool, string, error) {
		_, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return false, "missing", nil
		}
		return err == nil, "", err
	})
}
