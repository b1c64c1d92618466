package badgerstore

import (
	"context"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// Match implements identity.Store: one read transaction, one point read per
// identifier and per holder, and one short prefix scan for the focus
// customer's history. It never touches another customer's keys.
func (s *Store) Match(ctx context.Context, ids []identity.Identifier, historyLimit int, focus func([][]string) string) (identity.Snapshot, error) {
	snap := identity.Snapshot{Holders: make([][]string, len(ids)), Customers: make(map[string]identity.Customer, 1)}
	err := s.view(ctx, func(txn *badger.Txn) error {
		for i, id := range ids {
			hs, err := holders(txn, id)
			if err != nil {
				return err
			}
			if len(hs) > identity.MaxHoldersPerIdentity {
				hs = hs[:identity.MaxHoldersPerIdentity]
			}
			snap.Holders[i] = hs
			for _, cid := range hs {
				if _, ok := snap.Customers[cid]; ok {
					continue
				}
				c, err := getCustomer(txn, cid)
				if err != nil {
					if err == identity.ErrCustomerNotFound {
						return corrupt("identifier index names a missing customer")
					}
					return err
				}
				snap.Customers[cid] = c
			}
		}
		if focus == nil {
			return nil
		}
		if snap.Focus = focus(snap.Holders); snap.Focus == "" {
			return nil
		}
		var err error
		snap.History, err = recentHistory(txn, snap.Focus, historyLimit)
		return err
	})
	return snap, err
}

// recentHistory reads the newest limit interactions of one customer.
func recentHistory(txn *badger.Txn, customerID string, limit int) ([]identity.Interaction, error) {
	if limit <= 0 {
		return nil, nil
	}
	prefix := historyPrefix(customerID)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.PrefetchSize = min(limit, 100)
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []identity.Interaction
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
		var in identity.Interaction
		err := it.Item().Value(func(v []byte) error {
			var derr error
			in, derr = decodeInteraction(v)
			return derr
		})
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}
