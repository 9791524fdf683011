package patternimporter

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
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
	acqTypes, err := read[AcqType](ctx, d)
	if err != nil {
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

	fileTypes, err := read[FileType](ctx, d)
	if err != nil {
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
	return extension.Detection{Acq: acq, File: file, Data: types{acqType.ID, fileType.ID}}, nil
}

// types are the matched types of a detected file.
type types struct{ acq, file int64 }

// read loads all rows of a type table, in id order, once per import
// batch (extension.Memo).
func read[T any](ctx context.Context, d *db.DB) ([]T, error) {
	rows, err := extension.Memo(ctx, reflect.TypeFor[T](), func() ([]T, error) {
		var rows []T
		err := d.Retry(ctx, func(g *gorm.DB) error { rows = nil; return g.Order("id").Find(&rows).Error })
		return rows, err
	})
	if err == nil {
		return rows, nil
	}
	if db.Retryable(err) || ctx.Err() != nil {
		return nil, fmt.Errorf("reading types: %w", err)
	}
	return nil, extension.Decline(fmt.Errorf("reading types: %s", d.Redact(err.Error())))
}

// recordTypes is the post-import callback: it notes the matched types of
// the acquisitions and files if, and only if, these imports created them,
// as upstream does.
func recordTypes(_ context.Context, tx *gorm.DB, imps []extension.Imported) error {
	var acqs []AcqData
	var files []FileData
	for _, imp := range imps {
		t := imp.Detection.Data.(types)
		if imp.NewAcq != nil {
			acqs = append(acqs, AcqData{AcqID: imp.NewAcq.ID, TypeID: &t.acq})
		}
		if imp.NewFile != nil {
			files = append(files, FileData{FileID: imp.NewFile.ID, TypeID: &t.file})
		}
	}
	if len(acqs) > 0 {
		if err := tx.CreateInBatches(acqs, batchRows).Error; err != nil {
			return fmt.Errorf("recording types: %w", err)
		}
	}
	if len(files) > 0 {
		if err := tx.CreateInBatches(files, batchRows).Error; err != nil {
			return fmt.Errorf("recording types: %w", err)
		}
	}
	return nil
}

// batchRows is how many rows one INSERT of type records holds at most.
const batchRows = 500
