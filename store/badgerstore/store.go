// Package badgerstore is the herken.Store on Badger v4, the embedded
// default: one *badger.DB, keys documented in keys.go, values protobuf
// records (internal/recordpb), every multi-key change in one transaction.
// Personal data is sealed per customer under keys kept in a key file beside
// Badger's files, so that an erasure can destroy it for good (sealing.go;
// keys.go says what is sealed and the limits). It imports Badger,
// protobuf, the domain (herken) and identity; nothing outside this package
// knows its keys.
package badgerstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Options configures the store.
type Options struct {
	// Dir is the data directory. Ignored when InMemory is set.
	Dir string
	// InMemory keeps everything in memory (tests, throw-away demos).
	InMemory bool
	// SyncWrites fsyncs every commit, so an acknowledged write survives a
	// power loss, not only a process crash. Costs write latency.
	SyncWrites bool
	// BlockCacheSize and IndexCacheSize are Badger's caches in bytes; 0 means
	// the defaults below.
	BlockCacheSize int64
	IndexCacheSize int64
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// MinFreeBytes is the free space the data directory's filesystem must
	// keep: below it writes are refused with UNAVAILABLE/STORE_UNAVAILABLE
	// (reads go on), from 25% above it they are accepted again. 0 means
	// DefaultMinFreeBytes; negative turns the reserve off. Ignored when
	// InMemory is set. See DefaultMinFreeBytes for why it exists.
	MinFreeBytes int64
	// DiskFree reports the free bytes of the data directory's filesystem;
	// nil means statfs on Dir. Tests set it to simulate a filling disk.
	DiskFree func() (uint64, error)
	// EncryptionKey turns on Badger's encryption at rest (AES, 16, 24 or 32
	// bytes; encryption.go): tables, value log and write-ahead log are
	// encrypted under data keys that Badger keeps in its KEYREGISTRY file,
	// itself encrypted under this key. nil opens an unencrypted store. A
	// store is opened with the key it was created with, or not at all
	// (ErrEncryptionKey); RotateEncryptionKey changes it on a stopped store.
	EncryptionKey []byte
	// Metrics turns on Badger's own metrics (expvar badger_*, exported on
	// /metrics); off, Badger skips the counting.
	Metrics bool

	// Test knobs: unexported, so only this package's tests set them.
	//
	// plain turns sealing and hashed index keys off: the store is a format-4
	// store, as before crypto-shredding. It exists so the erasure test can
	// show that its raw scan does find what it looks for (a scan that finds
	// nothing in a sealed store would prove nothing otherwise) and so the
	// Lookup benchmark can compare; and to build format-4 stores to migrate.
	plain bool
	// valueThreshold is Badger's value threshold (0: Badger's default, 1
	// MB): the erasure test lowers it so that values reach the value log;
	// valueLogFileSize (0: Badger's default, 1 GB) keeps its value-log
	// files small enough to copy.
	valueThreshold   int64
	valueLogFileSize int64
}

// Defaults sized for a single-node store of about a million customers.
const (
	// The caches hold decompressed blocks and table indexes; the OS page
	// cache holds the files. Sized so a million customers serve in about a
	// gigabyte (see BENCHMARKS.md).
	DefaultBlockCacheSize = 128 << 20
	DefaultIndexCacheSize = 64 << 20
	// Memtables: herken is read-mostly, so two 32 MiB memtables (Badger's
	// default is five of 64 MiB) cost little write throughput and save
	// ~250 MiB of resident memory.
	memTableSize       = 32 << 20
	numMemtables       = 2
	maxConflictRetries = 16
)

// Store is the Badger implementation of herken.Store.
type Store struct {
	db     *badger.DB
	secret []byte       // HMAC key of page tokens (m/secret)
	log    *slog.Logger // never nil
	space  *spaceGuard  // nil: no reserve (in memory, or turned off)
	// keys is the key file (sealing.go); nil in a plain store.
	keys *shred.Keys
	// plain: nothing is sealed and index keys are readable (format 4): the
	// test knob Options.plain, and the migrations of formats 1 to 4, which
	// run before the key file is in use.
	plain bool
	pool  refPool
}

var nilCtx = context.Background()

var _ herken.Store = (*Store)(nil)

// Open opens (creating if needed) the store described by opts.
func Open(opts Options) (*Store, error) {
	if !opts.InMemory && opts.Dir == "" {
		return nil, errors.New("badgerstore: Dir is required unless InMemory is set")
	}
	if opts.BlockCacheSize == 0 {
		opts.BlockCacheSize = DefaultBlockCacheSize
	}
	if opts.IndexCacheSize == 0 {
		opts.IndexCacheSize = DefaultIndexCacheSize
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithSyncWrites(opts.SyncWrites).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(opts.IndexCacheSize).
		WithLogger(badgerLogger{opts.Logger}).
		WithMetricsEnabled(opts.Metrics).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables)
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	bo, err := withEncryption(bo, opts.EncryptionKey)
	if err != nil {
		return nil, err
	}
	if opts.valueThreshold > 0 {
		bo = bo.WithValueThreshold(opts.valueThreshold)
	}
	if opts.valueLogFileSize > 0 {
		bo = bo.WithValueLogFileSize(opts.valueLogFileSize)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, openError(opts.Dir, len(opts.EncryptionKey) > 0, err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, log: log, plain: opts.plain}
	if !opts.InMemory && opts.MinFreeBytes >= 0 {
		free := opts.DiskFree
		if free == nil && diskFreeSupported {
			free = func() (uint64, error) { return diskFree(opts.Dir) }
		}
		if free != nil {
			reserve := opts.MinFreeBytes
			if reserve == 0 {
				reserve = DefaultMinFreeBytes
			}
			s.space = newSpaceGuard(uint64(reserve), free, log)
		} else {
			log.Warn("free space cannot be read on this OS; the data directory has no write reserve")
		}
	}
	if err := s.initFormat(opts); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadSecret(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrateV1 upgrades a format-1 store: customer records gained copies of
// their newest interactions and the interaction and open-promise counts.
// It rebuilds them customer by customer, a few hundred per transaction, and
// stamps format 2 last, so an interrupted migration simply runs again.
func (s *Store) migrateV1() error {
	ctx := context.Background()
	start := time.Now()
	s.log.Info("migrating store format 1 to 2: rebuilding customer summaries (one-time)")
	migrated := 0
	defer func() {
		s.log.Info("store migration finished", "customers", migrated, "took", time.Since(start).Round(time.Millisecond).String())
	}()
	var after []byte
	for {
		var ids []string
		err := s.view(ctx, func(txn *tx) error {
			io := badger.DefaultIteratorOptions
			io.Prefix, io.PrefetchValues = []byte(prefixCustomer), false
			it := txn.NewIterator(io)
			defer it.Close()
			for it.Seek(seekStart(after, io.Prefix)); it.ValidForPrefix(io.Prefix) && len(ids) < 256; it.Next() {
				if after != nil && string(it.Item().Key()) == string(after) {
					continue
				}
				ids = append(ids, string(it.Item().Key()[len(prefixCustomer):]))
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			if err != nil {
				return err
			}
			break
		}
		err = s.update(ctx, func(txn *tx) error {
			for _, id := range ids {
				c, err := getCustomerRec(txn, id)
				if err != nil {
					return err
				}
				if c.count, err = countPrefix(txn, historyPrefix(id)); err != nil {
					return err
				}
				if c.openPromises, err = countPrefix(txn, openPrefix(id)); err != nil {
					return err
				}
				if err := refreshRecent(txn, &c); err != nil {
					return err
				}
				if err := putCustomer(txn, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("badgerstore: migrating format 1: %w", err)
		}
		after = customerKey(ids[len(ids)-1])
		migrated += len(ids)
	}
	return s.update(ctx, func(txn *tx) error {
		return txn.Set([]byte(keyFormat), []byte("2"))
	})
}

// countPrefix counts the keys under prefix.
func countPrefix(txn *tx, prefix []byte) (int64, error) {
	io := badger.DefaultIteratorOptions
	io.Prefix, io.PrefetchValues = prefix, false
	it := txn.NewIterator(io)
	defer it.Close()
	var n int64
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		n++
	}
	return n, nil
}

// Close closes the database, then the key file (which wipes the keys from
// memory).
func (s *Store) Close() error {
	err := s.db.Close()
	if s.keys != nil {
		if kerr := s.keys.Close(); err == nil {
			err = kerr
		}
	}
	return err
}

// UnindexForTest deletes the identifier index entry of id and nothing
// else, leaving customers that list an identifier the index does not name:
// the damage tests of the tools that report problems (herken check) need
// from outside this package, which cannot build a key. Never call it on a
// store you care about.
func (s *Store) UnindexForTest(id identity.Identifier) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(s.identifierKey(id)) })
}

// maxKeyGoneRetries bounds the retries of a transaction that met a record
// whose data key was destroyed: an erasure committed after its snapshot
// was taken (the next snapshot no longer has the record). A key still gone
// after that is a damaged store (INTERNAL; herken check names it).
const maxKeyGoneRetries = 3

// update runs fn in a read-write transaction, retrying on conflict: another
// transaction changed a key fn read (or erased a customer whose record fn
// read: keyGone). fn must be safe to run again.
func (s *Store) update(ctx context.Context, fn func(txn *tx) error) error {
	backoff := 50 * time.Microsecond
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Checked before every attempt: the space may have gone meanwhile.
		if err := s.space.check(); err != nil {
			return err
		}
		err := s.db.Update(s.wrap(fn))
		if keyGone(err) && attempt < maxKeyGoneRetries {
			continue
		}
		if !errors.Is(err, badger.ErrConflict) {
			return storeError(err)
		}
		if attempt == maxConflictRetries {
			return &herken.Error{Code: herken.CodeUnavailable, Reason: herken.ReasonStoreUnavailable,
				Message: "too much contention on the same records; retry", Err: err}
		}
		// Jittered, so writers that conflicted do not retry in lockstep.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff/2 + time.Duration(mrand.Int64N(int64(backoff)))):
		}
		if backoff < 10*time.Millisecond {
			backoff *= 2
		}
	}
}

// view runs fn in a read-only transaction; a record whose key is gone
// (keyGone: erased since the snapshot) runs it again on a new one. fn must
// be safe to run again.
func (s *Store) view(ctx context.Context, fn func(txn *tx) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.View(s.wrap(fn))
		if keyGone(err) && attempt < maxKeyGoneRetries {
			continue
		}
		return storeError(err)
	}
}

// wrap adapts fn to Badger's transaction functions.
func (s *Store) wrap(fn func(txn *tx) error) func(*badger.Txn) error {
	return func(bt *badger.Txn) error {
		t := s.newTx(bt)
		defer t.release()
		return fn(t)
	}
}

// decodeError is a stored value that does not decode: a corrupt record,
// not a store that is down, so retrying cannot help.
type decodeError struct {
	what string // record kind: customer, interaction, promise, index, request
	err  error
}

func (e decodeError) Error() string { return "decode " + e.what + ": " + e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

func isDecodeError(err error) bool { return errors.As(err, new(decodeError)) }

// storeError passes domain and context errors through, turns a record
// that does not decode into INTERNAL and Badger's own failures into
// ErrUnavailable (wrapping the cause for the logs).
func storeError(err error) error {
	if err == nil {
		return nil
	}
	var de *herken.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isDecodeError(err) {
		return &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal,
			Message: "a stored record does not decode; run herken check", Err: err}
	}
	e := *herken.ErrUnavailable
	e.Err = err
	return &e
}

func corrupt(format string, args ...any) error {
	return &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: fmt.Sprintf(format, args...)}
}

// getCustomer reads c/{id}; ErrCustomerNotFound when absent.
func getCustomer(txn *tx, id string) (herken.Customer, error) {
	rec, err := getCustomerRec(txn, id)
	return rec.Customer, err
}

// getCustomerRec reads c/{id} with the store's summary fields.
func getCustomerRec(txn *tx, id string) (customerRec, error) {
	item, err := txn.Get(customerKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return customerRec{}, herken.ErrCustomerNotFound
	}
	if err != nil {
		return customerRec{}, err
	}
	var c customerRec
	err = item.Value(func(v []byte) error {
		var derr error
		c, derr = decodeCustomer(txn, id, item.Key(), v)
		return derr
	})
	return c, err
}

func putCustomer(txn *tx, c customerRec) error {
	key := customerKey(c.ID)
	b, err := encodeCustomer(txn, key, c)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

// holders reads the holder list of one identifier; nil when none.
func holders(txn *tx, id identity.Identifier) ([]string, error) {
	item, err := txn.Get(txn.s.identifierKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r recordpb.IndexRecord
	if err := item.Value(func(v []byte) error { return proto.Unmarshal(v, &r) }); err != nil {
		return nil, decodeError{"index", err}
	}
	return r.CustomerIds, nil
}

func putHolders(txn *tx, id identity.Identifier, ids []string) error {
	if len(ids) == 0 {
		return txn.Delete(txn.s.identifierKey(id))
	}
	b, err := encodeHolders(ids)
	if err != nil {
		return err
	}
	return txn.Set(txn.s.identifierKey(id), b)
}

func encodeHolders(ids []string) ([]byte, error) {
	return marshalOpts.Marshal(&recordpb.IndexRecord{CustomerIds: ids})
}

// checkRequest looks up an idempotency key. It returns the stored result id
// when the same request was seen, ErrRequestIDReused for a different one, and
// "" when the key is new (or idem is off).
func checkRequest(txn *tx, idem herken.Idempotency) (string, error) {
	if idem.Key == "" {
		return "", nil
	}
	item, err := txn.Get(requestKey(idem.Key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var r recordpb.RequestRecord
	if err := item.Value(func(v []byte) error { return proto.Unmarshal(v, &r) }); err != nil {
		return "", decodeError{"request", err}
	}
	if string(r.Fingerprint) != string(idem.Fingerprint) {
		return "", herken.ErrRequestIDReused
	}
	return r.ResultId, nil
}

func putRequest(txn *tx, idem herken.Idempotency, resultID string) error {
	return putRequestRecord(txn, idem, &recordpb.RequestRecord{ResultId: resultID})
}

// putRequestRecord stores r (its fingerprint taken from idem) under idem's
// key with idem's TTL; nothing when idem is off.
func putRequestRecord(txn *tx, idem herken.Idempotency, r *recordpb.RequestRecord) error {
	if idem.Key == "" {
		return nil
	}
	r.Fingerprint = idem.Fingerprint
	b, err := marshalOpts.Marshal(r)
	if err != nil {
		return err
	}
	// The record and its y/ entry expire at the same second, so one never
	// outlives the other.
	e := badger.NewEntry(requestKey(idem.Key), b).WithTTL(idem.TTL)
	if err := txn.SetEntry(e); err != nil {
		return err
	}
	cid, _, _ := strings.Cut(r.ResultId, "/")
	y := badger.NewEntry(requestIndexKey(cid, idem.Key), nil)
	y.ExpiresAt = e.ExpiresAt
	return txn.SetEntry(y)
}

func random32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// badgerLogger sends Badger's warnings and errors to slog and drops its
// chatty info and debug lines (compaction progress and the like).
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger", "msg", fmt.Sprintf(f, a...))
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger", "msg", fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

// getOrCreate returns key's value, storing create() first if the key is
// missing. It reads before it writes, so opening an existing store needs
// no write (and works while the free-space reserve refuses writes).
func (s *Store) getOrCreate(key []byte, create func() []byte) ([]byte, error) {
	var v []byte
	get := func(txn *tx) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	}
	err := s.view(nilCtx, get)
	if !errors.Is(err, badger.ErrKeyNotFound) {
		return v, err
	}
	err = s.update(nilCtx, func(txn *tx) error {
		err := get(txn)
		if errors.Is(err, badger.ErrKeyNotFound) {
			v = create()
			return txn.Set(key, v)
		}
		return err
	})
	return v, err
}

// Ping reads the format key: it fails when the store cannot serve reads.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(txn *tx) error {
		_, err := txn.Get([]byte(keyFormat))
		return err
	})
}

// Empty reports whether the store holds no customers.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	empty := true
	err := s.view(ctx, func(txn *tx) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(prefixCustomer)
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Seek(opts.Prefix)
		empty = !it.ValidForPrefix(opts.Prefix)
		return nil
	})
	return empty, err
}
