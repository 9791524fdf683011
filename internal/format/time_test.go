package format

import (
	"testing"
	"time"
)

func TestCtime(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 2, 21, 23, 7, 8, 0, time.UTC), "Fri Feb 21 23:07:08 2025 UTC"},
		{time.Date(2025, 5, 7, 21, 0, 55, 999999000, time.UTC), "Wed May  7 21:00:55 2025 UTC"},
		{time.Date(2025, 3, 6, 22, 54, 37, 0, time.UTC), "Thu Mar  6 22:54:37 2025 UTC"},
		// Stored times are naive: the wall clock is shown whatever the zone.
		{time.Date(2024, 12, 31, 1, 2, 3, 0, time.FixedZone("X", 5*3600)), "Tue Dec 31 01:02:03 2024 UTC"},
	}
	for _, c := range cases {
		if got := Ctime(&c.t); got != c.want {
			t.Errorf("Ctime(%v) = %q, want %q", c.t, got, c.want)
		}
	}
	if got := Ctime(nil); got != "-" {
		t.Errorf("Ctime(nil) = %q, want -", got)
	}
	if got := Ctime(&time.Time{}); got != "-" {
		t.Errorf("Ctime(zero) = %q, want -", got)
	}
}

func TestPythonDatetime(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 2, 26, 22, 54, 14, 0, time.UTC), "2025-02-26 22:54:14"},
		{time.Date(2025, 2, 26, 22, 54, 14, 500, time.UTC), "2025-02-26 22:54:14"},
		{time.Date(2025, 2, 26, 22, 54, 14, 123456789, time.UTC), "2025-02-26 22:54:14.123456"},
		{time.Date(2025, 2, 26, 22, 54, 14, 1000, time.UTC), "2025-02-26 22:54:14.000001"},
	}
	for _, c := range cases {
		if got := PythonDatetime(c.t); got != c.want {
			t.Errorf("PythonDatetime(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}
