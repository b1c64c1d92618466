//go:build !linux

package badgerstore

// bulkDropMapped is bulk_rss_linux.go's; elsewhere the mapped tables stay
// resident until the store is reopened at the end of the load.
func bulkDropMapped(string) {}
