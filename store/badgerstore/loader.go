package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// Loader bulk-loads customers with their history and promises through
// Badger's WriteBatch: no transactions, no conflict checks, batched commits
// — an order of magnitude faster than one transaction per record. It is for
// filling an EMPTY store that nothing else writes to meanwhile (an import,
// a benchmark), which is what makes skipping transactions safe: it checks
// the store is empty when it starts, holds the identifier index in memory
// (about 100 bytes per identifier) and writes it in Finish, after every
// record it names. A load that fails or is not finished leaves a store to
// delete, not to serve.
//
// Each customer gets its data key as CreateCustomer's do, but a batch of
// loadRefBatch keys costs one fsync of the key file (shred.AllocN), not one
// each; every key is durable before a record sealed under it is queued.
// Keys a failed or unfinished load leaves unused are destroyed by Reclaim
// at the next open.
type Loader struct {
	s       *Store
	wb      *badger.WriteBatch
	holders map[string]*loadHolders
	refs    []shred.Ref // allocated ahead, durable, not yet given out
	stats   LoadStats
	err     error
}

// loadRefBatch is how many data keys the loader allocates per fsync.
const loadRefBatch = 1024

type loadHolders struct {
	id  identity.Identifier
	ids []string
}

// LoadStats counts what a Loader wrote.
type LoadStats struct {
	Customers, Identifiers, Interactions, Promises int
}

// NewLoader starts a bulk load. The store must hold no customers, live or
// erased (the loader cannot tell an id it is given from an erased one).
func (s *Store) NewLoader(ctx context.Context) (*Loader, error) {
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
	return &Loader{s: s, wb: s.db.NewWriteBatch(), holders: make(map[string]*loadHolders)}, nil
}

// Add queues one customer (ID, times and identifiers set, as for
// CreateCustomer), its interactions (an empty ID gets herken.NewID();
// CustomerID ignored) and its promises (likewise). The customer's last contact is derived from
// the interactions. The identity rules still hold: an exclusive identifier
// held twice, or a shareable one by more than MaxHoldersPerIdentity, fails.
func (l *Loader) Add(c herken.Customer, history []herken.Interaction, promises []herken.Promise) error {
	if l.err != nil {
		return l.err
	}
	// The free-space reserve, as Store.update checks it per transaction.
	if l.err = l.s.space.check(); l.err != nil {
		return l.err
	}
	l.err = l.add(c, history, promises)
	return l.err
}

func (l *Loader) add(c herken.Customer, history []herken.Interaction, promises []herken.Promise) error {
	if !herken.ValidID(c.ID) {
		return fmt.Errorf("badgerstore: load: customer id has the wrong shape")
	}
	ref, err := l.takeRef()
	if err != nil {
		return err
	}
	if !l.s.plain {
		b, _ := ref.AppendBinary(nil)
		if err := l.wb.Set(keyRefKey(c.ID), b); err != nil {
			return err
		}
	}
	for i, li := range c.Identifiers {
		key := string(l.s.identifierKey(li.Identifier))
		h := l.holders[key]
		if h == nil {
			h = &loadHolders{id: li.Identifier}
			l.holders[key] = h
		}
		next, err := herken.LinkHolder(li.Identifier, h.ids, c.ID, i)
		if err != nil {
			return err
		}
		if len(next) > len(h.ids) {
			l.stats.Identifiers++
		}
		h.ids = next
	}
	rec := customerRec{Customer: c}
	// Ids need only be unique per customer (every key holds the customer);
	// occurred keeps each interaction's time for the promises that name it.
	occurred := make(map[string]time.Time, len(history))
	for _, in := range history {
		in.CustomerID = c.ID
		if in.ID == "" {
			in.ID = herken.NewID()
		}
		if _, dup := occurred[in.ID]; dup || !herken.ValidID(in.ID) {
			return fmt.Errorf("badgerstore: load: interaction id has the wrong shape or is used twice")
		}
		occurred[in.ID] = in.OccurTime
		rec.RecordContact(in)
		rec.count++
		rec.recent = insertRecent(rec.recent, in)
		key := interactionKey(in)
		b, err := l.s.sealMsg(ref, c.ID, key, interactionToRecord(in))
		if err != nil {
			return err
		}
		if err := l.wb.Set(key, b); err != nil {
			return err
		}
		if err := l.wb.Set(interactionLocator(c.ID, in.ID), []byte(newestHex(in.OccurTime))); err != nil {
			return err
		}
		for _, k := range interactionIndexKeys(in) {
			if err := l.wb.Set(k, nil); err != nil {
				return err
			}
		}
		l.stats.Interactions++
	}
	seen := make(map[string]bool, len(promises))
	for _, p := range promises {
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
		var made time.Time
		if p.InteractionID != "" {
			var ok bool
			if made, ok = occurred[p.InteractionID]; !ok {
				return fmt.Errorf("badgerstore: load: a promise names an interaction not in the customer's history")
			}
		}
		key := promiseKey(p)
		b, err := l.s.sealMsg(ref, c.ID, key, promiseToRecord(promiseRec{Promise: p, interactionOccur: made}))
		if err != nil {
			return err
		}
		if err := l.wb.Set(key, b); err != nil {
			return err
		}
		if err := l.wb.Set(promiseLocator(c.ID, p.ID), []byte(timeHex(p.DueTime))); err != nil {
			return err
		}
		if p.State == herken.PromiseOpen {
			rec.openPromises++
			for _, k := range openIndexKeys(p) {
				if err := l.wb.Set(k, nil); err != nil {
					return err
				}
			}
		}
		l.stats.Promises++
	}
	key := customerKey(c.ID)
	b, err := l.s.sealMsg(ref, c.ID, key, customerToRecord(rec))
	if err != nil {
		return err
	}
	if err := l.wb.Set(key, b); err != nil {
		return err
	}
	for _, k := range l.s.customerIndexKeys(c) {
		if err := l.wb.Set(k, nil); err != nil {
			return err
		}
	}
	l.stats.Customers++
	return nil
}

// Finish writes the identifier index and flushes everything to the store.
func (l *Loader) Finish() (LoadStats, error) {
	l.giveBackRefs()
	if l.err != nil {
		l.wb.Cancel()
		return l.stats, l.err
	}
	for _, h := range l.holders {
		err := l.s.space.check()
		if err == nil {
			err = l.putHolders(h.id, h.ids)
		}
		if err != nil {
			l.wb.Cancel()
			return l.stats, err
		}
	}
	l.holders = nil
	if err := l.wb.Flush(); err != nil {
		return l.stats, storeError(err)
	}
	return l.stats, nil
}

// Cancel abandons the load; what was already flushed stays.
func (l *Loader) Cancel() {
	l.giveBackRefs()
	l.wb.Cancel()
}

// giveBackRefs hands the keys allocated ahead and not given to a customer
// to the store, for its next customers: they seal nothing queued.
func (l *Loader) giveBackRefs() {
	l.s.returnRefs(l.refs...)
	l.refs = nil
}

func (l *Loader) putHolders(id identity.Identifier, ids []string) error {
	b, err := encodeHolders(ids)
	if err != nil {
		return err
	}
	return l.wb.Set(l.s.identifierKey(id), b)
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
