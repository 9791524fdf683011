package transfer

import (
	"context"
	"errors"
)

// BatchFile is one file of a batch pull.
type BatchFile struct {
	// Rel is the file's path relative to both nodes' roots ("acq/name").
	Rel    string
	Expect Expect
}

// BatchJob describes the pull of many files from one remote node.
type BatchJob struct {
	// Host is "username@address" of the source node.
	Host string
	// SrcRoot and DstRoot are the absolute roots of the source node (on
	// Host) and of the destination node (here).
	SrcRoot, DstRoot string
	Files            []BatchFile
	// Timeout is the limit, in seconds, for the whole batch; zero means
	// none.
	Timeout float64
	SSH     *SSH
}

// FileResult is the outcome of one file of a batch: Err is nil when the
// file is at DstRoot/Rel, checked against its Expect.
type FileResult struct {
	Result Result
	Err    error
}

// RsyncPullBatch pulls job's files with one rsync.
func RsyncPullBatch(ctx context.Context, job BatchJob) ([]FileResult, error) {
	return nil, errors.New("not yet")
}
