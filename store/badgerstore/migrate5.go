package badgerstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// migrateV4 upgrades a format-4 store to format 5, which seals personal
// data per customer and hashes index keys (sealing.go):
//
//  1. a data key for every live (c/) and merged (g/) customer without one:
//     allocated a batch per fsync of the key file, durable before the
//     batch's x/ records are committed;
//  2. every plain c/, g/, h/ and p/ record sealed under its customer's key;
//  3. every readable i/ and s/ key replaced by its hashed form;
//  4. the format stamped last.
//
// Each step runs in small transactions (migrateBatch records and about
// migrateBatchBytes of values, halved when Badger still finds one too big)
// and skips what is done already — a sealed value, a hashed key (the two
// key shapes differ), a customer with a key — so an interrupted migration
// simply runs again. A crash between an allocation and its commit leaves
// keys nobody refers to, which Reclaim destroys at the next open.
//
// What the migration cannot reach are the copies Badger keeps of the plain
// values it replaces: earlier versions stay in the value log, the
// write-ahead log and older tables until compaction and value-log garbage
// collection drop them. A customer erased soon after the migration may
// still have plain copies there (keys.go, "Limits").
func (s *Store) migrateV4() error {
	ctx := context.Background()
	start := time.Now()
	s.log.Info("migrating store format 4 to 5: sealing personal data per customer, hashing index keys (one-time)")
	keys := 0
	for _, prefix := range []string{prefixCustomer, prefixMerge} {
		n, err := s.migrateRefs(ctx, prefix)
		if err != nil {
			return fmt.Errorf("badgerstore: migrating format 4: %w", err)
		}
		keys += n
	}
	sealed, orphans, rekeyed := 0, 0, 0
	for _, prefix := range []string{prefixCustomer, prefixMerge, prefixHistory, prefixPromise} {
		_, err := s.migratePrefix(ctx, prefix, func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error) {
			e, err := sealEntry(txn, prefix, item)
			switch {
			case errors.Is(err, errNoRef):
				orphans++ // a record of no customer; herken check reports it
				return nil, nil, nil
			case e != nil:
				sealed++
			}
			return e, nil, err
		})
		if err != nil {
			return fmt.Errorf("badgerstore: migrating format 4: %w", err)
		}
	}
	for _, f := range []struct {
		prefix string
		rekey  func(s *Store, key []byte) ([]byte, bool)
	}{{prefixIndex, (*Store).rekeyIdentifier}, {prefixName, (*Store).rekeyName}} {
		_, err := s.migratePrefix(ctx, f.prefix, func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error) {
			nk, ok := f.rekey(s, item.Key())
			if !ok {
				return nil, nil, nil
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return nil, nil, err
			}
			rekeyed++
			return badger.NewEntry(nk, v), item.KeyCopy(nil), nil
		})
		if err != nil {
			return fmt.Errorf("badgerstore: migrating format 4: %w", err)
		}
	}
	if orphans > 0 {
		s.log.Warn("records of customers that do not exist were left unsealed; herken check lists them", "records", orphans)
	}
	// Format 5 (its name index is then rebuilt by word: migrateV5).
	if err := s.stamp(sealedV5); err != nil {
		return err
	}
	s.log.Info("store migration finished", "keys", keys, "records_sealed", sealed, "index_keys_hashed", rekeyed,
		"took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// migrateRefs gives every id under prefix (c/ or g/) that has no x/ record
// a data key, and returns how many it gave.
func (s *Store) migrateRefs(ctx context.Context, prefix string) (int, error) {
	var after []byte
	total := 0
	for {
		var ids []string
		var last []byte
		err := s.view(ctx, func(txn *tx) error {
			ids, last = ids[:0], nil
			io := badger.DefaultIteratorOptions
			io.Prefix, io.PrefetchValues = []byte(prefix), false
			it := txn.NewIterator(io)
			defer it.Close()
			for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && len(ids) < migrateBatch; it.Next() {
				key := it.Item().Key()
				if after != nil && bytes.Equal(key, after) {
					continue
				}
				last = it.Item().KeyCopy(nil)
				id := string(key[len(prefix):])
				if !herken.ValidID(id) {
					continue // malformed; herken check reports it
				}
				if _, ok, err := txn.readRef(id); err != nil || ok {
					if err != nil {
						return err
					}
					continue
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		if last == nil {
			return total, nil
		}
		after = last
		if len(ids) == 0 {
			continue
		}
		// Durable before anything names them (shred's order).
		refs, err := s.keys.AllocN(len(ids))
		if err != nil {
			return total, err
		}
		err = s.update(ctx, func(txn *tx) error {
			for i, id := range ids {
				if err := txn.setRef(id, refs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err // the keys are orphans: Reclaim takes them
		}
		total += len(ids)
	}
}

// sealEntry is the sealed form of the plain record at item (under prefix
// c/, g/, h/ or p/); nil when it is sealed already. errNoRef when its
// customer has no data key (a record of no customer).
func sealEntry(txn *tx, prefix string, item *badger.Item) (*badger.Entry, error) {
	key := item.Key()
	owner := string(key[len(prefix):])
	if prefix == prefixHistory || prefix == prefixPromise {
		owner, _, _ = strings.Cut(owner, "/")
	}
	var plain []byte
	err := item.Value(func(v []byte) error {
		if _, sealed := sealedRef(v); !sealed {
			plain = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil || plain == nil {
		return nil, err
	}
	ref, err := txn.ref(owner)
	if err != nil {
		if errors.Is(err, errNoRef) {
			return nil, errNoRef
		}
		return nil, err
	}
	k := item.KeyCopy(nil)
	v, err := txn.s.sealBytes(ref, owner, k, plain)
	if err != nil {
		return nil, err
	}
	return badger.NewEntry(k, v), nil
}

// rekeyIdentifier is the hashed i/ key for a readable one
// ("i/{kind}:{value}"); false for a key that is hashed already.
func (s *Store) rekeyIdentifier(key []byte) ([]byte, bool) {
	rest := key[len(prefixIndex):]
	if len(rest) < 2 || rest[1] != ':' {
		return nil, false
	}
	return s.hashedIdentifierKey(rest[0], string(rest[2:])), true
}

// rekeyName is the hashed s/ key for a readable one ("s/{hex}/{customer}");
// false for a key that is hashed already (or not an s/ key of either shape).
func (s *Store) rekeyName(key []byte) ([]byte, bool) {
	rest := string(key[len(prefixName):])
	name, cid, ok := strings.Cut(rest, "/")
	if !ok || strings.HasPrefix(name, "#") {
		return nil, false
	}
	prefix, err := hex.DecodeString(name)
	if err != nil {
		return nil, false
	}
	return s.namePrefixKey(string(prefix), cid), true
}

// migratePrefix runs step on every key under prefix, a batch per
// transaction: step returns an entry to set and a key to delete (either
// nil). It returns how many keys it read.
func (s *Store) migratePrefix(ctx context.Context, prefix string,
	step func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error)) (int, error) {
	var after []byte
	limit, total := migrateBatch, 0
	for {
		n, last, err := s.migrate5Batch(ctx, prefix, after, limit, step)
		if errors.Is(err, badger.ErrTxnTooBig) && limit > 1 {
			limit /= 2 // nothing was written: retry with fewer
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, nil
		}
		after, total = last, total+n
	}
}

// migrate5Batch runs step on up to limit keys under prefix after the key
// after (and about migrateBatchBytes of new values) in one transaction,
// reads and writes in the same one. It returns how many keys it read and
// the last one.
func (s *Store) migrate5Batch(ctx context.Context, prefix string, after []byte, limit int,
	step func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error)) (int, []byte, error) {
	var n int
	var last []byte
	err := s.update(ctx, func(txn *tx) error {
		n, last = 0, nil
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(prefix)
		it := txn.NewIterator(io)
		defer it.Close()
		var sets []*badger.Entry
		var dels [][]byte
		size := 0
		for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && n < limit && size < migrateBatchBytes; it.Next() {
			if after != nil && bytes.Equal(it.Item().Key(), after) {
				continue
			}
			e, del, err := step(txn, it.Item())
			if err != nil {
				return err
			}
			if e != nil {
				sets = append(sets, e)
				size += len(e.Key) + len(e.Value)
			}
			if del != nil {
				dels = append(dels, del)
			}
			n, last = n+1, it.Item().KeyCopy(nil)
		}
		it.Close()
		for _, e := range sets {
			if err := txn.SetEntry(e); err != nil {
				return err
			}
		}
		return deleteKeys(txn, dels...)
	})
	return n, last, err
}

// hashedIdentifierKey is identifierKey for a kind code and canonical value.
func (s *Store) hashedIdentifierKey(code byte, value string) []byte {
	b := make([]byte, 0, len(prefixIndex)+2+2*shred.IndexHashSize)
	b = append(b, prefixIndex...)
	b = append(b, code, '#')
	var h [shred.IndexHashSize]byte
	s.keys.AppendIndexHash(h[:0], code, value)
	return hex.AppendEncode(b, h[:])
}
