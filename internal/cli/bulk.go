package cli

// Shared parts of the bulk commands (group sync, node sync, node clean,
// node verify): the -F option, the file list they read once, and the report
// a phase prints after its transaction.

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

// addFileListFlag defines -F/--file-list.
func addFileListFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "file-list", "F", "", "only act on the files listed in `PATH`, one ACQ/FILE per line (\"-\" reads stdin)")
}

// checkFileListPath applies the parse-time checks of -F: the file must
// exist, not be a directory, and be readable ("-" is stdin).
func checkFileListPath(cmd *cobra.Command, p string) error {
	if !cmd.Flags().Changed("file-list") || p == "-" {
		return nil
	}
	const opt = "Invalid value for '-F' / '--file-list'"
	st, err := os.Stat(p)
	if err != nil {
		return usageErrorf(cmd, "%s: File '%s' does not exist.", opt, p)
	}
	if st.IsDir() {
		return usageErrorf(cmd, "%s: File '%s' is a directory.", opt, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return usageErrorf(cmd, "%s: File '%s' is not readable.", opt, p)
	}
	f.Close()
	return nil
}

// listedFiles is the -F selection of a bulk command: read on first use
// (after the stdin check, outside any transaction, since reading may
// wait on stdin) and resolved once, in the first phase's transaction.
type listedFiles struct {
	path     string
	given    bool
	list     *fileList
	ids      map[int64]bool
	resolved bool
}

func newListedFiles(cmd *cobra.Command, path string) *listedFiles {
	return &listedFiles{path: path, given: cmd.Flags().Changed("file-list")}
}

// read loads the list; it does nothing after the first call.
func (l *listedFiles) read(a *App) error {
	if !l.given || l.list != nil {
		return nil
	}
	fl, err := a.readFileList(l.path)
	if err != nil {
		return err
	}
	l.list = fl
	return nil
}

// resolve turns the list into file ids. rootNode names the node whose root
// is stripped from absolute lines; nil means none (relative paths only).
func (l *listedFiles) resolve(d *db.DB, tx *gorm.DB, rootNode *string) error {
	if !l.given || l.resolved {
		return nil
	}
	var root *string
	if rootNode != nil {
		n, err := resolveNode(d, tx, *rootNode, "No such node: %s")
		if err != nil {
			return err
		}
		root = n.Root
	}
	ids, err := l.list.resolve(d, tx, root)
	if err != nil {
		return err
	}
	l.ids, l.resolved = ids, true
	return nil
}

// admits reports whether the list lets file id through. A list that names
// no file admits nothing (decision D-flist).
func (l *listedFiles) admits(id int64) bool { return !l.given || l.ids[id] }

// admit is the list as a plan's filter.
func (l *listedFiles) admit() index.Admit {
	if !l.given {
		return nil
	}
	return l.admits
}

// runBulk opens the data index and runs the check/confirm/update flow of
// a bulk command. Each pass reads the file list if need be, runs run in a
// transaction of its own, and prints the report once the transaction has
// committed. run draws its progress bars with track.
func (a *App) runBulk(cmd *cobra.Command, listed *listedFiles, check, force, listOnStdin bool, run func(d *db.DB, tx *gorm.DB, update, first bool, out *report, track tracker) (bool, error)) error {
	ctx := cmd.Context()
	d, err := a.DB(ctx, true)
	if err != nil {
		return err
	}
	return a.confirmFlow(cmd, check, force, listOnStdin, func(update, first bool) (bool, error) {
		if err := listed.read(a); err != nil {
			return false, err
		}
		var out report
		var nothing bool
		err := d.Transaction(ctx, func(tx *gorm.DB) error {
			out = nil
			var err error
			nothing, err = run(d, tx, update, first, &out, a.track)
			return err
		})
		if err != nil {
			return false, err
		}
		a.print(out)
		return nothing, nil
	})
}

// report is what a phase prints. It is printed only after the phase's
// transaction has committed, so that a transaction retried after a lost
// connection does not print twice.
type report []string

func (r *report) add(format string, args ...any) { *r = append(*r, fmt.Sprintf(format, args...)) }

func (a *App) print(r report) {
	for _, line := range r {
		a.Echo("%s", line)
	}
}
