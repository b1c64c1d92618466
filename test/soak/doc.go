// Package soak holds the soak test (soak_test.go, make soak): the real
// herken binary under mixed load for minutes to hours, asserting flat
// goroutines, open files and heap. It has no code outside its test; it may
// import herken's client, proto and store packages.
package soak
