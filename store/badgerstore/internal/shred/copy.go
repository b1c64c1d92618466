package shred

import (
	"errors"
	"fmt"
	"os"
)

// ErrNoFile: the Keys has no file to copy (OpenMemory).
var ErrNoFile = errors.New("shred: the keys live in memory only")

// Copy runs fn, then reads the whole key file into memory, with every
// writer (Alloc, Destroy, Reclaim) held off from before fn until the copy
// is made: a backup takes its Badger snapshot in fn, so the copy holds
// exactly the keys the snapshot's records were sealed under (Alloc comes
// before a create's commit, Destroy after an erasure's) — no key of a
// customer live in the snapshot is missing, and an erasure committed
// before it whose key was not destroyed yet keeps its key (the restored
// store destroys it at open from the erasure's tombstone). The file is read
// from the page cache: writers wait milliseconds per 100,000 customers.
//
// The copy is a copy of keys: it outlives every Destroy. Whoever keeps it
// keeps the erased customers' keys until the copy itself is destroyed;
// the caller clears it after use.
func (k *Keys) Copy(fn func() error) ([]byte, error) {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if k.closed {
		return nil, ErrClosed
	}
	f, ok := k.f.(*os.File)
	if !ok {
		return nil, ErrNoFile
	}
	if err := fn(); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("shred: %w", err)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		clear(b)
		return nil, fmt.Errorf("shred: reading the key file: %w", err)
	}
	return b, nil
}

// WriteFile writes a key file copied by Copy to path (a restore into an
// empty directory): it checks the header and writes the file as Create
// does. It fails with ErrExists if a file is there.
func WriteFile(path string, b []byte) error {
	if _, err := decodeHeader(b); err != nil {
		return err
	}
	err := writeNew(path, b)
	if err != nil && !errors.Is(err, ErrExists) {
		return fmt.Errorf("shred: write: %w", err)
	}
	return err
}
