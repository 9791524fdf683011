package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/fsutil"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

func init() { register("node", nodeIngestManifestCommand) }

func nodeIngestManifestCommand(a *App) *cobra.Command {
	var manifestPath, receiptPath stringValue
	cmd := leaf("ingest-manifest NODE", "Register the files a sneakernet manifest lists on a node", func(cmd *cobra.Command, args []string) error {
		if err := checkInputFile(cmd, "manifest", manifestPath); err != nil {
			return err
		}
		if receiptPath.set && receiptPath.v == "" {
			return usageErrorf(cmd, "Invalid value for '--receipt': must not be empty.")
		}
		if receiptPath.set {
			if st, err := os.Stat(receiptPath.v); err == nil && st.IsDir() {
				return usageErrorf(cmd, "Invalid value for '--receipt': File '%s' is a directory.", receiptPath.v)
			}
		} else {
			receiptPath.v = sneakernet.ReceiptPath(manifestPath.v)
		}
		return a.runIngestManifest(cmd.Context(), args[0], manifestPath.v, receiptPath.v)
	})
	cmd.Flags().Var(&manifestPath, "manifest", "ingest the manifest in `FILE` (required)")
	cmd.Flags().Var(&receiptPath, "receipt", "write the receipt to `FILE` (default: beside the manifest, NAME.receipt.json)")
	return cmd
}

// checkInputFile applies click's checks of a required, existing file option.
func checkInputFile(cmd *cobra.Command, opt string, v stringValue) error {
	if !v.set {
		return usageErrorf(cmd, "Missing option '--%s'.", opt)
	}
	st, err := os.Stat(v.v)
	switch {
	case err != nil:
		return usageErrorf(cmd, "Invalid value for '--%s': File '%s' does not exist.", opt, v.v)
	case st.IsDir():
		return usageErrorf(cmd, "Invalid value for '--%s': File '%s' is a directory.", opt, v.v)
	}
	return nil
}

func (a *App) runIngestManifest(ctx context.Context, nodeName, manifestPath, receiptPath string) error {
	m, err := sneakernet.ReadManifest(manifestPath)
	if err != nil {
		return fmt.Errorf("cannot read manifest: %v", err)
	}
	if !strings.EqualFold(m.Node, nodeName) {
		return fmt.Errorf("manifest %s is for node \"%s\", not \"%s\"", manifestPath, m.Node, nodeName)
	}
	d, err := a.DB(ctx, true)
	if err != nil {
		return err
	}
	in, err := prepareIngest(ctx, d, nodeName, m, manifestPath)
	if err != nil {
		return err
	}
	receipt, err := sneakernet.Stage(receiptPath)
	if err != nil {
		return fmt.Errorf("cannot write the receipt to %s: %v", receiptPath, unwrapPath(err))
	}
	defer receipt.Discard()
	if in.self, err = sneakernet.Setup(ctx, d); err != nil {
		return err
	}
	if in.self == m.Source {
		return fmt.Errorf("manifest %s was written by this data index", manifestPath)
	}

	bar := a.newProgress("Ingesting manifest", int64(len(m.Files)))
	if bar != nil {
		in.progress = bar.set
	}
	in.report = func(line string) {
		bar.clear()
		a.Echo("%s", line)
	}
	if err := in.run(ctx); err != nil {
		bar.clear()
		return err
	}
	bar.finish()
	n := len(m.Files)
	a.Echo("Ingested %d/%d files, %d/%d already existed, %d failed.", in.ingested, n, in.existed, n, in.failed)

	data, err := in.receipt.Marshal()
	if err == nil {
		if err = receipt.Write(data); err == nil {
			err = receipt.Commit()
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write the receipt to %s: %v", receiptPath, unwrapPath(err))
	}
	a.Echo("Wrote receipt to %s.", receiptPath)
	if in.failed > 0 {
		return fmt.Errorf("%d %s not ingested.", in.failed, nounFor(int64(in.failed), "file was", "files were"))
	}
	return nil
}

// manifestIngest registers a manifest's files on a node, one transaction
// per file, so that an interrupted ingest keeps what it did and a re-run
// carries on.
type manifestIngest struct {
	d        *db.DB
	node     *db.StorageNode
	m        *sneakernet.Manifest
	self     string
	paths    []string
	pathErrs []error
	// present maps the paths of the node's present copies to their files'
	// MD5 sums: those files are counted as existing without reading them.
	present map[string]*string

	receipt                   *sneakernet.Receipt
	ingested, existed, failed int

	// report prints a line about a file that was not ingested.
	report func(line string)
	// progress, when set, is told how many files are done after each.
	progress func(done int)
}

// prepareIngest makes every check that refuses a manifest as a whole,
// before anything is registered: the node and its device, the copy of the
// manifest on the device, and that no entry leads outside the node root.
func prepareIngest(ctx context.Context, d *db.DB, nodeName string, m *sneakernet.Manifest, manifestPath string) (*manifestIngest, error) {
	in := &manifestIngest{d: d, m: m, report: func(string) {}}
	err := d.Transaction(ctx, func(tx *gorm.DB) error {
		node, err := resolveNode(d, tx, nodeName, "no such node: %s")
		if err != nil {
			return err
		}
		in.node = node
		rows, err := index.PresentCopies(tx, node.ID)
		in.present = make(map[string]*string, len(rows))
		for _, r := range rows {
			in.present[r.AcqName+"/"+r.Name] = r.MD5
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if in.node.Root == nil || *in.node.Root == "" {
		return nil, fmt.Errorf("node \"%s\" has no root.", in.node.Name)
	}
	root := *in.node.Root
	if err := sneakernet.CheckDevice(root, in.node.Name); err != nil {
		return nil, err
	}
	// The copy on the device tells whether this is the device the manifest
	// describes; an unreadable one is no reason to stop.
	onDevice := filepath.Join(root, sneakernet.DeviceManifest)
	if dm, err := sneakernet.ReadManifest(onDevice); err == nil && dm.ID != m.ID {
		return nil, fmt.Errorf("manifest %s is %s, but the device of node \"%s\" holds manifest %s (%s)", manifestPath, m.ID, in.node.Name, dm.ID, onDevice)
	}
	in.paths = make([]string, len(m.Files))
	in.pathErrs = make([]error, len(m.Files))
	for i, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := fsutil.JoinUnderRoot(root, f.Path())
		if errors.Is(err, fsutil.ErrOutsideRoot) {
			return nil, fmt.Errorf("manifest %s: entry %d: %s leads outside the root of node \"%s\"", manifestPath, i+1, f.Path(), in.node.Name)
		}
		in.paths[i], in.pathErrs[i] = p, err
	}
	return in, nil
}

// run ingests every entry in order; it stops only when ctx ends or the
// data index fails.
func (in *manifestIngest) run(ctx context.Context) error {
	in.receipt = sneakernet.NewReceipt(in.m, in.self)
	for i, f := range in.m.Files {
		if ctx.Err() != nil {
			return in.interrupted(i)
		}
		status, reason, err := in.one(ctx, i, f)
		if err != nil {
			if ctx.Err() != nil {
				return in.interrupted(i)
			}
			return err
		}
		switch status {
		case sneakernet.Ingested:
			in.ingested++
		case sneakernet.Existed:
			in.existed++
		default:
			in.failed++
			in.report(fmt.Sprintf("Not ingesting %s: %s.", f.Path(), reason))
		}
		in.receipt.Files = append(in.receipt.Files, sneakernet.ReceiptFile{Acq: f.Acq, Name: f.Name, MD5: f.MD5, Status: status, Reason: reason})
		if in.progress != nil {
			in.progress(i + 1)
		}
	}
	return nil
}

func (in *manifestIngest) interrupted(done int) error {
	return fmt.Errorf("interrupted after %d of %d files (%d ingested); run the command again to finish", done, len(in.m.Files), in.ingested)
}

// one ingests entry i: it returns its status and, for a failure, why.
// Errors are those of the data index or of ctx.
func (in *manifestIngest) one(ctx context.Context, i int, f sneakernet.ManifestFile) (string, string, error) {
	if sum, ok := in.present[f.Path()]; ok {
		if sum == nil || !strings.EqualFold(*sum, f.MD5) {
			return sneakernet.Failed, registeredWith(sum), nil
		}
		return sneakernet.Existed, "", nil
	}
	if in.pathErrs[i] != nil {
		return sneakernet.Failed, in.pathErrs[i].Error(), nil
	}
	path := in.paths[i]
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return sneakernet.Failed, "not on the node", nil
	case err != nil:
		return sneakernet.Failed, unwrapPath(err).Error(), nil
	case !st.Mode().IsRegular():
		return sneakernet.Failed, "not a regular file", nil
	case st.Size() != f.Size:
		return sneakernet.Failed, fmt.Sprintf("size %d on the node, %d in the manifest", st.Size(), f.Size), nil
	}
	sum, size, err := scanLocalFile(ctx, path)
	if ctx.Err() != nil {
		return "", "", ctx.Err()
	}
	switch {
	case err != nil:
		return sneakernet.Failed, err.Error(), nil
	case size != f.Size:
		return sneakernet.Failed, fmt.Sprintf("size %d on the node, %d in the manifest", size, f.Size), nil
	case sum != f.MD5:
		return sneakernet.Failed, fmt.Sprintf("MD5 sum %s on the node, %s in the manifest", sum, f.MD5), nil
	}
	alloc, err := fsutil.AllocatedSize(path)
	if err != nil {
		return sneakernet.Failed, unwrapPath(err).Error(), nil
	}
	var status, reason string
	err = in.d.Transaction(ctx, func(tx *gorm.DB) error {
		status, reason, err = in.register(tx, f, alloc)
		return err
	})
	return status, reason, err
}

// register records the verified file f and its copy on the node: the
// acquisition and file unless they exist, the copy present and wanted.
func (in *manifestIngest) register(tx *gorm.DB, f sneakernet.ManifestFile, alloc int64) (string, string, error) {
	acq, err := index.FindByName[db.ArchiveAcq](in.d, tx, f.Acq)
	if err != nil {
		return "", "", err
	}
	if acq == nil {
		if acq, err = index.CreateAcq(tx, f.Acq); err != nil {
			return "", "", err
		}
	} else if acq.Name != f.Acq {
		// The copy would be looked for under the registered spelling.
		return sneakernet.Failed, fmt.Sprintf("acquisition registered as \"%s\"", acq.Name), nil
	}
	rec, err := index.FindFileInAcq(tx, acq.ID, f.Name)
	if err != nil {
		return "", "", err
	}
	status := sneakernet.Ingested
	var fileID int64
	if rec != nil {
		switch {
		case rec.Name != f.Name:
			return sneakernet.Failed, fmt.Sprintf("file registered as \"%s\"", rec.Name), nil
		case rec.MD5Sum == nil || !strings.EqualFold(*rec.MD5Sum, f.MD5):
			return sneakernet.Failed, registeredWith(rec.MD5Sum), nil
		case rec.SizeB != nil && *rec.SizeB != f.Size:
			return sneakernet.Failed, fmt.Sprintf("registered with size %d", *rec.SizeB), nil
		}
		status, fileID = sneakernet.Existed, rec.ID
	} else {
		size, sum := f.Size, f.MD5
		rec := db.ArchiveFile{AcqID: acq.ID, Name: f.Name, SizeB: &size, MD5Sum: &sum, Registered: db.NewTime(f.Registered)}
		if err := index.CreateFile(tx, &rec); err != nil {
			return "", "", err
		}
		fileID = rec.ID
	}
	return status, "", index.RecordVerifiedCopy(tx, fileID, in.node.ID, alloc)
}

func registeredWith(sum *string) string {
	if sum == nil {
		return "registered here without an MD5 sum"
	}
	return "registered here with MD5 sum " + *sum
}
