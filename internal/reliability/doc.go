// Package reliability holds the reliability and security suite: scenarios
// that run real alpenhornd and alpenhorn processes against a real data
// index and real directories, disturb them (SIGKILL at random moments, the
// database server stopped, a second daemon on the same node, concurrent
// requests, hostile file names and paths) and check, continuously and at
// the end, that no data is lost or misreported.
//
// The scenarios take minutes, so `go test ./...` skips them; run them with
//
//	make reliability
//
// or ALPENHORN_RELIABILITY=1 go test -v ./internal/reliability. Their
// figures are in docs/reliability.md.
package reliability
