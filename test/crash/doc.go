// Package crash holds the crash-recovery test (crash_test.go, make
// crashtest): the real herken binary killed with SIGKILL under concurrent
// writes, restarted on the same data, and proven to have lost nothing it
// acknowledged. It has no code outside its test; it may import herken's
// client, proto and store packages.
package crash
