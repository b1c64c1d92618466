//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerstore

import "errors"

// diskFree is not implemented here; the free-space reserve is off.
func diskFree(string) (uint64, error) { return 0, errors.ErrUnsupported }

const diskFreeSupported = false
