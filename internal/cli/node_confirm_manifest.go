package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/sneakernet"
)

func init() { register("node", nodeConfirmManifestCommand) }

func nodeConfirmManifestCommand(a *App) *cobra.Command {
	var receiptPath stringValue
	cmd := leaf("confirm-manifest", "Record the files a sneakernet receipt says the destination holds", func(cmd *cobra.Command, args []string) error {
		if err := checkInputFile(cmd, "receipt", receiptPath); err != nil {
			return err
		}
		return a.runConfirmManifest(cmd, receiptPath.v)
	})
	cmd.Flags().Var(&receiptPath, "receipt", "the receipt `FILE` that node ingest-manifest wrote at the destination (required)")
	return cmd
}

func (a *App) runConfirmManifest(cmd *cobra.Command, path string) error {
	r, err := sneakernet.ReadReceipt(path)
	if err != nil {
		return fmt.Errorf("cannot read receipt: %v", err)
	}
	ctx := cmd.Context()
	d, err := a.DB(ctx, true)
	if err != nil {
		return err
	}
	self, err := sneakernet.Identity(ctx, d)
	if errors.Is(err, sneakernet.ErrNotSetUp) {
		return fmt.Errorf("receipt %s is for manifest %s of data index %s; this data index has written no manifests", path, r.Manifest, r.Source)
	}
	if err != nil {
		return err
	}
	if r.Source != self {
		return fmt.Errorf("receipt %s is for manifest %s of data index %s, not of this one (%s)", path, r.Manifest, r.Source, self)
	}
	var held, added int
	err = d.Transaction(ctx, func(tx *gorm.DB) error {
		m, err := sneakernet.LoadManifest(tx, r.Manifest)
		if err != nil {
			return err
		}
		if m == nil {
			return fmt.Errorf("receipt %s is for manifest %s, which this data index did not write", path, r.Manifest)
		}
		// The whole receipt must match the manifest before anything is
		// recorded: a receipt that does not is for other data.
		var ids []int64
		for i, f := range r.Files {
			rec, ok := m.Files[f.Path()]
			if !ok {
				return fmt.Errorf("receipt %s: entry %d: %s is not in manifest %s", path, i+1, f.Path(), r.Manifest)
			}
			if rec.MD5 == nil || !strings.EqualFold(*rec.MD5, f.MD5) {
				here := "none"
				if rec.MD5 != nil {
					here = *rec.MD5
				}
				return fmt.Errorf("receipt %s: entry %d: %s has MD5 sum %s in the receipt, %s here", path, i+1, f.Path(), f.MD5, here)
			}
			if f.Held() {
				ids = append(ids, rec.FileID)
			}
		}
		held = len(ids)
		added, err = sneakernet.Confirm(tx, m.ID, r.Destination, ids)
		return err
	})
	if err != nil {
		return err
	}
	n := len(r.Files)
	a.Echo("Confirmed %d/%d files held by data index %s, %d/%d already confirmed, %d not held.", added, n, r.Destination, held-added, n, n-held)
	return nil
}
