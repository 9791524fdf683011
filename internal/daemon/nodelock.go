package daemon

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// nodeLock is the advisory lock (flock) a daemon holds on the node file
// (ALPENHORN_NODE) of each node it manages, so that a second daemon
// started for the same node, on this host or on another mounting the same
// filesystem, refuses to manage it instead of racing the first: both would
// import, pull and delete the same files. The node file is the lock
// because every initialised node has one and nothing replaces it in
// normal operation; a separate lock file in the root would be walked by
// scans and, named ".something.lock", taken for an import lock. The lock
// goes with the process, however it ends.
type nodeLock struct {
	f        *os.File
	dev, ino uint64
	// refused is set while another process holds the lock, so that the
	// refusal is logged once, not every pass.
	refused bool
	// unsupported is set when the filesystem cannot lock, logged once.
	unsupported bool
}

// acquireLock takes the lock on the node's file, or checks that the lock
// held is still on the file now at that path (it may have been replaced).
// It reports whether this daemon may manage the node: false only when
// another process holds the lock. A node without a node file (an I/O
// class that keeps none) or on a filesystem without locks is managed
// unguarded.
func (n *node) acquireLock(ctx context.Context) bool {
	log := n.d.log(ctx)
	row := n.Row()
	l := &n.lock
	if row.Root == nil {
		return true
	}
	path := filepath.Join(*row.Root, "ALPENHORN_NODE")
	if l.f != nil {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err == nil && uint64(st.Dev) == l.dev && st.Ino == l.ino {
			return true
		}
		l.release()
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		log.Warnf("Unable to lock node \"%s\": %v", row.Name, err)
		return true
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		if !l.refused {
			log.Errorf("Node \"%s\" is managed by another alpenhornd: %s is locked.  Not managing it while that daemon runs.", row.Name, path)
			l.refused = true
		}
		return false
	case err != nil:
		f.Close()
		if !l.unsupported {
			log.Warnf("Unable to lock node \"%s\" (%v): a second daemon managing it would go unnoticed.", row.Name, err)
			l.unsupported = true
		}
		return true
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		log.Warnf("Unable to lock node \"%s\": %v", row.Name, err)
		return true
	}
	if l.refused {
		log.Infof("Node \"%s\" is no longer locked by another daemon: managing it.", row.Name)
		l.refused = false
	}
	l.f, l.dev, l.ino = f, uint64(st.Dev), st.Ino
	return true
}

// release gives the lock up.
func (l *nodeLock) release() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
