package format

import (
	"math"
	"testing"
)

func TestBytes(t *testing.T) {
	// The table of cli.md §4.1, plus the daemon's examples (daemon.md §24.1)
	// and the edges of the unit ranges.
	cases := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{52, "52 B"},
		{1023, "1023 B"},
		{1024, "1.000 kiB"},
		{1535, "1.499 kiB"},
		{10240, "10.00 kiB"},
		{102400, "100.0 kiB"},
		{1048575, "1024.0 kiB"},
		{3000000, "2.861 MiB"},
		{5000000000, "4.657 GiB"},
		{-2048, "-2.000 kiB"},
		{-5, "-5 B"},
		{12349, "12.06 kiB"},
		{123494, "120.6 kiB"},
		{50218112860, "46.77 GiB"},
		{1<<60 - 1, "1024.0 PiB"}, // decided on the exact integer, not its float
		{1 << 60, "1.000 EiB"},
		{math.MaxInt64, "8.000 EiB"},
		{math.MinInt64, "-8.000 EiB"},
	}
	for _, c := range cases {
		if got := BytesInt(c.n); got != c.want {
			t.Errorf("BytesInt(%d) = %q, want %q", c.n, got, c.want)
		}
		n := c.n
		if got := Bytes(&n); got != c.want {
			t.Errorf("Bytes(&%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Bytes(nil); got != "-" {
		t.Errorf("Bytes(nil) = %q, want -", got)
	}
}

func TestBytesFloat(t *testing.T) {
	cases := []struct {
		x    float64
		want string
	}{
		{52.9, "52 B"}, // truncated, not rounded
		{-0.5, "0 B"},  // int(-0.5) is 0: no sign
		{-1.5, "-1 B"},
		{1023.99, "1023 B"},
		{1024.7, "1.000 kiB"},
		{12.5 * 1024 * 1024, "12.50 MiB"},
		{117.2e18, "101.7 EiB"},
		{math.Ldexp(1, 70), "1180591620717411303424 B"},
		{-math.Ldexp(1, 70), "-1180591620717411303424 B"},
		{1e22, "10000000000000000000000 B"},
		{math.NaN(), "-"},
		{math.Inf(1), "-"},
	}
	for _, c := range cases {
		if got := BytesFloat(c.x); got != c.want {
			t.Errorf("BytesFloat(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}

func TestGiB(t *testing.T) {
	cases := []struct {
		gb   float64
		want string
	}{
		{10, "10.00 GiB"},
		{1.5, "1.500 GiB"},
		{43.09, "43.09 GiB"},
		{0, "0 B"},
		{2048, "2.000 TiB"},
		{1e-9, "1 B"},
	}
	for _, c := range cases {
		gb := c.gb
		if got := GiB(&gb); got != c.want {
			t.Errorf("GiB(%v) = %q, want %q", c.gb, got, c.want)
		}
	}
	if got := GiB(nil); got != "-" {
		t.Errorf("GiB(nil) = %q, want -", got)
	}
}

func TestDeltaT(t *testing.T) {
	// Examples of daemon.md §24.2.
	cases := []struct {
		s    float64
		want string
	}{
		{1234567, "342h56m07s"},
		{12345, "3h25m45s"},
		{1234, "20m34s"},
		{123, "2m03s"},
		{12, "12.0s"},
		{0.1, "0.1s"},
		{0, "0.0s"},
		{math.Copysign(0, -1), "0.0s"},
		{-1, "-1.0s"},
		{-0.04, "-0.0s"},
		{59.99, "60.0s"}, // tenths are rounded, the minute is not reached
		{3600, "1h00m00s"},
		{3599.9, "59m59s"},
		{60, "1m00s"},
		{math.NaN(), "nans"},
	}
	for _, c := range cases {
		if got := DeltaT(c.s); got != c.want {
			t.Errorf("DeltaT(%v) = %q, want %q", c.s, got, c.want)
		}
	}
}
