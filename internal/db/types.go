package db

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strings"
	"time"
)

// pythonLayout is how the Python alpenhorn (datetime.isoformat(" ")) writes a
// DATETIME into SQLite; the fraction is present only when non-zero.
const (
	pythonLayout     = "2006-01-02 15:04:05"
	pythonLayoutFrac = "2006-01-02 15:04:05.000000"
)

// Time is a naive-UTC timestamp stored the way the Python alpenhorn stores it,
// so that either implementation reads rows the other wrote. The drivers'
// own time encodings (with a zone suffix) break Python readers.
type Time struct{ time.Time }

// Now returns the current time as stored in the data index (UTC, microseconds).
func Now() Time { return Time{time.Now().UTC().Truncate(time.Microsecond)} }

// NewTime wraps t, converting it to UTC.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// TimePtr returns a pointer to a copy of t, for nullable columns.
func TimePtr(t Time) *Time { return &t }

// Format renders the Python storage form.
func (t Time) Format() string {
	u := t.UTC()
	if u.Nanosecond()/1000 == 0 {
		return u.Format(pythonLayout)
	}
	return u.Format(pythonLayoutFrac)
}

// Value implements driver.Valuer. MySQL accepts the same string for DATETIME.
func (t Time) Value() (driver.Value, error) { return t.Format(), nil }

// Scan implements sql.Scanner for both engines' representations.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		// MySQL (loc=UTC) and SQLite both hand back naive values as UTC.
		t.Time = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case nil:
		t.Time = time.Time{}
		return nil
	case int64:
		t.Time = unixTime(float64(v))
		return nil
	case float64:
		t.Time = unixTime(v)
		return nil
	}
	return fmt.Errorf("cannot read %T as a timestamp", src)
}

// unixTime reads a number stored in a DATETIME column (SQLite keeps any
// value): the Python alpenhorn writes 0 for "never", other tools write
// epoch seconds. 0 reads as the zero time, which the CLI shows as "-", as
// upstream shows an unset time.
func unixTime(sec float64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	whole := math.Floor(sec)
	return time.Unix(int64(whole), int64((sec-whole)*1e9)).UTC().Truncate(time.Microsecond)
}

func (t *Time) parse(s string) error {
	s = strings.TrimSuffix(strings.TrimSpace(s), "Z")
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if p, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			t.Time = p
			return nil
		}
	}
	return fmt.Errorf("unrecognised timestamp %q", s)
}

// Ctime renders t as the CLI shows timestamps: C ctime() plus " UTC".
func (t Time) Ctime() string { return t.UTC().Format("Mon Jan _2 15:04:05 2006") + " UTC" }

// enumValue validates v against the allowed letters of an enum column. On
// SQLite nothing else would stop a bad value, and MySQL in non-strict mode
// would silently store ”.
func enumValue(column, v, allowed string) (driver.Value, error) {
	if len(v) != 1 || !strings.Contains(allowed, v) {
		return nil, fmt.Errorf("invalid value %q for %s (allowed: %s)", v, column, strings.Join(strings.Split(allowed, ""), ", "))
	}
	return v, nil
}

func enumScan(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("cannot read %T as an enum", src)
}

// HasFile is archivefilecopy.has_file: whether the copy is on the node.
type HasFile string

const (
	HasNo      HasFile = "N" // not on the node
	HasYes     HasFile = "Y" // present and believed good
	HasMaybe   HasFile = "M" // suspect: must be re-verified
	HasCorrupt HasFile = "X" // present but verified corrupt
)

func (h HasFile) Value() (driver.Value, error) { return enumValue("has_file", string(h), "NYMX") }
func (h *HasFile) Scan(src any) error {
	s, err := enumScan(src)
	*h = HasFile(s)
	return err
}

// WantsFile is archivefilecopy.wants_file: whether the copy should stay.
type WantsFile string

const (
	WantYes   WantsFile = "Y" // keep
	WantMaybe WantsFile = "M" // removable if space is needed
	WantNo    WantsFile = "N" // released: delete
)

func (w WantsFile) Value() (driver.Value, error) { return enumValue("wants_file", string(w), "YMN") }
func (w *WantsFile) Scan(src any) error {
	s, err := enumScan(src)
	*w = WantsFile(s)
	return err
}

// StorageType is storagenode.storage_type.
type StorageType string

const (
	StorageArchive   StorageType = "A"
	StorageTransport StorageType = "T"
	StorageField     StorageType = "F"
)

func (s StorageType) Value() (driver.Value, error) {
	return enumValue("storage_type", string(s), "ATF")
}
func (s *StorageType) Scan(src any) error {
	v, err := enumScan(src)
	*s = StorageType(v)
	return err
}

// CopyState is the human-readable state of a copy (upstream
// ArchiveFileCopy.state), keyed by has_file and wants_file.
func CopyState(has HasFile, wants WantsFile) string {
	switch has {
	case HasYes:
		switch wants {
		case WantYes:
			return "Healthy"
		case WantMaybe:
			return "Removable"
		case WantNo:
			return "Released"
		}
	case HasMaybe, HasCorrupt:
		if wants == WantNo {
			return "Released"
		}
		if wants == WantYes || wants == WantMaybe {
			if has == HasMaybe {
				return "Suspect"
			}
			return "Corrupt"
		}
	case HasNo:
		switch wants {
		case WantYes:
			return "Missing"
		case WantMaybe, WantNo:
			return "Removed"
		}
	}
	return "Corrupt"
}
