package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// initFormat opens the key file, stamps a new store with the format
// version, migrates an older store and refuses one written by an
// incompatible version; then, for a sealed store on disk, it finishes what
// a crash may have left undone in the key file (replayDestroys, Reclaim).
func (s *Store) initFormat(opts Options) error {
	var format string
	err := s.view(nilCtx, func(txn *tx) error {
		item, err := txn.Get([]byte(keyFormat))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		format = string(v)
		return err
	})
	if err != nil {
		return err
	}
	if s.plain {
		return s.initPlain(format)
	}
	switch format {
	case "":
		// A new store: the key file first (a crash before the stamp finds
		// it and opens it again), then the format.
		if err := s.openKeys(opts, true); err != nil {
			return err
		}
		if err := s.stamp(currentFormat); err != nil {
			return err
		}
	case currentFormat:
		if err := s.openKeys(opts, false); err != nil {
			return err
		}
	case sealedV5, migratingV5:
		if err := s.openKeys(opts, false); err != nil {
			return err
		}
		if err := s.migrateV5(); err != nil {
			return err
		}
	case "1", "2", "3", "4":
		// The key file may exist already: a migration that was interrupted.
		if err := s.openKeys(opts, true); err != nil {
			return err
		}
		s.plain = true // the older migrations write format-4 records and keys
		err := s.initPlain(format)
		s.plain = false
		if err != nil {
			return err
		}
		if err := s.migrateV4(); err != nil {
			return err
		}
		if err := s.migrateV5(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("badgerstore: store format %q, this build reads %q", format, currentFormat)
	}
	if opts.InMemory {
		return nil
	}
	if err := s.replayDestroys(); err != nil {
		return err
	}
	return s.reclaim()
}

// initPlain brings a store to format 4 (plainFormat), stamping a new one.
func (s *Store) initPlain(format string) error {
	switch format {
	case "":
		return s.stamp(plainFormat)
	case plainFormat:
		return nil
	case "1":
		if err := s.migrateV1(); err != nil {
			return err
		}
		fallthrough
	case "2":
		if err := s.migrateV2(); err != nil {
			return err
		}
		fallthrough
	case "3":
		return s.migrateV3()
	}
	return fmt.Errorf("badgerstore: store format %q, this build reads %q without sealing", format, plainFormat)
}

func (s *Store) stamp(format string) error {
	return s.update(nilCtx, func(txn *tx) error { return txn.Set([]byte(keyFormat), []byte(format)) })
}

// openKeys opens the key file of the data directory, creating it if create
// is set and there is none; an in-memory store gets an in-memory one. A
// store of format 5 without its key file is refused: a new key file could
// open none of its records.
func (s *Store) openKeys(opts Options, create bool) error {
	if opts.InMemory {
		s.keys = shred.OpenMemory(shred.Options{})
		return nil
	}
	path := filepath.Join(opts.Dir, shred.FileName)
	k, err := shred.Open(path, shred.Options{})
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return fmt.Errorf("badgerstore: the key file %s is missing: no sealed record of this store can be read without it (restore it from the backup it was taken with)", path)
		}
		k, err = shred.Create(path, shred.Options{})
	}
	if err != nil {
		return fmt.Errorf("badgerstore: key file: %w", err)
	}
	s.keys = k
	if d := k.Damaged(); len(d) > 0 {
		s.log.Error("key file has damaged slots: the records sealed under them cannot be read; run herken check", "slots", len(d))
	}
	return nil
}

// replayDestroys destroys the data keys of erasures a crash interrupted
// between their commit and the destruction of the keys (their e/ tombstone
// still holds the ref), then clears the refs. Destroy is idempotent, so
// replaying one that was done is harmless.
func (s *Store) replayDestroys() error {
	type pending struct {
		id  string
		ref shred.Ref
	}
	var todo []pending
	err := s.view(nilCtx, func(txn *tx) error {
		todo = todo[:0]
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(prefixErased)
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(io.Prefix); it.ValidForPrefix(io.Prefix); it.Next() {
			if it.Item().ValueSize() == 0 {
				continue
			}
			err := it.Item().Value(func(v []byte) error {
				if r, err := shred.ParseRef(v); err == nil {
					todo = append(todo, pending{string(it.Item().Key()[len(prefixErased):]), r})
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return err
	}
	s.log.Info("destroying the data keys of erasures a crash interrupted", "customers", len(todo))
	ids := make([]string, len(todo))
	for i, p := range todo {
		if err := s.keys.Destroy(p.ref); err != nil {
			return fmt.Errorf("badgerstore: destroying an erased customer's key: %w", err)
		}
		ids[i] = p.id
	}
	if err := s.clearPending(context.Background(), ids); err != nil {
		// The keys are destroyed; the next open replays (a no-op) and
		// clears again.
		s.log.Warn("could not clear the erasures whose keys were destroyed; retried at the next open", "error", err)
	}
	return nil
}

// clearPending empties the e/ tombstones of ids once their keys are
// destroyed.
func (s *Store) clearPending(ctx context.Context, ids []string) error {
	return s.update(ctx, func(txn *tx) error {
		for _, id := range ids {
			if err := txn.Set(erasedKey(id), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// reclaim destroys the keys no customer refers to (x/): those of creates
// and migration batches a crash interrupted between the key's allocation
// and the commit, and those allocated ahead and unused when the store was
// last closed (refPool).
func (s *Store) reclaim() error {
	inUse := map[uint32]uint64{}
	err := s.view(nilCtx, func(txn *tx) error {
		clear(inUse)
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte(prefixKeyRef)
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(io.Prefix); it.ValidForPrefix(io.Prefix); it.Next() {
			err := it.Item().Value(func(v []byte) error {
				if r, err := shred.ParseRef(v); err == nil {
					inUse[r.Slot] = r.Gen
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	n, err := s.keys.Reclaim(func(slot uint32) (uint64, bool) {
		g, ok := inUse[slot]
		return g, ok
	})
	if err != nil {
		return fmt.Errorf("badgerstore: reclaiming unused data keys: %w", err)
	}
	if n > 0 {
		s.log.Info("destroyed data keys no customer refers to", "keys", n)
	}
	return nil
}

// keyFileExists reports whether dir has a key file.
func keyFileExists(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, shred.FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
