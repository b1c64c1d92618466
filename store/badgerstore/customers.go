package badgerstore

import (
	"context"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// CreateCustomer implements herken.Store.
func (s *Store) CreateCustomer(ctx context.Context, c herken.Customer, w herken.WriteOptions) (herken.Customer, error) {
	idem := w.Idempotency
	if !herken.ValidID(c.ID) {
		return herken.Customer{}, corrupt("customer id has the wrong shape")
	}
	var out herken.Customer
	err := s.update(ctx, func(txn *badger.Txn) error {
		prior, err := checkRequest(txn, idem)
		if err != nil {
			return err
		}
		if prior != "" {
			// A customer merged away since answers with its survivor.
			live, err := liveCustomerRec(txn, followName(txn, prior))
			out = live.Customer
			return err
		}
		// An id names one customer for good: live, merged or erased.
		if kind, _, err := lookupName(txn, c.ID); err != nil || kind != nameUnknown {
			if err == nil {
				return corrupt("customer id collision")
			}
			return err
		}
		for i, l := range c.Identifiers {
			if err := link(txn, c.ID, l.Identifier, i); err != nil {
				return err
			}
		}
		if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
			return err
		}
		if err := reindexCustomer(txn, nil, &c); err != nil {
			return err
		}
		out = c
		return putRequest(txn, idem, c.ID)
	})
	return out, err
}

// link adds customerID to the holders of id by herken.LinkHolder's rules;
// index is id's position in the customer's identifiers.
func link(txn *badger.Txn, customerID string, id identity.Identifier, index int) error {
	hs, err := holders(txn, id)
	if err != nil {
		return err
	}
	next, err := herken.LinkHolder(id, hs, customerID, index)
	if err != nil || len(next) == len(hs) {
		return err
	}
	return putHolders(txn, id, next)
}

// GetCustomer implements herken.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (herken.Customer, error) {
	if !herken.ValidID(id) {
		return herken.Customer{}, herken.ErrCustomerNotFound
	}
	var c herken.Customer
	err := s.view(ctx, func(txn *badger.Txn) error {
		rec, err := liveCustomerRec(txn, id)
		c = rec.Customer
		return err
	})
	return c, err
}

// followName is the live customer a merged name resolves to, else id
// itself: for replaying a request whose customer was merged away since.
func followName(txn *badger.Txn, id string) string {
	if m, err := getMerge(txn, id); err == nil && herken.ValidID(id) {
		return m.target
	}
	return id
}
