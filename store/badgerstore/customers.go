package badgerstore

import (
	"context"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

// CreateCustomer implements herken.Store.
func (s *Store) CreateCustomer(ctx context.Context, c herken.Customer, w herken.WriteOptions) (herken.Customer, error) {
	idem := w.Idempotency
	if !herken.ValidID(c.ID) {
		return herken.Customer{}, corrupt("customer id has the wrong shape")
	}
	// The customer's data key, durable before anything sealed under it is
	// committed (sealing.go).
	ref, err := s.takeRef()
	if err != nil {
		return herken.Customer{}, storeError(err)
	}
	var out herken.Customer
	var used, fnOK bool
	err = s.update(ctx, func(txn *tx) error {
		used = false
		err := createCustomer(txn, c, idem, ref, &used, &out)
		fnOK = err == nil
		return err
	})
	switch {
	case err == nil && used:
	case err != nil && used && fnOK:
		// The commit failed, and may have happened all the same: the key
		// is left to Reclaim, which knows from x/ whether it is in use.
	default:
		s.returnRefs(ref) // nothing sealed under it was committed
	}
	return out, err
}

// createCustomer is CreateCustomer's transaction; used tells whether it
// gave ref to the customer.
func createCustomer(txn *tx, c herken.Customer, idem herken.Idempotency, ref shred.Ref, used *bool, out *herken.Customer) error {
	prior, err := checkRequest(txn, idem)
	if err != nil {
		return err
	}
	if prior != "" {
		// A customer merged away since answers with its survivor.
		live, err := liveCustomerRec(txn, followName(txn, prior))
		*out = live.Customer
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
	if !txn.s.plain {
		if err := txn.setRef(c.ID, ref); err != nil {
			return err
		}
		*used = true
	}
	if err := putCustomer(txn, customerRec{Customer: c}); err != nil {
		return err
	}
	if err := reindexCustomer(txn, nil, &c); err != nil {
		return err
	}
	*out = c
	return putRequest(txn, idem, c.ID)
}

// link adds customerID to the holders of id by herken.LinkHolder's rules;
// index is id's position in the customer's identifiers.
func link(txn *tx, customerID string, id identity.Identifier, index int) error {
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
	err := s.view(ctx, func(txn *tx) error {
		rec, err := liveCustomerRec(txn, id)
		c = rec.Customer
		return err
	})
	return c, err
}

// followName is the live customer a merged name resolves to, else id
// itself: for replaying a request whose customer was merged away since.
func followName(txn *tx, id string) string {
	if m, err := getMerge(txn, id); err == nil && herken.ValidID(id) {
		return m.target
	}
	return id
}
