package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// A migration transaction moves at most migrateBatch records and about
// migrateBatchBytes of values: Badger refuses a transaction over ~15% of a
// memtable (~4.8 MB here), and one interaction record can hold tens of KB
// of text. A batch Badger still finds too big is halved and tried again.
const (
	migrateBatch      = 500
	migrateBatchBytes = 1 << 20
)

// v2Family is one kind of format-2 key migrateV2 moves: the prefix, and
// the locator prefix the moved record gets ("" for none).
type v2Family struct{ prefix, locator string }

var v2Families = []v2Family{{prefixHistory, prefixLocateIn}, {prefixPromise, prefixLocateP}, {prefixOpen, ""}}

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
	for _, f := range v2Families {
		var after []byte
		limit := migrateBatch
		for {
			n, last, err := s.migrateV2Batch(ctx, f, after, limit)
			if errors.Is(err, badger.ErrTxnTooBig) && limit > 1 {
				limit /= 2 // nothing was written: retry with fewer records
				continue
			}
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			after = last
			moved += n
		}
	}
	if err := s.update(ctx, func(txn *tx) error {
		return txn.Set([]byte(keyFormat), []byte("3"))
	}); err != nil {
		return err
	}
	s.log.Info("store migration finished", "keys_moved", moved, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// migrateV2Batch moves up to limit old-shaped keys of family f that sort
// after the key after (nil: from the start) in one transaction. It returns
// how many it moved and the last old key, where the next batch goes on.
func (s *Store) migrateV2Batch(ctx context.Context, f v2Family, after []byte, limit int) (int, []byte, error) {
	type move struct{ old, new, loc, locVal, val []byte }
	var batch []move
	size := 0
	err := s.view(ctx, func(txn *tx) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(f.prefix)
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && len(batch) < limit && size < migrateBatchBytes; it.Next() {
			key := it.Item().Key()
			if after != nil && bytes.Equal(key, after) {
				continue
			}
			cid, id, ok := strings.Cut(string(key[len(f.prefix):]), "/")
			if !ok || strings.Contains(id, "/") {
				continue // already format 3
			}
			if len(id) != 24 {
				return fmt.Errorf("badgerstore: migrating format 2: unexpected key under %q", f.prefix)
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			mv := move{old: it.Item().KeyCopy(nil), new: []byte(f.prefix + cid + "/" + id[:16] + "/" + id), val: val}
			if f.locator != "" {
				mv.loc, mv.locVal = []byte(f.locator+cid+"/"+id), []byte(id[:16])
			}
			batch = append(batch, mv)
			size += len(mv.val) + 2*len(mv.new)
		}
		return nil
	})
	if err != nil || len(batch) == 0 {
		return 0, nil, err
	}
	err = s.update(ctx, func(txn *tx) error {
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
		return 0, nil, fmt.Errorf("badgerstore: migrating format 2: %w", err)
	}
	return len(batch), batch[len(batch)-1].old, nil
}
