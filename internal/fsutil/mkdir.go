package fsutil

import "errors"

// ErrNoNodeFile is wrapped by MkdirNode's error when root lacks its node
// file.
var ErrNoNodeFile = errors.New("node file missing")
