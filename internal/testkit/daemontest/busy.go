package daemontest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
)

// Busy is a daemon doing every kind of work its metrics count: a good
// pull, a request into a group no daemon serves, which stays pending, and,
// once SyncCorrupt asks for it, a pull of a corrupt source (an integrity
// failure, then a check that finds the source corrupt).
type Busy struct {
	*Daemon
	// Port is the daemon's metrics port on 127.0.0.1.
	Port int

	w    *World
	bad  *db.ArchiveFile
	from *db.StorageNode
	to   *db.StorageGroup
}

// SyncCorrupt requests the pull of the corrupt file. Tests call it once
// the counters it moves have been seen at zero, as a scraper must have
// seen them for an increase to show.
func (b *Busy) SyncCorrupt() {
	b.w.T.Helper()
	b.w.Sync(b.bad, b.from, b.to)
}

// StartBusy sets up that work in w and starts alpenhornd as "alpha", with
// its metrics exporter on port (see FreePort), until the test ends.
func (w *World) StartBusy(port int) *Busy {
	w.T.Helper()
	g1, g2 := w.Group("storage1"), w.Group("archive2")
	elsewhere := w.Group("elsewhere")
	n1 := w.Node("storage1", g1, NodeSpec{Host: "alpha"})
	n2 := w.Node("archive2", g2, NodeSpec{Host: "alpha", Archive: true})
	w.InitNode(n1)
	w.InitNode(n2)
	good := w.File("2025/02/21", "23/1323.dat", "good data\n", n1)
	bad := w.File("2025/02/21", "23/1324.dat", "0 1 2 3 4 5\n", n1)
	WriteFile(w.T, n1, "2025/02/21/23/1324.dat", "5 4 3 2 1 0\n") // same size, other data
	w.Sync(good, n1, g2)
	w.Sync(good, n1, elsewhere)

	d := w.StartDaemon("alpha", Settings{Interval: 1, Level: "info", Daemon: fmt.Sprintf("  prom_client_port: %d\n", port)})
	return &Busy{Daemon: d, Port: port, w: w, bad: bad, from: n1, to: g2}
}

// FreePort returns a TCP port free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Scrape fetches the daemon's metrics in the text exposition format, or
// "" while the exporter does not answer.
func (b *Busy) Scrape() string {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", b.Port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}
