package memstore

import (
	"context"

	"github.com/herken/herken"
)

// UpdateCustomer implements herken.Store. fn edits a copy; every link is
// decided before anything changes, so a refused update leaves no trace.
func (s *Store) UpdateCustomer(ctx context.Context, id string, fn func(c *herken.Customer) error, _ herken.WriteOptions) (herken.Customer, error) {
	if err := s.lock(ctx); err != nil {
		return herken.Customer{}, err
	}
	defer s.mu.Unlock()
	c, err := s.live(id)
	if err != nil {
		return herken.Customer{}, err
	}
	next := c.Customer.Clone()
	if err := fn(&next); err != nil {
		return herken.Customer{}, err
	}
	// What the customer is and what its history says are not fn's to edit.
	next.ID, next.CreateTime = c.ID, c.CreateTime
	next.LastContactTime, next.LastContactChannel = c.LastContactTime, c.LastContactChannel
	links := s.stageLinks()
	if err := links.relink(id, c.Customer, next); err != nil {
		return herken.Customer{}, err
	}
	links.commit()
	s.putCustomer(c, next)
	return next.Clone(), nil
}

// putCustomer stores next as c's record, moving c in the customer indexes.
// The identifier index is the caller's.
func (s *Store) putCustomer(c *customer, next herken.Customer) {
	s.unindexCustomer(c.Customer)
	c.Customer = next.Clone()
	s.indexCustomer(c.Customer)
}
