//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package badgerstore

import (
	"fmt"
	"os"
	"syscall"
)

// dirLock is Badger's own directory lock (an exclusive flock on dir),
// taken by the offline tools that change files behind Badger's back, so
// that they fail while a server has the store open.
type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("badgerstore: %s is in use (is herken serve running on it? stop it first): %w", dir, err)
	}
	return &dirLock{f}, nil
}

func (l *dirLock) release() { l.f.Close() }
