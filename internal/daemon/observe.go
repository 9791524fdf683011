package daemon

import (
	"context"
	"math"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/index"
	"github.com/radiocosmology/alpenhorn-go/internal/metrics"
)

// observe records a completed pass in the metrics and, when they are
// served, refreshes the gauges read from the data index: the live nodes'
// holdings and free space, and the pending requests into every group.
func (d *Daemon) observe(ctx context.Context, elapsed time.Duration) error {
	m := d.metrics
	m.LastSuccessfulPass.SetToCurrentTime()
	m.PassDuration.Observe(elapsed.Seconds())
	if !d.exporting {
		return nil
	}
	live := d.liveNodes()
	ids := make([]int64, len(live))
	for i, n := range live {
		ids[i] = n.Row().ID
	}
	usage, err := index.NodeUsages(ctx, d.db, ids)
	if err != nil {
		return err
	}
	for _, n := range live {
		row := n.Row()
		u := usage[row.ID]
		m.NodeUsedBytes.WithLabelValues(row.Name).Set(float64(u.UsedB))
		for has, count := range u.Copies {
			m.NodeCopies.WithLabelValues(row.Name, metrics.CopyStates[string(has)]).Set(float64(count))
		}
		if row.AvailGB != nil {
			m.NodeFreeBytes.WithLabelValues(row.Name).Set(*row.AvailGB * math.Exp2(30))
		}
	}
	pending, err := index.PendingRequestsByGroup(ctx, d.db)
	if err != nil {
		return err
	}
	for group, count := range pending {
		m.PendingRequests.WithLabelValues(group).Set(float64(count))
	}
	// A group deleted from the data index drops out of the metrics.
	for group := range d.pendingGroups {
		if _, ok := pending[group]; !ok {
			m.PendingRequests.DeleteLabelValues(group)
		}
	}
	d.pendingGroups = pending
	return nil
}
