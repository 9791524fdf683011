package index

import (
	"context"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

func LiveRequests(ctx context.Context, d *db.DB, ids []int64) (map[int64]bool, error) {
	var live map[int64]bool
	err := d.Retry(ctx, func(g *gorm.DB) (err error) {
		live, err = IDsSelected(g, ids, "SELECT id FROM archivefilecopyrequest WHERE "+pendingRequest("")+" AND id IN ?")
		return err
	})
	return live, err
}
