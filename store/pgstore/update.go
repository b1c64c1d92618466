package pgstore

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// UpdateCustomer implements herken.Store: fn edits a copy; every link is
// decided before anything is written, so a refused update writes nothing.
func (s *Store) UpdateCustomer(ctx context.Context, id string, fn func(c *herken.Customer) error, _ herken.WriteOptions) (herken.Customer, error) {
	var out herken.Customer
	err := s.write(ctx, func(t *tx) error {
		old, err := t.live(id)
		if err != nil {
			return err
		}
		next, err := editedCustomer(old, fn)
		if err != nil {
			return callerError{err}
		}
		links := t.stageLinks()
		if err := links.relink(id, old, next); err != nil {
			return err
		}
		b := &pgx.Batch{}
		links.commit(b)
		t.putCustomer(b, &old, next)
		if err := t.send(b); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return herken.Customer{}, err
	}
	return out, nil
}

// editedCustomer runs fn on a copy of old (fn may edit the slices it is
// given in place) and puts back what fn may not change: the customer's
// identity and what its history says.
func editedCustomer(old herken.Customer, fn func(c *herken.Customer) error) (herken.Customer, error) {
	next := old
	next.Tags = slices.Clone(old.Tags)
	next.Identifiers = slices.Clone(old.Identifiers)
	if err := fn(&next); err != nil {
		return herken.Customer{}, err
	}
	next.ID, next.CreateTime = old.ID, old.CreateTime
	next.LastContactTime, next.LastContactChannel = old.LastContactTime, old.LastContactChannel
	return next, nil
}
