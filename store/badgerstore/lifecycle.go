package badgerstore

import (
	"context"
	"errors"
	"slices"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// A customer's life after creation: what a name is (live, merged, erased),
// updates, and the list indexes every change of a customer record keeps in
// step. Merges are in merge.go, erasure in erase.go, listing in list.go.

// nameKind is what an id names.
type nameKind int

const (
	nameUnknown nameKind = iota
	nameLive             // c/{id}
	nameMerged           // g/{id}
	nameErased           // e/{id}
)

// lookupName says what id names and, for a merged name, its merge record
// (whose target is the live customer it resolves to). A live customer is
// one point read; the others two or three.
func lookupName(txn *tx, id string) (nameKind, mergeRec, error) {
	if !herken.ValidID(id) {
		return nameUnknown, mergeRec{}, nil
	}
	if ok, err := exists(txn, customerKey(id)); err != nil || ok {
		return nameLive, mergeRec{}, err
	}
	m, err := getMerge(txn, id)
	switch {
	case err == nil:
		return nameMerged, m, nil
	case !errors.Is(err, errNoMerge):
		return nameUnknown, mergeRec{}, err
	}
	if ok, err := exists(txn, erasedKey(id)); err != nil || ok {
		return nameErased, mergeRec{}, err
	}
	return nameUnknown, mergeRec{}, nil
}

// exists reports whether key is set.
func exists(txn *tx, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// missingCustomer is the error for an id that is not a live customer:
// ErrCustomerErased for an erased one, ErrCustomerNotFound otherwise (a
// merged name included: callers Resolve first).
func missingCustomer(txn *tx, id string) error {
	if herken.ValidID(id) {
		if erased, err := exists(txn, erasedKey(id)); err != nil || erased {
			if err != nil {
				return err
			}
			return herken.ErrCustomerErased
		}
	}
	return herken.ErrCustomerNotFound
}

// liveCustomerRec reads the live customer id; missingCustomer's errors
// when there is none.
func liveCustomerRec(txn *tx, id string) (customerRec, error) {
	if !herken.ValidID(id) {
		return customerRec{}, herken.ErrCustomerNotFound
	}
	c, err := getCustomerRec(txn, id)
	if errors.Is(err, herken.ErrCustomerNotFound) {
		return c, missingCustomer(txn, id)
	}
	return c, err
}

// notLiveOr turns notFound (a promise or interaction that is not there)
// into the reason when customerID is not live: ErrCustomerErased for an
// erased customer, ErrCustomerNotFound for a merged name (what it had moved
// to its survivor). For an id that names nothing it stays notFound.
func notLiveOr(txn *tx, customerID string, notFound error) error {
	if !errors.Is(notFound, herken.ErrPromiseNotFound) && !errors.Is(notFound, herken.ErrInteractionNotFound) {
		return notFound
	}
	kind, _, err := lookupName(txn, customerID)
	switch {
	case err != nil:
		return err
	case kind == nameErased:
		return herken.ErrCustomerErased
	case kind == nameMerged:
		return herken.ErrCustomerNotFound
	}
	return notFound
}

// Resolve implements herken.Store: one read for a live customer, two for a
// merged name (its merge record holds the flat target), three for an
// erased or unknown one.
func (s *Store) Resolve(ctx context.Context, id string) (string, error) {
	var out string
	err := s.view(ctx, func(txn *tx) error {
		kind, m, err := lookupName(txn, id)
		if err != nil {
			return err
		}
		switch kind {
		case nameLive:
			out = id
		case nameMerged:
			out = m.target
		case nameErased:
			return herken.ErrCustomerErased
		default:
			return herken.ErrCustomerNotFound
		}
		return nil
	})
	return out, err
}

// UpdateCustomer implements herken.Store.
func (s *Store) UpdateCustomer(ctx context.Context, id string, fn func(c *herken.Customer) error, _ herken.WriteOptions) (herken.Customer, error) {
	var out herken.Customer
	err := s.update(ctx, func(txn *tx) error {
		old, err := liveCustomerRec(txn, id)
		if err != nil {
			return err
		}
		c := old.Customer.Clone() // fn must not reach the stored copy
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.CreateTime = old.ID, old.CreateTime
		c.LastContactTime, c.LastContactChannel = old.LastContactTime, old.LastContactChannel
		if err := relink(txn, id, old.Identifiers, c.Identifiers); err != nil {
			return err
		}
		if err := reindexCustomer(txn, &old.Customer, &c); err != nil {
			return err
		}
		rec := old
		rec.Customer = c
		if err := putCustomer(txn, rec); err != nil {
			return err
		}
		out = c.Clone()
		return nil
	})
	return out, err
}

// relink brings the identifier index of customerID from the identifiers
// it held (before) to those it holds now (after): every one that is gone
// is unlinked, every new one linked through herken.LinkHolder (index: its
// position in after). Unlinking comes first, so that a customer may drop
// one identifier and take another in the same change.
func relink(txn *tx, customerID string, before, after []herken.LinkedIdentifier) error {
	for _, l := range before {
		if !holds(after, l.Identifier) {
			if err := unlink(txn, customerID, l.Identifier); err != nil {
				return err
			}
		}
	}
	for i, l := range after {
		if !holds(before, l.Identifier) {
			if err := link(txn, customerID, l.Identifier, i); err != nil {
				return err
			}
		}
	}
	return nil
}

func holds(ls []herken.LinkedIdentifier, id identity.Identifier) bool {
	return slices.ContainsFunc(ls, func(l herken.LinkedIdentifier) bool { return l.Identifier == id })
}

// unlink removes customerID from the holders of id (the index entry goes
// when nobody holds it any more).
func unlink(txn *tx, customerID string, id identity.Identifier) error {
	hs, err := holders(txn, id)
	if err != nil {
		return err
	}
	i := slices.Index(hs, customerID)
	if i < 0 {
		return nil
	}
	return putHolders(txn, id, slices.Delete(slices.Clone(hs), i, i+1))
}

// reindexCustomer moves a customer's list-index entries (tags, update
// time, name prefixes) from what before implies to what after does; nil
// stands for no record (a customer created, or merged or erased away).
func reindexCustomer(txn *tx, before, after *herken.Customer) error {
	var oldKeys, newKeys [][]byte
	if before != nil {
		oldKeys = txn.s.customerIndexKeys(*before)
	}
	if after != nil {
		newKeys = txn.s.customerIndexKeys(*after)
	}
	for _, k := range oldKeys {
		if !containsKey(newKeys, k) {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range newKeys {
		if !containsKey(oldKeys, k) {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanKeys returns the keys under prefix, in order (a copy of each).
func scanKeys(txn *tx, prefix []byte) [][]byte { return firstKeys(txn, prefix, -1) }

// firstKeys returns the first limit keys under prefix (all for a negative
// limit), in order.
func firstKeys(txn *tx, prefix []byte, limit int) [][]byte {
	io := badger.DefaultIteratorOptions
	io.Prefix, io.PrefetchValues = prefix, false
	it := txn.NewIterator(io)
	defer it.Close()
	var keys [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(keys) != limit; it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}

// deleteKeys deletes every key in keys.
func deleteKeys(txn *tx, keys ...[]byte) error {
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
