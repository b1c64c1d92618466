//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerstore

// dirLock is a no-op where flock is not available: stop the server first.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
