package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPresentFromStart: the series alerts rely on exist, at zero, from
// start-up (per-node ones from AddNode), and Verified counts by outcome.
func TestPresentFromStart(t *testing.T) {
	m := New("alpha")
	m.Start("1.2.3", "go1.26")
	m.AddNode("n1")
	for name, want := range map[string]int{
		"alpenhorn_build_info":                             1,
		"alpenhorn_data_index_up":                          1,
		"alpenhorn_last_successful_pass_timestamp_seconds": 1,
		"alpenhorn_pass_duration_seconds":                  1,
		"alpenhorn_verification_results_total":             3,
		"alpenhorn_transfer_failures_total":                4,
		"alpenhorn_node_copies":                            4,
		"alpenhorn_node_used_bytes":                        1,
	} {
		if got, err := testutil.GatherAndCount(m.Registry, name); err != nil || got != want {
			t.Errorf("%s: %d series (%v), want %d", name, got, err, want)
		}
	}
	if v := testutil.ToFloat64(m.IndexUp); v != 1 {
		t.Errorf("data_index_up = %v", v)
	}
	m.Verified("n1", "X")
	m.Verified("n1", "X")
	m.Verified("n1", "Y")
	m.Verified("n1", "M") // a check never leaves a copy suspect: not counted
	for result, want := range map[string]float64{"corrupt": 2, "good": 1, "missing": 0} {
		if v := testutil.ToFloat64(m.VerificationResults.WithLabelValues("n1", result)); v != want {
			t.Errorf("verification_results_total{result=%q} = %v, want %v", result, v, want)
		}
	}
}
