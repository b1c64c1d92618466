package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// migrateV3 upgrades a format-3 store to format 4, which lists, merges and
// erases customers: it writes the list-index entries (a/ w/ u/ s/) of every
// customer and the y/ entry of every request record (with the record's
// expiry). Format 3 had no merges or erasures, so there is nothing else to
// build. Batches are small transactions (halved when Badger finds one too
// big); rewriting an entry is harmless, so an interrupted migration simply
// runs again, and the format is stamped last.
func (s *Store) migrateV3() error {
	ctx := context.Background()
	start := time.Now()
	s.log.Info("migrating store format 3 to 4: indexing customers for listing (one-time)")
	n := 0
	for _, f := range []struct {
		prefix string
		keys   func(txn *tx, item *badger.Item) ([]*badger.Entry, error)
	}{{prefixCustomer, customerIndexEntries}, {prefixRequest, requestIndexEntries}} {
		var after []byte
		limit := 128
		for {
			done, last, err := s.migrateV3Batch(ctx, f.prefix, after, limit, f.keys)
			if errors.Is(err, badger.ErrTxnTooBig) && limit > 1 {
				limit /= 2 // nothing was written: retry with fewer
				continue
			}
			if err != nil {
				return fmt.Errorf("badgerstore: migrating format 3: %w", err)
			}
			if done == 0 {
				break
			}
			after, n = last, n+done
		}
	}
	if err := s.update(ctx, func(txn *tx) error {
		return txn.Set([]byte(keyFormat), []byte(plainFormat))
	}); err != nil {
		return err
	}
	s.log.Info("store migration finished", "records_indexed", n, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// migrateV3Batch writes the entries entries() derives from up to limit
// keys under prefix after the key after, in one transaction (reads and
// writes in the same one: the records cannot change in between). It
// returns how many keys it read and the last one.
func (s *Store) migrateV3Batch(ctx context.Context, prefix string, after []byte, limit int,
	entries func(txn *tx, item *badger.Item) ([]*badger.Entry, error)) (int, []byte, error) {
	var n int
	var last []byte
	err := s.update(ctx, func(txn *tx) error {
		n, last = 0, nil
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(prefix)
		it := txn.NewIterator(io)
		defer it.Close()
		var todo []*badger.Entry
		for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && n < limit; it.Next() {
			if after != nil && bytes.Equal(it.Item().Key(), after) {
				continue
			}
			es, err := entries(txn, it.Item())
			if err != nil {
				return err
			}
			todo = append(todo, es...)
			n, last = n+1, it.Item().KeyCopy(nil)
		}
		it.Close()
		for _, e := range todo {
			if err := txn.SetEntry(e); err != nil {
				return err
			}
		}
		return nil
	})
	return n, last, err
}

// customerIndexEntries are the list-index entries of the customer record
// at item.
func customerIndexEntries(txn *tx, item *badger.Item) ([]*badger.Entry, error) {
	id := lastPart(item.Key())
	var out []*badger.Entry
	err := item.Value(func(v []byte) error {
		c, err := decodeCustomer(txn, id, item.Key(), v)
		if err != nil {
			return nil // left for herken check to report
		}
		for _, k := range txn.s.customerIndexKeys(c.Customer) {
			out = append(out, badger.NewEntry(k, nil))
		}
		return nil
	})
	return out, err
}

// requestIndexEntries is the y/ entry of the request record at item, with
// its expiry.
func requestIndexEntries(_ *tx, item *badger.Item) ([]*badger.Entry, error) {
	rid := string(item.Key()[len(prefixRequest):])
	var out []*badger.Entry
	err := item.Value(func(v []byte) error {
		cid, ok := requestCustomer(v)
		if ok {
			e := badger.NewEntry(requestIndexKey(cid, rid), nil)
			e.ExpiresAt = item.ExpiresAt()
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
