package badgerstore

import (
	"crypto/sha256"
	"encoding/binary"

	badger "github.com/dgraph-io/badger/v4"
)

// Digest hashes every live key and value in key order. Two stores with the
// same digest hold the same data; tests use it to prove a rejected request
// wrote nothing.
func (s *Store) Digest() ([]byte, error) {
	h := sha256.New()
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		var n [8]byte
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			binary.BigEndian.PutUint64(n[:], uint64(len(item.Key())))
			h.Write(n[:])
			h.Write(item.Key())
			if err := item.Value(func(v []byte) error {
				binary.BigEndian.PutUint64(n[:], uint64(len(v)))
				h.Write(n[:])
				h.Write(v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return h.Sum(nil), err
}
