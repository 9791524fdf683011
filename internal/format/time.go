package format

import "time"

// Ctime formats a data-index timestamp the way the CLI shows times: C
// ctime() style plus " UTC", e.g. "Fri Feb 21 23:07:08 2025 UTC" or
// "Wed May  7 21:00:55 2025 UTC". Stored times are naive UTC, so no zone
// conversion happens: the wall-clock fields of t are printed as they are.
// nil and the zero time (what a NULL column scans into) → "-".
func Ctime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Format("Mon Jan _2 15:04:05 2006") + " UTC"
}

// PythonDatetime formats t as Python's str(datetime) does:
// "2025-02-26 22:54:14", with ".ffffff" only when the microseconds are not
// zero. `node show --imports` prints its "Request Time" column this way.
func PythonDatetime(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}
