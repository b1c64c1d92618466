package rawscan

import (
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2"
)

// openRegistry reads the store's KEYREGISTRY with the encryption key.
func (s *scanner) openRegistry(key []byte) error {
	kr, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: s.dir, ReadOnly: true, EncryptionKey: key})
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return fmt.Errorf("rawscan: the encryption key is not this store's: %w", err)
	}
	if err != nil {
		return fmt.Errorf("rawscan: key registry: %w", err)
	}
	s.registry = kr
	return nil
}

// dataKey is the data key id encrypts a file with; without the store's
// encryption key the file cannot be searched, and the scan fails.
func (s *scanner) dataKey(id uint64) (*pb.DataKey, error) {
	if s.registry == nil {
		return nil, errors.New("the file is encrypted: give the store's encryption key to search it")
	}
	dk, err := s.registry.DataKey(id)
	if err != nil {
		return nil, err
	}
	if dk == nil {
		return nil, fmt.Errorf("data key %d is not in the key registry", id)
	}
	return dk, nil
}

// newIndexCache is a small cache for one encrypted table's index, which
// Badger reads only through a cache.
func newIndexCache() (*ristretto.Cache[uint64, *fb.TableIndex], error) {
	return ristretto.NewCache(&ristretto.Config[uint64, *fb.TableIndex]{NumCounters: 1000, MaxCost: 64 << 20, BufferItems: 64})
}
