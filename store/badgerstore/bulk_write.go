package badgerstore

import (
	"bytes"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/ristretto/v2/z"
	"google.golang.org/protobuf/encoding/protowire"
)

// Writing a bulk load: Badger's StreamWriter builds the tables of the
// bottom level directly from keys in increasing order — no memtables,
// write-ahead log or compactions. Its Prepare drops everything the DB
// holds, so what the store has (the metadata Open wrote: m/format,
// m/secret; nothing of a customer, NewLoader checks) is read first and
// merged into the stream. Every entry gets version 1; Flush moves the
// oracle past it, and a reopened DB starts after the highest version in its
// tables, so later transactions read the loaded keys and overwrite them.

// bulkStreamID is the one stream of a load: its keys come in order.
const bulkStreamID = 1

// bulkWriteBatch is how many bytes of entries go to StreamWriter.Write at a
// time.
const bulkWriteBatch = 8 << 20

// maxBulkExisting bounds what a store may already hold (bytes of keys and
// values) for a bulk load: the metadata of an empty store is a few hundred
// bytes.
const maxBulkExisting = 64 << 20

// bulkExisting reads every live key of the store, in order.
func (s *Store) bulkExisting() ([]bulkKV, error) {
	var out []bulkKV
	size := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			kv := bulkKV{key: item.KeyCopy(nil), val: v, expiresAt: item.ExpiresAt(), userMeta: item.UserMeta()}
			if size += len(kv.key) + len(kv.val); size > maxBulkExisting {
				return errors.New("badgerstore: bulk load: the store already holds too much")
			}
			out = append(out, kv)
		}
		return nil
	})
	return out, err
}

// bulkWrite replaces the DB's contents with existing (the store's own
// entries, from bulkExisting) merged with srcs. Keys must be unique: a key
// given twice with the same value is written once, with two values it
// fails the load. On failure the DB is emptied and existing written back:
// the store is as before the load, without what it loaded.
func (s *Store) bulkWrite(existing []bulkKV, srcs []bulkSource) (n int, err error) {
	m, err := newBulkMerge(append([]bulkSource{&sliceSource{kvs: existing}}, srcs...))
	if err != nil {
		return 0, err
	}
	// StreamWriter builds bottom-level tables (64 MiB by default) in
	// memory, with an allocator of twice that per table in flight: the DB
	// is reopened with smaller tables for the stream, and as it was after.
	orig := s.db.Opts()
	if !orig.InMemory {
		if err := s.bulkReopen(bulkTableOptions(orig)); err != nil {
			return 0, err
		}
		defer func() {
			if rerr := s.bulkReopen(orig); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	sw := s.db.NewStreamWriter()
	if err := sw.Prepare(); err != nil {
		sw.Cancel()
		return 0, s.bulkRestore(existing, err)
	}
	// The merge fills buffers, a goroutine hands them to Write (which
	// decodes them again): two cores share the work.
	full, free := make(chan *z.Buffer, 2), make(chan *z.Buffer, 3)
	for range 3 {
		free <- z.NewBuffer(bulkWriteBatch+bulkWriteBatch/4, "herken.bulk")
	}
	werr := make(chan error, 1)
	go func() {
		var err error
		writes := 0
		for b := range full {
			if err == nil {
				err = sw.Write(b)
			}
			b.Reset()
			free <- b
			if writes++; writes%bulkDropEvery == 0 && !orig.InMemory {
				bulkDropMapped(orig.Dir)
			}
		}
		werr <- err
	}()
	buf := <-free
	var prevKey, prevVal []byte
	err = m.each(func(e bulkKV) error {
		if n > 0 {
			switch c := bytes.Compare(e.key, prevKey); {
			case c == 0 && bytes.Equal(e.val, prevVal):
				return nil // the same entry twice (a tag listed twice)
			case c == 0:
				return fmt.Errorf("badgerstore: bulk load: two values for one key (prefix %q)", prevKey[:min(2, len(prevKey))])
			case c < 0:
				return errors.New("badgerstore: bulk load: keys out of order")
			}
		}
		prevKey = append(prevKey[:0], e.key...)
		prevVal = append(prevVal[:0], e.val...)
		appendKV(buf, e)
		n++
		if buf.LenNoPadding() >= bulkWriteBatch {
			full <- buf
			buf = <-free
		}
		return nil
	})
	full <- buf
	close(full)
	if err2 := <-werr; err == nil {
		err = err2
	}
	close(free)
	for b := range free {
		b.Release()
	}
	if err == nil {
		err = sw.Flush()
	}
	if err != nil {
		sw.Cancel()
		return 0, s.bulkRestore(existing, err)
	}
	return n, nil
}

// bulkDropEvery is how many Writes go by between two bulkDropMapped.
const bulkDropEvery = 8

// bulkTableSize is the size of the tables a bulk load writes.
const bulkTableSize = 8 << 20

// bulkTableOptions are o with a base table size that makes the tables
// StreamWriter writes (base size × multiplier^(levels-2), at the bottom
// level) bulkTableSize.
func bulkTableOptions(o badger.Options) badger.Options {
	size := int64(bulkTableSize)
	for i := 2; i < o.MaxLevels; i++ {
		size /= int64(max(o.TableSizeMultiplier, 1))
	}
	return o.WithBaseTableSize(max(size, 64<<10))
}

// bulkReopen closes the DB and opens it again with o.
func (s *Store) bulkReopen(o badger.Options) error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("badgerstore: bulk load: closing the store: %w", err)
	}
	db, err := badger.Open(o)
	if err != nil {
		return fmt.Errorf("badgerstore: bulk load: opening the store again: %w", err)
	}
	s.db = db
	return nil
}

// appendKV appends e to buf as the pb.KV StreamWriter.Write reads (what
// badger.KVToBuffer writes, without reflection): version 1, the load's
// stream.
func appendKV(buf *z.Buffer, e bulkKV) {
	size := 1 + protowire.SizeBytes(len(e.key)) + 2 + 2 // key, version, stream id
	if len(e.val) > 0 {
		size += 1 + protowire.SizeBytes(len(e.val))
	}
	if e.userMeta != 0 {
		size += 3
	}
	if e.expiresAt != 0 {
		size += 1 + protowire.SizeVarint(e.expiresAt)
	}
	b := buf.SliceAllocate(size)[:0]
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, e.key)
	if len(e.val) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, e.val)
	}
	if e.userMeta != 0 {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte{e.userMeta})
	}
	b = protowire.AppendTag(b, 4, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	if e.expiresAt != 0 {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, e.expiresAt)
	}
	b = protowire.AppendTag(b, 10, protowire.VarintType)
	b = protowire.AppendVarint(b, bulkStreamID)
	if len(b) != size {
		panic("badgerstore: appendKV: size mismatch")
	}
}

// bulkRestore empties the DB after a failed stream and writes the store's
// own entries back; it returns cause, or both errors when that fails too.
func (s *Store) bulkRestore(existing []bulkKV, cause error) error {
	err := s.db.DropAll()
	if err == nil {
		wb := s.db.NewWriteBatch()
		for _, kv := range existing {
			e := badger.NewEntry(kv.key, kv.val).WithMeta(kv.userMeta)
			e.ExpiresAt = kv.expiresAt
			if err = wb.SetEntry(e); err != nil {
				break
			}
		}
		if err == nil {
			err = wb.Flush()
		} else {
			wb.Cancel()
		}
	}
	if err != nil {
		return errors.Join(cause, fmt.Errorf("badgerstore: bulk load: restoring the store's metadata: %w", err))
	}
	return cause
}
