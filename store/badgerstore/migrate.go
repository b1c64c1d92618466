package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// migrateBatch is how many records one migration transaction moves.
const migrateBatch = 500

// migrateV2 upgrades a format-2 store, whose interaction and promise ids
// were made by the store and encoded the key order, to format 3, where ids
// are the domain's and the order lives in the keys only (keys.go):
//
//	h/{c}/{id}  →  h/{c}/{id[:16]}/{id}  and  j/{c}/{id} = id[:16]
//	p/{c}/{id}  →  p/{c}/{id[:16]}/{id}  and  q/{c}/{id} = id[:16]
//	n/{c}/{id}  →  n/{c}/{id[:16]}/{id}
//
// A format-2 id's first 16 hex digits are exactly the {newest} or {due}
// part of the new key, so every id stays valid and every list keeps its
// order. Each batch moves records atomically; an interrupted migration
// finds the old-shaped keys that are left and goes on, and the format is
// stamped last.
func (s *Store) migrateV2() error {
	ctx := context.Background()
	start := time.Now()
	s.log.Info("migrating store format 2 to 3: moving interactions and promises to ordered keys (one-time)")
	moved := 0
	for _, m := range []struct {
		prefix, locator string
	}{{prefixHistory, prefixLocateIn}, {prefixPromise, prefixLocateP}, {prefixOpen, ""}} {
		var after []byte
		for {
			type move struct{ old, new, loc, locVal, val []byte }
			var batch []move
			err := s.view(ctx, func(txn *badger.Txn) error {
				io := badger.DefaultIteratorOptions
				io.Prefix = []byte(m.prefix)
				it := txn.NewIterator(io)
				defer it.Close()
				for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && len(batch) < migrateBatch; it.Next() {
					key := it.Item().Key()
					if after != nil && bytes.Equal(key, after) {
						continue
					}
					cid, id, ok := strings.Cut(string(key[len(m.prefix):]), "/")
					if !ok || strings.Contains(id, "/") {
						continue // already format 3
					}
					if len(id) != 24 {
						return fmt.Errorf("badgerstore: migrating format 2: unexpected key under %q", m.prefix)
					}
					val, err := it.Item().ValueCopy(nil)
					if err != nil {
						return err
					}
					mv := move{old: it.Item().KeyCopy(nil), new: []byte(m.prefix + cid + "/" + id[:16] + "/" + id), val: val}
					if m.locator != "" {
						mv.loc, mv.locVal = []byte(m.locator+cid+"/"+id), []byte(id[:16])
					}
					batch = append(batch, mv)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			err = s.update(ctx, func(txn *badger.Txn) error {
				for _, mv := range batch {
					if err := txn.Set(mv.new, mv.val); err != nil {
						return err
					}
					if mv.loc != nil {
						if err := txn.Set(mv.loc, mv.locVal); err != nil {
							return err
						}
					}
					if err := txn.Delete(mv.old); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("badgerstore: migrating format 2: %w", err)
			}
			after = batch[len(batch)-1].old
			moved += len(batch)
		}
	}
	if err := s.update(ctx, func(txn *badger.Txn) error {
		return txn.Set([]byte(keyFormat), []byte(currentFormat))
	}); err != nil {
		return err
	}
	s.log.Info("store migration finished", "keys_moved", moved, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
