package transfer

import "errors"

// SSH is how remote pulls reach their source hosts. With connection
// sharing, each host gets one ssh master connection that the pulls from it
// reuse, its socket in a private directory of the daemon's.
type SSH struct {
	dir string
}

// NewSSH prepares remote pulls' ssh: sharing one connection per host when
// share is set.
func NewSSH(share bool) (*SSH, error) {
	if !share {
		return &SSH{}, nil
	}
	return nil, errors.New("not yet")
}

// Close ends the master connections and removes their directory.
func (s *SSH) Close() {}
