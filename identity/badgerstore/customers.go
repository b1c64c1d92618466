package badgerstore

import (
	"context"
	"errors"
	"slices"
	"strconv"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// CreateCustomer implements identity.Store.
func (s *Store) CreateCustomer(ctx context.Context, c identity.Customer, idem identity.Idempotency) (identity.Customer, error) {
	if !identity.ValidID(c.ID) {
		return identity.Customer{}, corrupt("customer id has the wrong shape")
	}
	var out identity.Customer
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
		e := *identity.ErrAlreadyLinked
		e.Field = field
		e.Metadata = map[string]string{"customer": "customers/" + hs[0]}
		return &e
	}
	if len(hs) >= identity.MaxHoldersPerIdentity {
		e := *identity.ErrShareLimit
		e.Field = field
		e.Metadata = map[string]string{"limit": strconv.Itoa(identity.MaxHoldersPerIdentity)}
		return &e
	}
	return putHolders(txn, id, append(hs, customerID))
}

// GetCustomer implements identity.Store.
func (s *Store) GetCustomer(ctx context.Context, id string) (identity.Customer, error) {
	if !identity.ValidID(id) {
		return identity.Customer{}, identity.ErrCustomerNotFound
	}
	var c identity.Customer
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		c, err = getCustomer(txn, id)
		return err
	})
	return c, err
}
