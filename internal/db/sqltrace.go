//go:build alpenhorn_sqltrace

package db

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"gorm.io/gorm/logger"

	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// The benchmarks build alpenhornd with this file to count the statements
// of an update pass: each one gorm runs is written to stderr as one line,
//
//	SQLTRACE [<thread>] <milliseconds> <rows> <statement, cut to 160 characters>
//
// in the order they finish, between the daemon's own log lines. The thread
// (MainThread, Worker#1, …) tells the update loop's statements from the
// workers'.
func init() { statementLogger = sqlTrace{} }

type sqlTrace struct{}

func (t sqlTrace) LogMode(logger.LogLevel) logger.Interface { return t }
func (sqlTrace) Info(context.Context, string, ...any)       {}
func (sqlTrace) Warn(context.Context, string, ...any)       {}
func (sqlTrace) Error(context.Context, string, ...any)      {}

func (sqlTrace) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	elapsed := time.Since(begin)
	sql, rows := fc()
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 160 {
		sql = sql[:160]
	}
	fmt.Fprintf(os.Stderr, "SQLTRACE [%s] %.3f %d %s\n", logging.ThreadFromContext(ctx), elapsed.Seconds()*1000, rows, sql)
}
