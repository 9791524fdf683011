package patternimporter

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
)

// The demo's types. The patterns are the exact texts upstream stores (a
// one-element JSON array), quirks included: the hour alternative skips 10
// to 19 and the dots are unescaped. Go and Python daemons sharing a data
// index must see the same data.
var (
	demoAcqTypes = []AcqType{{
		Name:     "demo_acq",
		Patterns: `["20[0-9][0-9]/(0[1-9]|1[012])/(0[1-9]|[12][0-9]|3[01])"]`,
		Notes:    new("AcqType for alpenhorn demo"),
	}}
	demoFileTypes = []FileType{{
		Name:     "demo_data",
		Patterns: `["(0[0-9]|2[0-3])/[0-5][0-9][0-5][0-9].dat"]`,
		Notes:    new("Data files for alpenhorn demo"),
	}, {
		Name:     "demo_meta",
		Patterns: `["meta.txt$"]`,
		Notes:    new("Metadata file for alpenhorn demo"),
	}}
)

// commands is the extension's CLI: `alpenhorn pattern-importer demo-init`.
func commands(open extension.Opener) []*cobra.Command {
	group := &cobra.Command{
		Use:   "pattern-importer",
		Short: "Manage the pattern_importer extension",
		Args:  cobra.NoArgs,
	}
	group.AddCommand(&cobra.Command{
		Use:   "demo-init",
		Short: "Create the extension's tables and the alpenhorn demo's types",
		Long: `Create the extension's tables (acqtype, acqdata, filetype, filedata) if
they are missing, then add the acquisition and file types the alpenhorn demo
uses: demo_acq (YYYY/MM/DD), demo_data (hh/mmss.dat) and demo_meta (meta.txt).
Types already present are left as they are, so running it again changes
nothing. The data index must have been initialised with "alpenhorn db init".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			d, err := open(ctx)
			if err != nil {
				return err
			}
			if err := d.CheckSchema(ctx); err != nil {
				return err
			}
			if err := demoInit(ctx, d); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Plugin init complete.")
			return nil
		},
	})
	return []*cobra.Command{group}
}

// demoInit creates the tables and inserts the demo's types, in upstream's
// order, so that a fresh data index gets upstream's ids. Upstream fails on
// a second run (unique name); here types already present, by name as the
// unique index compares names, are skipped, so that re-running the demo
// set-up is harmless and never duplicates or alters rows.
func demoInit(ctx context.Context, d *db.DB) error {
	if err := createTables(ctx, d); err != nil {
		return err
	}
	err := d.Transaction(ctx, func(tx *gorm.DB) error {
		for _, t := range demoAcqTypes {
			if err := insertMissing(tx, d, &t, t.Name); err != nil {
				return err
			}
		}
		for _, t := range demoFileTypes {
			if err := insertMissing(tx, d, &t, t.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("adding demo types: %s", d.Redact(err.Error()))
	}
	return nil
}

// insertMissing inserts row (an *AcqType or *FileType) unless its table
// already has a type called name.
func insertMissing(tx *gorm.DB, d *db.DB, row any, name string) error {
	var n int64
	if err := tx.Model(row).Where(d.NameEq("name"), name).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return tx.Create(row).Error
}
