package badgerstore

import (
	"context"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// Match implements herken.Store: one read transaction, one point read per
// identifier and per holder; the focus customer's recent history comes from
// the copies in its record (a prefix scan only when more is asked for), and
// its open promises from a scan of its open-promise keys and a point read
// each (skipped when the record counts none). It never touches
// another customer's keys.
func (s *Store) Match(ctx context.Context, ids []identity.Identifier, opts herken.MatchOptions, focus func([][]string) string) (herken.Snapshot, error) {
	var snap herken.Snapshot
	err := s.view(ctx, func(txn *tx) error {
		// From scratch each time: view runs this again after an erasure.
		snap = herken.Snapshot{Holders: make([][]string, len(ids)), Customers: make(map[string]herken.Customer, 1)}
		var recs map[string]customerRec
		for i, id := range ids {
			hs, err := holders(txn, id)
			if err != nil {
				return err
			}
			if len(hs) > herken.MaxHoldersPerIdentity {
				hs = hs[:herken.MaxHoldersPerIdentity]
			}
			snap.Holders[i] = hs
			for _, cid := range hs {
				if _, ok := snap.Customers[cid]; ok {
					continue
				}
				c, err := getCustomerRec(txn, cid)
				if err != nil {
					if err == herken.ErrCustomerNotFound {
						return corrupt("identifier index names a missing customer")
					}
					return err
				}
				snap.Customers[cid] = c.Customer
				if recs == nil {
					recs = make(map[string]customerRec, 1)
				}
				recs[cid] = c
			}
		}
		if focus == nil {
			return nil
		}
		if snap.Focus = focus(snap.Holders); snap.Focus == "" {
			return nil
		}
		return focusDetail(txn, recs[snap.Focus], opts, &snap)
	})
	return snap, err
}

// focusDetail fills in the history, the contact count and the open
// promises of the focus customer. The customer record's recent copies
// answer the common case — a default-sized history, few contacts a month,
// no open promises — without a single iterator; anything beyond falls back
// to scanning h/ or n/.
func focusDetail(txn *tx, c customerRec, opts herken.MatchOptions, snap *herken.Snapshot) error {
	complete := int64(len(c.recent)) == c.count // recent holds the whole history
	countable := opts.CountMax <= 0 || complete ||
		(len(c.recent) > 0 && c.recent[len(c.recent)-1].OccurTime.Before(opts.CountSince))
	if (opts.HistoryLimit <= len(c.recent) || complete) && countable {
		snap.History = c.recent[:min(opts.HistoryLimit, len(c.recent))]
		for _, in := range c.recent {
			if opts.CountMax > 0 && snap.Counted < opts.CountMax && in.Channel.IsContact() && !in.OccurTime.Before(opts.CountSince) {
				snap.Counted++
			}
		}
	} else {
		var err error
		if snap.History, snap.Counted, err = recentHistory(txn, c.ID, opts); err != nil {
			return err
		}
	}
	if c.openPromises == 0 {
		return nil
	}
	var err error
	snap.Promises, err = openPromises(txn, c.ID, opts.OpenPromiseLimit)
	return err
}

// recentHistory reads the newest opts.HistoryLimit interactions of one
// customer and counts its contacts since opts.CountSince (at most
// opts.CountMax), in one newest-first pass that stops at whichever bound is
// reached last.
func recentHistory(txn *tx, customerID string, opts herken.MatchOptions) ([]herken.Interaction, int, error) {
	if opts.HistoryLimit <= 0 && opts.CountMax <= 0 {
		return nil, 0, nil
	}
	prefix := historyPrefix(customerID)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchSize = min(max(opts.HistoryLimit, 1), 100)
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Interaction
	counted := 0
	counting := opts.CountMax > 0
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if len(out) >= opts.HistoryLimit && !counting {
			break
		}
		var in herken.Interaction
		err := it.Item().Value(func(v []byte) error {
			var derr error
			in, derr = decodeInteraction(txn, customerID, it.Item().Key(), v)
			return derr
		})
		if err != nil {
			return nil, 0, err
		}
		if len(out) < opts.HistoryLimit {
			out = append(out, in)
		}
		if counting {
			if in.OccurTime.Before(opts.CountSince) {
				counting = false // newest first: everything after is older
			} else if in.Channel.IsContact() {
				if counted++; counted >= opts.CountMax {
					counting = false
				}
			}
		}
	}
	return out, counted, nil
}

// openPromises reads up to limit OPEN promises of one customer, by due time.
func openPromises(txn *tx, customerID string, limit int) ([]herken.Promise, error) {
	if limit <= 0 {
		return nil, nil
	}
	prefix := openPrefix(customerID)
	io := badger.DefaultIteratorOptions
	io.Prefix = prefix
	io.PrefetchValues = false
	it := txn.NewIterator(io)
	defer it.Close()
	var out []herken.Promise
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
		due, pid, _ := splitTail(it.Item().Key()) // n/{customer}/{due}/{promise}
		p, err := getPromiseAt(txn, customerID, promiseKeyAt(customerID, due, pid))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
