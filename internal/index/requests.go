package index

import (
	"context"

	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// CompleteImportRequest marks import request id completed. It reports
// whether this call completed it: of several daemons finishing the same
// request, only one logs and counts it.
func CompleteImportRequest(ctx context.Context, d *db.DB, id int64) (bool, error) {
	var n int64
	err := d.Retry(ctx, func(g *gorm.DB) error {
		res := g.Model(&db.ArchiveFileImportRequest{}).Where("id = ? AND completed = ?", id, false).Update("completed", true)
		n = res.RowsAffected
		return res.Error
	})
	return n > 0, err
}
