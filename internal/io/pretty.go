package io

import (
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

// PrettyBytes formats a byte count for the daemon's log lines ("52 B",
// "46.77 GiB"); fractions are dropped.
func PrettyBytes(n float64) string { return format.BytesFloat(n) }

// PrettyDeltat formats a duration for the daemon's log lines ("0.4s",
// "2m03s", "3h25m45s").
func PrettyDeltat(d time.Duration) string { return format.DeltaT(d.Seconds()) }
