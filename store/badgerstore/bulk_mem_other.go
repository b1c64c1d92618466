//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerstore

// bulkAlloc returns n zeroed bytes for the runs of a bulk load (on the Go
// heap here; bulk_mem_unix.go maps them outside it).
func bulkAlloc(n int) []byte { return make([]byte, n) }

func bulkFree([]byte) {}
