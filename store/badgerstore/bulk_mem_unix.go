//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package badgerstore

import "syscall"

// bulkAlloc returns n zeroed bytes outside the Go heap (an anonymous
// mapping), for the runs of a bulk load: the collector neither scans them
// nor counts them in the heap that sets its goal, so hundreds of MB of
// runs do not double into the garbage the heap may hold. bulkFree gives
// them back. The runs hold no pointers.
func bulkAlloc(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

func bulkFree(b []byte) {
	// A slice make gave (the mapping failed) is not a mapping: Munmap
	// refuses it, and the collector takes it.
	_ = syscall.Munmap(b)
}
