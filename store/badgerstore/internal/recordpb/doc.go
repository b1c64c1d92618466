// Package recordpb holds the storage records the Badger store writes,
// generated from proto/herken/storage/v1/records.proto: on disk for years,
// so they evolve like the API (never renumber or reuse a field). Only
// store/badgerstore imports it.
package recordpb
