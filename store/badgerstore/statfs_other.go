//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerstore

import (
	"errors"
	"io/fs"
)

// diskFree is not implemented here; the free-space reserve is off.
func diskFree(string) (uint64, error) { return 0, errors.ErrUnsupported }

const diskFreeSupported = false

// allocated is a file's apparent size where st_blocks is not at hand.
func allocated(info fs.FileInfo) int64 { return info.Size() }
