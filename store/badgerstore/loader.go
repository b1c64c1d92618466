package badgerstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"

	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Loader bulk-loads customers with their history and promises into an
// EMPTY store that nothing else writes to meanwhile (an initial import, a
// benchmark): no transactions, no memtables, no compactions. Add checks a
// customer against the identity rules and hands it to a worker, which
// builds every key and value it needs, exactly as CreateCustomer,
// RecordInteraction and CreatePromise would store them, and queues them in
// sorted runs (bulk_sort.go: in memory up to a bound, then spilled to files
// in a directory inside the store's). Finish merges the runs and writes
// them with Badger's StreamWriter as the bottom level of the LSM tree
// (bulk_write.go). Memory is bounded by the runs (two per worker), the
// identifier index (one entry per identifier: which customers hold it,
// about 60 bytes) and the set of customer ids; time is about one sort of
// everything loaded.
//
// The identity rules hold as in the online path: Add refuses an exclusive
// identifier held twice and a shareable one held by more than
// MaxHoldersPerIdentity. Nothing is in the store before Finish returns; a
// load that fails, is cancelled or not finished leaves the store as it was
// (empty).
//
// Each customer gets its data key as CreateCustomer's do, but a batch of
// loadRefBatch keys costs one fsync of the key file (shred.AllocN), not one
// each; every key is durable before a record sealed under it is queued.
// Keys a failed or unfinished load leaves unused are destroyed by Reclaim
// at the next open.
type Loader struct {
	s *Store
	// single and shared are the identifier index being built, by
	// holderKey: the one holder of most identifiers in single, those held
	// by several in shared (and not in single), as customer numbers (the
	// order of Add: custs); iKeys has the i/ key of each (plain stores
	// only: a hashed key is rebuilt from its holderKey). Nothing in them is
	// a pointer, so the collector never scans millions of entries.
	single map[holderKey]uint32
	shared map[holderKey][]uint32
	iKeys  map[holderKey]string
	custs  loadIDs
	refs   []shred.Ref // allocated ahead, durable, not yet given out
	stats  LoadStats
	err    error
	done   bool

	jobs    chan loadJob
	workers []*loadWorker
	wg      sync.WaitGroup
	mu      sync.Mutex
	failed  error // a worker's first error
}

// loadJob is a customer checked by Add, for a worker to encode: copies of
// what the caller gave (it may reuse its slices), ids filled in.
type loadJob struct {
	c        herken.Customer
	history  []herken.Interaction
	promises []herken.Promise
	made     []time.Time // per promise: when the interaction it names occurred
	ref      shred.Ref
}

// loadWorker encodes customers into its own sorted runs.
type loadWorker struct {
	l      *Loader
	sorter *bulkSorter
}

// holderKey names an identifier in the loader's index: the kind code and
// the 16 bytes of its keyed hash (a plain store: of a SHA-256 of its key).
type holderKey [1 + shred.IndexHashSize]byte

// loadRefBatch is how many data keys the loader allocates per fsync.
const loadRefBatch = 1024

// loadSpaceEvery is how many customers Add queues between two checks of
// the free-space reserve (a few MB of runs).
const loadSpaceEvery = 64

// maxLoadWorkers bounds the goroutines that encode customers.
const maxLoadWorkers = 4

// LoadStats counts what a Loader wrote.
type LoadStats struct {
	Customers, Identifiers, Interactions, Promises int
}

// NewLoader starts a bulk load. The store must hold no customers, live or
// erased (the loader cannot tell an id it is given from an erased one).
func (s *Store) NewLoader(ctx context.Context) (*Loader, error) {
	return s.newLoader(ctx, 0)
}

// newLoader is NewLoader with the bound of one sorted run (0: the default).
func (s *Store) newLoader(ctx context.Context, runBytes int) (*Loader, error) {
	empty, err := s.Empty(ctx)
	if err != nil {
		return nil, err
	}
	if empty {
		err = s.view(ctx, func(txn *tx) error {
			empty = len(firstKeys(txn, []byte(prefixErased), 1)) == 0
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !empty {
		return nil, errors.New("badgerstore: bulk load needs an empty store")
	}
	// The runs go in the store's directory (its filesystem has the room,
	// and the free-space reserve watches it), or to the temporary directory
	// of an in-memory store. Runs of a load that died with its process are
	// removed first: the store is locked, no other load can be running.
	parent := s.db.Opts().Dir
	if s.db.Opts().InMemory {
		parent = ""
	} else if stale, _ := filepath.Glob(filepath.Join(parent, bulkRunDirPattern)); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	l := &Loader{
		s:      s,
		single: make(map[holderKey]uint32), shared: make(map[holderKey][]uint32),
		iKeys: make(map[holderKey]string), custs: newLoadIDs(),
	}
	n := min(runtime.GOMAXPROCS(0), maxLoadWorkers)
	l.jobs = make(chan loadJob, 64*n)
	for range n {
		w := &loadWorker{l: l, sorter: newBulkSorter(parent, runBytes)}
		l.workers = append(l.workers, w)
		l.wg.Add(1)
		go w.run()
	}
	return l, nil
}

// Add queues one customer (ID, times and identifiers set, as for
// CreateCustomer), its interactions (an empty ID gets herken.NewID();
// CustomerID ignored) and its promises (likewise). The customer's last contact is derived from
// the interactions. The identity rules still hold: an exclusive identifier
// held twice, or a shareable one by more than MaxHoldersPerIdentity, fails;
// so does a customer id added twice. The first error ends the load: every
// later call returns it (an error encoding an earlier customer, such as a
// key file that cannot be written, may be returned by a later Add or by
// Finish). Add keeps no reference to c, history or promises.
func (l *Loader) Add(c herken.Customer, history []herken.Interaction, promises []herken.Promise) error {
	if l.err != nil {
		return l.err
	}
	if l.done {
		return errLoaderDone
	}
	if l.err = l.workerErr(); l.err != nil {
		return l.err
	}
	// The free-space reserve, as Store.update checks it per transaction
	// (here every loadSpaceEvery customers: a statfs costs more than
	// queueing a customer): the runs fill the filesystem the store will.
	if l.stats.Customers%loadSpaceEvery == 0 {
		if l.err = l.s.space.check(); l.err != nil {
			return l.err
		}
	}
	l.err = l.add(c, history, promises)
	return l.err
}

var errLoaderDone = errors.New("badgerstore: the load is finished or cancelled")

func (l *Loader) workerErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// Holders returns the customers the load has linked id to so far, in link
// order: what the identifier index will hold for it. An import asks before
// Add, to drop an identifier the rules refuse instead of failing the load.
func (l *Loader) Holders(id identity.Identifier) []string {
	hk := l.holderKey(l.s.identifierKey(id))
	if ns, ok := l.shared[hk]; ok {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = l.custs.id(n)
		}
		return out
	}
	if n, ok := l.single[hk]; ok {
		return []string{l.custs.id(n)}
	}
	return nil
}

func (l *Loader) add(c herken.Customer, history []herken.Interaction, promises []herken.Promise) error {
	if !herken.ValidID(c.ID) {
		return fmt.Errorf("badgerstore: load: customer id has the wrong shape")
	}
	if _, dup := l.custs.find(c.ID); dup {
		return fmt.Errorf("badgerstore: load: a customer id is used twice")
	}
	// The identity rules first: a customer they refuse queues nothing.
	type link struct {
		hk   holderKey
		key  []byte
		next []string
	}
	links := make([]link, 0, len(c.Identifiers))
	for i, li := range c.Identifiers {
		key := l.s.identifierKey(li.Identifier)
		hk := l.holderKey(key)
		var cur []string
		if ns, ok := l.shared[hk]; ok {
			for _, n := range ns {
				cur = append(cur, l.custs.id(n))
			}
		} else if n, ok := l.single[hk]; ok {
			cur = []string{l.custs.id(n)}
		}
		// The same identifier listed twice by this customer: the first
		// listing links it.
		for _, ln := range links {
			if ln.hk == hk {
				cur = ln.next
			}
		}
		next, err := herken.LinkHolder(li.Identifier, cur, c.ID, i)
		if err != nil {
			return err
		}
		if len(next) > len(cur) {
			links = append(links, link{hk: hk, key: key, next: next})
		}
	}
	job := loadJob{c: c, history: make([]herken.Interaction, len(history)), promises: make([]herken.Promise, len(promises))}
	job.c.Tags = slices.Clone(c.Tags)
	job.c.Identifiers = slices.Clone(c.Identifiers)
	// Ids need only be unique per customer (every key holds the customer);
	// occurred keeps each interaction's time for the promises that name it.
	occurred := make(map[string]time.Time, len(history))
	for i, in := range history {
		in.CustomerID = c.ID
		if in.ID == "" {
			in.ID = herken.NewID()
		}
		if _, dup := occurred[in.ID]; dup || !herken.ValidID(in.ID) {
			return fmt.Errorf("badgerstore: load: interaction id has the wrong shape or is used twice")
		}
		occurred[in.ID] = in.OccurTime
		if in.Feedback != nil {
			fb := *in.Feedback
			in.Feedback = &fb
		}
		job.history[i] = in
	}
	seen := make(map[string]bool, len(promises))
	for i, p := range promises {
		p.CustomerID = c.ID
		if p.ID == "" {
			p.ID = herken.NewID()
		}
		if !herken.ValidID(p.ID) || seen[p.ID] {
			return fmt.Errorf("badgerstore: load: promise id has the wrong shape or is used twice")
		}
		seen[p.ID] = true
		// As CreatePromise: the interaction it was made in is the
		// customer's, and its time is kept for the integrity check.
		if p.InteractionID != "" {
			made, ok := occurred[p.InteractionID]
			if !ok {
				return fmt.Errorf("badgerstore: load: a promise names an interaction not in the customer's history")
			}
			if job.made == nil {
				job.made = make([]time.Time, len(promises))
			}
			job.made[i] = made
		}
		job.promises[i] = p
	}
	ref, err := l.takeRef()
	if err != nil {
		return err
	}
	job.ref = ref
	n := l.custs.add(c.ID)
	for _, ln := range links {
		// LinkHolder appends the customer to the holders it was given.
		if len(ln.next) == 1 {
			l.single[ln.hk] = n
		} else if first, ok := l.single[ln.hk]; ok {
			delete(l.single, ln.hk)
			l.shared[ln.hk] = []uint32{first, n}
		} else {
			l.shared[ln.hk] = append(l.shared[ln.hk], n)
		}
		if l.s.plain {
			l.iKeys[ln.hk] = string(ln.key)
		}
		l.stats.Identifiers++
	}
	l.stats.Customers++
	l.stats.Interactions += len(history)
	l.stats.Promises += len(promises)
	l.jobs <- job
	return nil
}

// run encodes the jobs until the channel closes; after an error it only
// drains them.
func (w *loadWorker) run() {
	defer w.l.wg.Done()
	var failed bool
	for job := range w.l.jobs {
		if failed {
			continue
		}
		if err := w.encode(job); err != nil {
			failed = true
			w.l.mu.Lock()
			if w.l.failed == nil {
				w.l.failed = err
			}
			w.l.mu.Unlock()
		}
	}
}

// encode queues every key and value of one customer.
func (w *loadWorker) encode(job loadJob) error {
	s, c, ref, emit := w.l.s, job.c, job.ref, w.sorter.add
	if !s.plain {
		b, _ := ref.AppendBinary(nil)
		if err := emit(keyRefKey(c.ID), b); err != nil {
			return err
		}
	}
	rec := customerRec{Customer: c}
	for _, in := range job.history {
		rec.RecordContact(in)
		rec.count++
		rec.recent = insertRecent(rec.recent, in)
		key := interactionKey(in)
		b, err := s.sealMsg(ref, c.ID, key, interactionToRecord(in))
		if err != nil {
			return err
		}
		if err := emit(key, b); err != nil {
			return err
		}
		if err := emit(interactionLocator(c.ID, in.ID), []byte(newestHex(in.OccurTime))); err != nil {
			return err
		}
		for _, k := range interactionIndexKeys(in) {
			if err := emit(k, nil); err != nil {
				return err
			}
		}
	}
	for i, p := range job.promises {
		var made time.Time
		if job.made != nil {
			made = job.made[i]
		}
		key := promiseKey(p)
		b, err := s.sealMsg(ref, c.ID, key, promiseToRecord(promiseRec{Promise: p, interactionOccur: made}))
		if err != nil {
			return err
		}
		if err := emit(key, b); err != nil {
			return err
		}
		if err := emit(promiseLocator(c.ID, p.ID), []byte(timeHex(p.DueTime))); err != nil {
			return err
		}
		if p.State == herken.PromiseOpen {
			rec.openPromises++
			for _, k := range openIndexKeys(p) {
				if err := emit(k, nil); err != nil {
					return err
				}
			}
		}
	}
	key := customerKey(c.ID)
	b, err := s.sealMsg(ref, c.ID, key, customerToRecord(rec))
	if err != nil {
		return err
	}
	if err := emit(key, b); err != nil {
		return err
	}
	for _, k := range s.customerIndexKeys(c) {
		if err := emit(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// loadIDs are the ids of the customers added, numbered in the order of
// Add, without a pointer for the collector to follow: the ids in one
// arena, and a map from a hash of the id to its number (hashes two ids
// share, in an overflow map).
type loadIDs struct {
	arena  []byte
	ends   []uint32 // ends[n]: where id n ends in arena
	byHash map[uint64]uint32
	more   map[string]uint32 // ids whose hash an earlier id has
	seed   maphash.Seed
}

func newLoadIDs() loadIDs {
	return loadIDs{byHash: make(map[uint64]uint32), more: make(map[string]uint32), seed: maphash.MakeSeed()}
}

// id is the id of customer n.
func (c *loadIDs) id(n uint32) string {
	start := uint32(0)
	if n > 0 {
		start = c.ends[n-1]
	}
	return string(c.arena[start:c.ends[n]])
}

func (c *loadIDs) find(id string) (uint32, bool) {
	n, ok := c.byHash[maphash.String(c.seed, id)]
	if !ok {
		return 0, false
	}
	if c.id(n) == id {
		return n, true
	}
	n, ok = c.more[id]
	return n, ok
}

// add numbers a new id (find said it is not there).
func (c *loadIDs) add(id string) uint32 {
	n := uint32(len(c.ends))
	c.arena = append(c.arena, id...)
	c.ends = append(c.ends, uint32(len(c.arena)))
	h := maphash.String(c.seed, id)
	if _, taken := c.byHash[h]; taken {
		c.more[id] = n
	} else {
		c.byHash[h] = n
	}
	return n
}

// holderKey is the loader's index key of the i/ key of an identifier.
func (l *Loader) holderKey(iKey []byte) holderKey {
	var hk holderKey
	name := iKey[len(prefixIndex):]
	if !l.s.plain && len(name) == 2+2*shred.IndexHashSize && name[1] == '#' {
		hk[0] = name[0]
		if _, err := hex.Decode(hk[1:], name[2:]); err == nil {
			return hk
		}
	}
	sum := sha256.Sum256(iKey)
	hk[0] = name[0]
	copy(hk[1:], sum[:])
	return hk
}

// indexKey is the i/ key a holderKey stands for.
func (l *Loader) indexKey(hk holderKey) []byte {
	if l.s.plain {
		return []byte(l.iKeys[hk])
	}
	b := make([]byte, 0, len(prefixIndex)+2+2*shred.IndexHashSize)
	b = append(b, prefixIndex...)
	b = append(b, hk[0], '#')
	return hex.AppendEncode(b, hk[1:])
}

// stopWorkers lets the workers finish what was queued and stop.
func (l *Loader) stopWorkers() error {
	if l.jobs != nil {
		close(l.jobs)
		l.wg.Wait()
		l.jobs = nil
	}
	return l.workerErr()
}

// Finish queues the identifier index, merges everything queued with what
// the store holds and writes it. The store holds the load when Finish
// returns nil, and is as it was before the load when it fails.
func (l *Loader) Finish() (LoadStats, error) {
	l.giveBackRefs()
	if l.done {
		return l.stats, errLoaderDone
	}
	l.done = true
	defer l.release()
	werr := l.stopWorkers()
	if l.err != nil {
		return l.stats, l.err
	}
	if werr != nil {
		return l.stats, werr
	}
	// The identifier index goes into the first worker's runs.
	emit := l.workers[0].sorter.add
	put := func(hk holderKey, ids []string) error {
		b, err := encodeHolders(ids)
		if err != nil {
			return err
		}
		return emit(l.indexKey(hk), b)
	}
	one := make([]string, 1)
	for hk, n := range l.single {
		one[0] = l.custs.id(n)
		if err := put(hk, one); err != nil {
			return l.stats, err
		}
	}
	for hk, ns := range l.shared {
		ids := make([]string, len(ns))
		for i, n := range ns {
			ids[i] = l.custs.id(n)
		}
		if err := put(hk, ids); err != nil {
			return l.stats, err
		}
	}
	l.single, l.shared, l.iKeys, l.custs = nil, nil, nil, loadIDs{}
	// The index is garbage now: give its memory back before the tables
	// are built, so the two do not add up.
	debug.FreeOSMemory()
	if err := l.s.space.check(); err != nil {
		return l.stats, err
	}
	// The runs still in memory are sorted side by side.
	var wg sync.WaitGroup
	errs := make([]error, len(l.workers))
	for i, w := range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = w.sorter.wait(); errs[i] == nil {
				if w.sorter.spare != nil {
					w.sorter.spare.free()
					w.sorter.spare = nil
				}
				w.sorter.cur.sort()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return l.stats, err
	}
	var srcs []bulkSource
	for _, w := range l.workers {
		for _, path := range w.sorter.runs {
			f, err := openRun(path)
			if err != nil {
				return l.stats, err
			}
			defer f.close()
			srcs = append(srcs, f)
		}
		srcs = append(srcs, &memSource{r: w.sorter.cur})
	}
	existing, err := l.s.bulkExisting()
	if err != nil {
		return l.stats, storeError(err)
	}
	if _, err := l.s.bulkWrite(existing, srcs); err != nil {
		return l.stats, storeError(err)
	}
	return l.stats, nil
}

// Cancel abandons the load: nothing of it reaches the store.
func (l *Loader) Cancel() {
	l.giveBackRefs()
	l.done = true
	l.release()
}

// release stops the workers and drops what the load holds: its runs
// (files and memory) and index.
func (l *Loader) release() {
	_ = l.stopWorkers()
	for _, w := range l.workers {
		w.sorter.close()
	}
	l.single, l.shared, l.iKeys, l.custs = nil, nil, nil, loadIDs{}
}

// giveBackRefs hands the keys allocated ahead and not given to a customer
// to the store, for its next customers: they seal nothing queued.
func (l *Loader) giveBackRefs() {
	l.s.returnRefs(l.refs...)
	l.refs = nil
}

// takeRef is the next customer's data key (the zero Ref in a plain store),
// allocating loadRefBatch at a time.
func (l *Loader) takeRef() (shred.Ref, error) {
	if l.s.plain {
		return shred.Ref{}, nil
	}
	if len(l.refs) == 0 {
		refs, err := l.s.keys.AllocN(loadRefBatch)
		if err != nil {
			return shred.Ref{}, storeError(err)
		}
		l.refs = refs
	}
	r := l.refs[len(l.refs)-1]
	l.refs = l.refs[:len(l.refs)-1]
	return r, nil
}
