// Package disk holds the disk-full test (disk_test.go, make disktest): the
// real herken binary on a small filesystem that fills up and on a read-only
// one. It has no code outside its test; it may import herken's client,
// proto and store packages.
package disk
