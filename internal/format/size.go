// Package format renders everything alpenhorn shows to people and scripts:
// byte counts, durations, timestamps, tables, and the JSON text of I/O
// configs. The output must match the Python alpenhorn byte for byte, so each
// function follows the Python formatting rules it replaces (tabulate's
// "simple" tables, repr of floats, json.dumps) rather than Go's defaults.
package format

import (
	"math"
	"math/bits"
	"strconv"
)

// Bytes formats a byte count the way every size in the CLI and the daemon
// logs is shown ("pretty bytes"): nil → "-", below 1024 → "52 B", else a
// binary unit with 3, 2 or 1 decimals ("1.000 kiB", "46.77 GiB", "107.1 EiB").
func Bytes(n *int64) string {
	if n == nil {
		return "-"
	}
	return BytesInt(*n)
}

// BytesInt is Bytes for a known value. Negative counts are formatted from
// their magnitude with a leading "-".
func BytesInt(n int64) string {
	sign := ""
	mag := uint64(n)
	if n < 0 {
		sign = "-"
		mag = -mag // also right for math.MinInt64
	}
	if mag < 1<<10 {
		return sign + strconv.FormatUint(mag, 10) + " B"
	}
	// A uint64 is always below 2^70, so the unit never overflows past EiB.
	unit := (bits.Len64(mag)-1)/10 - 1
	return sign + scaled(float64(mag)/math.Ldexp(1, 10*(unit+1)), unit)
}

// BytesFloat is Bytes for a computed, possibly fractional, value such as a
// transfer rate: the fraction is dropped first (towards zero). Values of 2^70
// and more are printed in full as "{n} B". The Python original fails on
// NaN and infinities; here they read "-", as an unknown size does.
func BytesFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	t := math.Abs(math.Trunc(x)) // int() of -0.5 is 0, not -0
	sign := ""
	if x <= -1 {
		sign = "-"
	}
	if t < 1<<10 || t >= math.Ldexp(1, 70) {
		// 'f' with precision 0 prints the exact integer value of the float,
		// as Python's int() does.
		return sign + strconv.FormatFloat(t, 'f', 0, 64) + " B"
	}
	unit := 0
	for t >= math.Ldexp(1, 10*(unit+2)) {
		unit++
	}
	return sign + scaled(t/math.Ldexp(1, 10*(unit+1)), unit)
}

// GiB formats a node size stored in GiB (max_total_gb, min_avail_gb,
// avail_gb) as bytes: 10 → "10.00 GiB", 1.5 → "1.500 GiB"; nil → "-".
// Commands that also show "-" for zero or negative values decide that
// themselves.
func GiB(gb *float64) string {
	if gb == nil {
		return "-"
	}
	return BytesFloat(*gb * (1 << 30))
}

// scaled prints v (1 ≤ v < 1024, give or take rounding) in the given unit
// (0 = kiB … 5 = EiB). Rounding can produce "1024.0 kiB"; that is the
// original's output too.
func scaled(v float64, unit int) string {
	prec := 3
	switch {
	case v >= 100:
		prec = 1
	case v >= 10:
		prec = 2
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + "kMGTPE"[unit:unit+1] + "iB"
}

// DeltaT formats a duration in seconds as the daemon logs it ("pretty
// deltat"): "12.0s" below a minute, "2m03s", "3h25m45s"; a negative value
// is printed as is ("-1.0s"). Minutes and seconds are truncated. The CLI
// has no formatter of its own for durations.
func DeltaT(seconds float64) string {
	if seconds < 0 {
		return strconv.FormatFloat(seconds, 'f', 1, 64) + "s"
	}
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		// Python's float divmod turns both into NaN before formatting.
		return "nans"
	}
	hours, rest := pyDivmod(seconds, 3600)
	minutes, secs := pyDivmod(rest, 60)
	two := func(v float64) string {
		s := strconv.FormatFloat(math.Trunc(v), 'f', 0, 64)
		if len(s) < 2 {
			s = "0" + s
		}
		return s
	}
	switch {
	case hours > 0:
		return strconv.FormatFloat(hours, 'f', 0, 64) + "h" + two(minutes) + "m" + two(secs) + "s"
	case minutes > 0:
		return strconv.FormatFloat(minutes, 'f', 0, 64) + "m" + two(secs) + "s"
	}
	return strconv.FormatFloat(secs, 'f', 1, 64) + "s"
}

// pyDivmod is Python's divmod for a non-negative finite x and a positive y;
// its quotient differs from math.Floor(x/y) when x/y rounds up to an integer.
func pyDivmod(x, y float64) (float64, float64) {
	mod := math.Mod(x, y)
	div := (x - mod) / y
	if mod == 0 {
		mod = 0 // Python's remainder takes the divisor's sign: never -0
	}
	if div == 0 {
		return 0, mod
	}
	floor := math.Floor(div)
	if div-floor > 0.5 {
		floor++
	}
	return floor, mod
}
