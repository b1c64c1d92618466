//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package badgerstore

import "syscall"

// diskFree is the space in bytes an unprivileged process may still write
// on dir's filesystem (statfs f_bavail × f_bsize).
func diskFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // field types differ per OS
}

const diskFreeSupported = true
