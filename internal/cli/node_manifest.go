package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

func init() { register("node", nodeManifestCommand) }

// nodeManifest is one node manifest: the manifest of a node's present
// copies, for a sneakernet transfer of its device to another data index.
type nodeManifest struct {
	name                     string
	output, destination      stringValue
	deactivate, unavailable  bool
	outputs                  []string
	nodeID                   int64
	root                     string
	manifest                 *sneakernet.Manifest
	size                     int64
	skipped                  []string
	marked                   int64
	deactivated, wasInactive bool
}

func nodeManifestCommand(a *App) *cobra.Command {
	c := &nodeManifest{}
	cmd := leaf("manifest NODE", "Write a manifest of the files on a node, for a sneakernet transfer", func(cmd *cobra.Command, args []string) error {
		c.name = args[0]
		return a.runNodeManifest(cmd, c)
	})
	f := cmd.Flags()
	f.BoolVar(&c.deactivate, "deactivate", false, "deactivate the node in the same step")
	f.Var(&c.destination, "destination", "record the files as outgoing to `NAME`")
	f.BoolVar(&c.unavailable, "mark-unavailable", false, "mark the node's copies as no longer available here")
	f.Var(&c.output, "output", "also write the manifest to `FILE` (it is always written to the node root)")
	return cmd
}

func (a *App) runNodeManifest(cmd *cobra.Command, c *nodeManifest) error {
	if c.destination.set && c.destination.v == "" {
		return usageErrorf(cmd, "Invalid value for '--destination': must not be empty.")
	}
	if c.output.set {
		if c.output.v == "" {
			return usageErrorf(cmd, "Invalid value for '--output': must not be empty.")
		}
		if st, err := os.Stat(c.output.v); err == nil && st.IsDir() {
			return usageErrorf(cmd, "Invalid value for '--output': File '%s' is a directory.", c.output.v)
		}
	}
	if err := db.CheckLength("destination", c.destination.v, db.MaxNodeName); err != nil {
		return err
	}
	ctx := cmd.Context()
	d, err := a.DB(ctx, true)
	if err != nil {
		return err
	}

	// Everything that can refuse the command is checked before our tables
	// or the data index identity are created.
	err = d.Transaction(ctx, func(tx *gorm.DB) error {
		node, err := resolveNode(d, tx, c.name, "no such node: %s")
		if err != nil {
			return err
		}
		if node.Root == nil || *node.Root == "" {
			return fmt.Errorf("node \"%s\" has no root.", node.Name)
		}
		c.nodeID, c.root = node.ID, *node.Root
		return sneakernet.CheckDevice(c.root, node.Name)
	})
	if err != nil {
		return err
	}
	c.outputs = []string{filepath.Join(c.root, sneakernet.DeviceManifest)}
	if c.output.set {
		abs, err := filepath.Abs(c.output.v)
		if err != nil {
			return err
		}
		if abs != c.outputs[0] {
			c.outputs = append(c.outputs, abs)
		}
	}
	var staged []*sneakernet.Staged
	defer func() {
		for _, s := range staged {
			s.Discard()
		}
	}()
	for _, out := range c.outputs {
		s, err := sneakernet.Stage(out)
		if err != nil {
			return fmt.Errorf("cannot write the manifest to %s: %v", out, unwrapPath(err))
		}
		staged = append(staged, s)
	}
	source, err := sneakernet.Setup(ctx, d)
	if err != nil {
		return err
	}

	progress, done := a.track("Recording manifest")
	err = d.Transaction(ctx, func(tx *gorm.DB) error {
		data, err := c.record(d, tx, source, progress)
		if err != nil {
			return err
		}
		for i, s := range staged {
			if err := s.Write(data); err != nil {
				return fmt.Errorf("cannot write the manifest to %s: %v", c.outputs[i], unwrapPath(err))
			}
		}
		return nil
	})
	done()
	if err != nil {
		return err
	}
	// The data index now knows the manifest. Should putting a file in
	// place fail, running the command again writes a new one.
	for i, s := range staged {
		if err := s.Commit(); err != nil {
			return fmt.Errorf("manifest %s recorded but not written to %s: %v; run the command again", c.manifest.ID, c.outputs[i], unwrapPath(err))
		}
	}
	c.print(a)
	return nil
}

// record builds the manifest from the node's present copies, records it
// (telling progress how far it is) and applies the options, all in tx, and
// returns the manifest's text.
func (c *nodeManifest) record(d *db.DB, tx *gorm.DB, source string, progress index.Progress) ([]byte, error) {
	node, err := resolveNode(d, tx, c.name, "no such node: %s")
	if err != nil {
		return nil, err
	}
	if node.ID != c.nodeID || node.Root == nil || *node.Root != c.root {
		return nil, fmt.Errorf("node \"%s\" changed while the manifest was being written; run the command again", node.Name)
	}
	copies, err := index.PresentCopies(tx, node.ID)
	if err != nil {
		return nil, err
	}
	// Sorted here, not by the engines' collations, so that both give the
	// same order.
	slices.SortFunc(copies, func(x, y index.PresentCopy) int {
		return strings.Compare(x.AcqName+"/"+x.Name, y.AcqName+"/"+y.Name)
	})

	m := sneakernet.NewManifest(source, node.Name, c.destination.v)
	var listed []sneakernet.Listed
	var copyIDs []int64
	c.skipped, c.size = nil, 0
	for _, cp := range copies {
		path := cp.AcqName + "/" + cp.Name
		if cp.MD5 == nil || cp.SizeB == nil {
			what := "MD5 sum"
			if cp.SizeB == nil {
				what = "size"
			}
			c.skipped = append(c.skipped, fmt.Sprintf("Not listing %s: no %s recorded.", path, what))
			continue
		}
		f := sneakernet.ManifestFile{Acq: cp.AcqName, Name: cp.Name, Size: *cp.SizeB, MD5: strings.ToLower(*cp.MD5), Registered: cp.Registered.Time}
		if err := f.Validate(); err != nil {
			c.skipped = append(c.skipped, fmt.Sprintf("Not listing %s: %v.", path, err))
			continue
		}
		m.Files = append(m.Files, f)
		listed = append(listed, sneakernet.Listed{FileID: cp.FileID, CopyID: cp.CopyID})
		copyIDs = append(copyIDs, cp.CopyID)
		c.size += *cp.SizeB
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, fmt.Errorf("cannot write a manifest of node \"%s\": %v", node.Name, err)
	}
	if err := sneakernet.RecordManifest(tx, m, node.ID, listed, c.unavailable, progress); err != nil {
		return nil, err
	}
	c.manifest, c.marked = m, 0
	if c.unavailable {
		if c.marked, err = index.MarkUnavailable(tx, copyIDs); err != nil {
			return nil, err
		}
	}
	c.deactivated, c.wasInactive = false, !node.Active
	if c.deactivate && node.Active {
		if _, err := index.DeactivateNode(tx, node.ID); err != nil {
			return nil, err
		}
		c.deactivated = true
	}
	return data, nil
}

func (c *nodeManifest) print(a *App) {
	for _, line := range c.skipped {
		a.Echo("%s", line)
	}
	m := c.manifest
	a.Echo("Wrote manifest %s of %d %s (%s) on node \"%s\" to %s.", m.ID, len(m.Files), nounFor(int64(len(m.Files)), "file", "files"),
		format.BytesInt(c.size), m.Node, strings.Join(c.outputs, " and "))
	if m.Destination != "" {
		a.Echo("Recorded %d %s as outgoing to \"%s\".", len(m.Files), nounFor(int64(len(m.Files)), "file", "files"), m.Destination)
	}
	if c.unavailable {
		a.Echo("Marked %d %s on node \"%s\" unavailable.", c.marked, nounFor(c.marked, "copy", "copies"), m.Node)
	}
	switch {
	case c.deactivated:
		a.Echo("Storage node \"%s\" deactivated.", c.name)
	case c.deactivate && c.wasInactive:
		a.Echo("No change: node \"%s\" already inactive.", c.name)
	}
}

// unwrapPath drops the operation and path an os error repeats, for
// messages that name the path already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
