package badgerstore

import (
	"context"
	"errors"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/identity"
)

// AppendInteraction implements identity.Store.
func (s *Store) AppendInteraction(ctx context.Context, t identity.Target, in identity.Interaction, idem identity.Idempotency) (identity.Interaction, error) {
	var out identity.Interaction
	err := s.update(ctx, func(txn *badger.Txn) error {
		prior, err := checkRequest(txn, idem)
		if err != nil {
			return err
		}
		if prior != "" {
			cid, iid, _ := strings.Cut(prior, "/")
			out, err = getInteraction(txn, cid, iid)
			return err
		}
		cid, err := resolveTarget(txn, t)
		if err != nil {
			return err
		}
		c, err := getCustomer(txn, cid)
		if err != nil {
			if err == identity.ErrCustomerNotFound && t.CustomerID == "" {
				return corrupt("identifier index names a missing customer")
			}
			return err
		}
		rec := in
		rec.CustomerID = cid
		rec.ID = newInteractionID(in.OccurTime, random32())
		b, err := encodeInteraction(rec)
		if err != nil {
			return err
		}
		if err := txn.Set(historyKey(cid, rec.ID), b); err != nil {
			return err
		}
		// Only a newer contact moves "last contact": back-filled history must
		// not make an old call look like the latest one.
		if rec.OccurTime.After(c.LastContactTime) {
			c.LastContactTime, c.LastContactChannel = rec.OccurTime, rec.Channel
			if err := putCustomer(txn, c); err != nil {
				return err
			}
		}
		out = rec
		return putRequest(txn, idem, cid+"/"+rec.ID)
	})
	return out, err
}

// resolveTarget finds the customer id a write addresses.
func resolveTarget(txn *badger.Txn, t identity.Target) (string, error) {
	if t.CustomerID != "" {
		if !identity.ValidID(t.CustomerID) {
			return "", identity.ErrCustomerNotFound
		}
		return t.CustomerID, nil
	}
	hs, err := holders(txn, t.Identifier)
	if err != nil {
		return "", err
	}
	switch len(hs) {
	case 0:
		return "", identity.ErrIdentifierNotFound.WithField("identifier")
	case 1:
		return hs[0], nil
	default:
		e := identity.ErrAmbiguous.WithField("identifier")
		e.Metadata = map[string]string{"candidates": itoa(len(hs))}
		return "", e
	}
}

func getInteraction(txn *badger.Txn, customerID, id string) (identity.Interaction, error) {
	item, err := txn.Get(historyKey(customerID, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return identity.Interaction{}, corrupt("idempotency record names a missing interaction")
	}
	if err != nil {
		return identity.Interaction{}, err
	}
	var in identity.Interaction
	err = item.Value(func(v []byte) error {
		var derr error
		in, derr = decodeInteraction(v)
		return derr
	})
	return in, err
}
