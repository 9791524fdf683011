package index_test

import (
	"context"
	"slices"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func TestNamesWithPrefix(t *testing.T) {
	engines(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		w.node("store1", "g_1", db.StorageField)
		w.node("store2", "gx1", db.StorageField)
		w.node("scratch", "g%1", db.StorageField)
		for _, c := range []struct {
			table, prefix string
			limit         int
			want          []string
		}{
			{index.NamedNodes, "st", 10, []string{"store1", "store2"}},
			{index.NamedNodes, "st", 1, []string{"store1"}},
			{index.NamedNodes, "", 10, []string{"scratch", "store1", "store2"}},
			{index.NamedNodes, "x", 10, nil},
			// LIKE's wildcards in the prefix are plain characters.
			{index.NamedGroups, "g_", 10, []string{"g_1"}},
			{index.NamedGroups, "g%", 10, []string{"g%1"}},
			{index.NamedAcqs, "a", 10, []string{"acq"}},
			{"storagenode; DROP TABLE x", "", 10, nil},
		} {
			got, err := index.NamesWithPrefix(ctx, w.d, c.table, c.prefix, c.limit)
			w.must(err)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s %q: got %q, want %q", c.table, c.prefix, got, c.want)
			}
		}
	})
}
