//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package badgerstore

import (
	"io/fs"
	"syscall"
)

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

// allocated is the space a file takes on disk (st_blocks, as du counts
// it): Badger's value log and write-ahead logs are sparse files sized far
// beyond what they hold (an empty store's are some 2 GB apparent).
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512 //nolint:unconvert // field types differ per OS
	}
	return info.Size()
}
