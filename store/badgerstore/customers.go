package badgerstore

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// CreateCustomer implements herken.Store.
func (s *Store) CreateCustomer(ctx context.Context, c herken.Customer, idem herken.Idempotency) (herken.Customer, error) {
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
			out, err = getCustomer(txn, prior)
			return err
		}
		if _, err := txn.Get(customerKey(c.ID)); !errors.Is(err, badger.ErrKeyNotFound) {
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
		out = c
		return putRequest(txn, idem, c.ID)
	})
	return out, err
}

// link adds customerID to the holders of id, enforcing the exclusivity and
// share-limit rules. index is the identifier's position in the customer's
// identifiers, for the error's field (the service maps it back to the
// request's position).
func link(txn *badger.Txn, customerID string, id identity.Identifier, index int) error {
	hs, err := holders(txn, id)
	if err != nil {
		return err
	}
	if slices.Contains(hs, customerID) {
		return nil
	}
	field := "identifiers[" + strconv.Itoa(index) + "]"
	if len(hs) > 0 && !id.Shareable() {
		e := *herken.ErrAlreadyLinked
		e.Field = field
		e.Metadata = map[string]string{"customer": "customers/" + hs[0]}
		return &e
	}
	if len(hs) >= herken.MaxHoldersPerIdentity {
		e := *herken.ErrShareLimit
		e.Field = field
		e.Metadata = map[string]string{"limit": strconv.Itoa(herken.MaxHoldersPerIdentity)}
		return &e
	}
	return putHolders(txn, id, append(hs, customerID))
}

// GetCustomer implements herken.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (herken.Customer, error) {
	if !herken.ValidID(id) {
		return herken.Customer{}, herken.ErrCustomerNotFound
	}
	var c herken.Customer
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		c, err = getCustomer(txn, id)
		return err
	})
	return c, err
}
