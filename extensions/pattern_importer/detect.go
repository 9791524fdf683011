package patternimporter

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sync"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
)

// compiled caches parsed pattern lists by their stored text: detection runs
// for every candidate file, and the types rarely change.
var compiled sync.Map // string -> []*regexp.Regexp

// patternList parses a type's stored patterns. Upstream matches with
// Python's re.fullmatch; RE2 anchored as ^(?:…)$ matches the same strings
// for the patterns both accept. Python-only syntax (look-around,
// back-references) fails to compile here and is reported as an error.
func patternList(patterns string) ([]*regexp.Regexp, error) {
	if v, ok := compiled.Load(patterns); ok {
		return v.([]*regexp.Regexp), nil
	}
	var parsed any
	if err := json.Unmarshal([]byte(patterns), &parsed); err != nil {
		return nil, fmt.Errorf("Invalid patterns: %s", patterns)
	}
	list, ok := parsed.([]any)
	if !ok {
		return nil, fmt.Errorf("Value of patterns must be a JSON array literal.(Got \"%s\")", patterns)
	}
	res := make([]*regexp.Regexp, len(list))
	for i, p := range list {
		s, ok := p.(string)
		if !ok {
			return nil, fmt.Errorf("Invalid patterns: %s: %v is not a string", patterns, p)
		}
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return nil, fmt.Errorf("Invalid patterns: %s: %v", patterns, err)
		}
		res[i] = re
	}
	compiled.Store(patterns, res)
	return res, nil
}

// fullMatch reports whether any of patterns matches all of s.
func fullMatch(patterns, s string) (bool, error) {
	list, err := patternList(patterns)
	if err != nil {
		return false, err
	}
	for _, re := range list {
		if re.MatchString(s) {
			return true, nil
		}
	}
	return false, nil
}

// detect is the import detector. Types are read in id order, the order
// upstream's unordered SELECT yields in practice.
//
// Upstream lets a broken pattern list abort the daemon; here it declines
// the file with the reason logged, so one bad row stops only the imports
// that reach it. Likewise a data index without the extension's tables
// (demo-init never run) declines every file instead of failing the task
// over and over; transient database trouble is returned for the daemon to
// retry.
func detect(ctx context.Context, d *db.DB, p string, _ *db.StorageNode) (extension.Detection, error) {
	var acqTypes []AcqType
	if err := read(ctx, d, &acqTypes); err != nil {
		return extension.Detection{}, err
	}
	var acqType *AcqType
	acq := path.Dir(p)
	for ; acq != "." && acq != "/"; acq = path.Dir(acq) {
		for i := range acqTypes {
			ok, err := fullMatch(acqTypes[i].Patterns, acq)
			if err != nil {
				return extension.Detection{}, extension.Decline(fmt.Errorf("acqtype %s: %w", acqTypes[i].Name, err))
			}
			if ok {
				acqType = &acqTypes[i]
				break
			}
		}
		if acqType != nil {
			break
		}
	}
	if acqType == nil {
		return extension.Detection{}, nil
	}
	file := p[len(acq)+1:]

	var fileTypes []FileType
	if err := read(ctx, d, &fileTypes); err != nil {
		return extension.Detection{}, err
	}
	var fileType *FileType
	for i := range fileTypes {
		ok, err := fullMatch(fileTypes[i].Patterns, file)
		if err != nil {
			return extension.Detection{}, extension.Decline(fmt.Errorf("filetype %s: %w", fileTypes[i].Name, err))
		}
		if ok {
			fileType = &fileTypes[i]
		}
	}
	if fileType == nil {
		return extension.Detection{}, nil
	}
	acqTypeID, fileTypeID := acqType.ID, fileType.ID
	return extension.Detection{
		Acq:  acq,
		File: file,
		Callback: func(ctx context.Context, d *db.DB, imp extension.Imported) error {
			return recordTypes(ctx, d, imp, acqTypeID, fileTypeID)
		},
	}, nil
}

// read loads all rows of a type table, in id order.
func read(ctx context.Context, d *db.DB, rows any) error {
	err := d.Retry(ctx, func(g *gorm.DB) error { return g.Order("id").Find(rows).Error })
	if err == nil {
		return nil
	}
	if db.Retryable(err) || ctx.Err() != nil {
		return fmt.Errorf("reading types: %w", err)
	}
	return extension.Decline(fmt.Errorf("reading types: %s", d.Redact(err.Error())))
}

// recordTypes is the post-import callback: it notes the matched types of
// the acquisition and file if, and only if, this import created them, as
// upstream does.
func recordTypes(ctx context.Context, d *db.DB, imp extension.Imported, acqTypeID, fileTypeID int64) error {
	if imp.NewAcq == nil && imp.NewFile == nil {
		return nil
	}
	err := d.Transaction(ctx, func(tx *gorm.DB) error {
		if imp.NewAcq != nil {
			if err := tx.Create(&AcqData{AcqID: imp.NewAcq.ID, TypeID: &acqTypeID}).Error; err != nil {
				return err
			}
		}
		if imp.NewFile != nil {
			return tx.Create(&FileData{FileID: imp.NewFile.ID, TypeID: &fileTypeID}).Error
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording types: %w", err)
	}
	return nil
}
