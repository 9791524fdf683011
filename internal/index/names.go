package index

import (
	"context"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Named things that shell completion offers.
const (
	NamedNodes  = "storagenode"
	NamedGroups = "storagegroup"
	NamedAcqs   = "archiveacq"
)

// NamesWithPrefix returns up to limit names of the nodes, groups or
// acquisitions (table: NamedNodes, NamedGroups or NamedAcqs) that start
// with prefix, in name order. The match follows the engine's collation of
// the name column (case-insensitive on MariaDB); the shell narrows the
// candidates further. It is a single statement, not retried, so that a
// completion never waits out an outage.
func NamesWithPrefix(ctx context.Context, d *db.DB, table, prefix string, limit int) ([]string, error) {
	switch table {
	case NamedNodes, NamedGroups, NamedAcqs:
	default:
		return nil, nil
	}
	escaped := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(prefix)
	var names []string
	err := d.Gorm.WithContext(ctx).Table(table).Where("name LIKE ? ESCAPE '!'", escaped+"%").
		Order("name").Limit(limit).Pluck("name", &names).Error
	return names, err
}
