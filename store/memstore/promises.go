package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/herken/herken"
)

// CreatePromise implements herken.Store.
func (s *Store) CreatePromise(ctx context.Context, t herken.Target, p herken.Promise, w herken.WriteOptions) (herken.Promise, error) {
	if !herken.ValidID(p.ID) {
		return herken.Promise{}, corrupt("promise id has the wrong shape")
	}
	if err := s.lock(ctx); err != nil {
		return herken.Promise{}, err
	}
	defer s.mu.Unlock()
	if r, ok, err := s.recall(w.Idempotency); err != nil || ok {
		if err != nil {
			return herken.Promise{}, err
		}
		return s.promise(s.follow(r.customer), r.id) // under the survivor after a merge
	}
	c, err := s.target(t)
	if err != nil {
		return herken.Promise{}, err
	}
	if p.InteractionID != "" && c.interactions[p.InteractionID] == nil {
		return herken.Promise{}, herken.ErrInteractionNotFound
	}
	if _, ok := c.promiseByID[p.ID]; ok {
		return herken.Promise{}, corrupt("promise id collision")
	}
	p.CustomerID, p.CustomerDisplayName = c.ID, ""
	s.putPromise(c, nil, p)
	s.remember(w.Idempotency, c.ID, p.ID)
	return p, nil
}

// putPromise stores p as new (old nil) or in place of old, moving it in
// c's due order and in the OPEN indexes with its state, owner and due time.
func (s *Store) putPromise(c *customer, old *herken.Promise, p herken.Promise) {
	if old == nil {
		rec := p
		c.promises = insertSorted(c.promises, &rec, herken.ByDue)
		c.promiseByID[p.ID] = &rec
		s.indexOpen(p)
		return
	}
	s.unindexOpen(*old)
	if !old.DueTime.Equal(p.DueTime) {
		c.promises = removeSorted(c.promises, *old, herken.ByDue)
		*old = p
		c.promises = insertSorted(c.promises, old, herken.ByDue)
	} else {
		*old = p
	}
	s.indexOpen(p)
}

// promise returns a copy of one stored promise, ErrPromiseNotFound, or
// ErrCustomerErased (customerOf). Callers hold the lock.
func (s *Store) promise(customerID, promiseID string) (herken.Promise, error) {
	c, err := s.customerOf(customerID, herken.ErrPromiseNotFound)
	if err != nil {
		return herken.Promise{}, err
	}
	if p, ok := c.promiseByID[promiseID]; ok {
		return *p, nil
	}
	return herken.Promise{}, herken.ErrPromiseNotFound
}

// customerOf is live for the paths that address one record of a customer
// (a promise, an interaction): an id that never named a customer reads as
// the record missing (ErrPromiseNotFound...), as it always did. A merged
// name is ErrCustomerNotFound, as everywhere: the Service resolves names
// first and, when a merge lands between its Resolve and the call, that
// error is what tells it to resolve again (followMerges).
func (s *Store) customerOf(customerID string, missing error) (*customer, error) {
	if !s.known(customerID) {
		return nil, missing
	}
	return s.live(customerID)
}

// GetPromise implements herken.Store.
func (s *Store) GetPromise(ctx context.Context, customerID, promiseID string) (herken.Promise, error) {
	if err := s.rlock(ctx); err != nil {
		return herken.Promise{}, err
	}
	defer s.mu.RUnlock()
	return s.promise(customerID, promiseID)
}

// UpdatePromise implements herken.Store. fn edits a copy.
func (s *Store) UpdatePromise(ctx context.Context, customerID, promiseID string, fn func(p *herken.Promise) error, _ herken.WriteOptions) (herken.Promise, error) {
	if err := s.lock(ctx); err != nil {
		return herken.Promise{}, err
	}
	defer s.mu.Unlock()
	c, err := s.customerOf(customerID, herken.ErrPromiseNotFound)
	if err != nil {
		return herken.Promise{}, err
	}
	if c.promiseByID[promiseID] == nil {
		return herken.Promise{}, herken.ErrPromiseNotFound
	}
	stored := c.promiseByID[promiseID]
	p := *stored
	if err := fn(&p); err != nil {
		return herken.Promise{}, err
	}
	p.ID, p.CustomerID, p.CustomerDisplayName = stored.ID, stored.CustomerID, "" // the promise's identity
	s.putPromise(c, stored, p)
	return p, nil
}

// ListPromises implements herken.Store.
func (s *Store) ListPromises(ctx context.Context, q herken.PromiseQuery) ([]herken.Promise, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	pos, asOf, resume, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	if !q.OverdueAt.IsZero() {
		// Overdue as of the first page, so every page belongs to one list.
		if resume {
			q.OverdueAt = asOf
		}
		if q.DueBefore.IsZero() || q.OverdueAt.Before(q.DueBefore) {
			q.DueBefore = q.OverdueAt
		}
		q.State = herken.PromiseOpen
	}
	if err := s.rlock(ctx); err != nil {
		return nil, "", err
	}
	defer s.mu.RUnlock()
	var (
		out  []herken.Promise
		next *entry
	)
	if q.CustomerID != "" {
		c, err := s.live(q.CustomerID)
		if err != nil {
			return nil, "", err
		}
		out, next = c.listPromises(q, pos, resume)
	} else {
		out, next = s.listOpenPromises(q, pos, resume)
	}
	if next == nil {
		return out, "", nil
	}
	return out, s.sealToken(hash, *next, q.OverdueAt), nil
}

// listPromises pages through c's promises by due time with q's filters.
func (c *customer) listPromises(q herken.PromiseQuery, pos entry, resume bool) ([]herken.Promise, *entry) {
	i := 0
	if resume {
		i, _ = slices.BinarySearchFunc(c.promises, pos, func(p *herken.Promise, pos entry) int { return promiseEntry(*p).compare(pos) })
	}
	var out []herken.Promise
	for _, p := range c.promises[i:] {
		if !q.DueBefore.IsZero() && !p.DueTime.Before(q.DueBefore) {
			break // by due time: the rest is later still
		}
		if q.State != herken.PromiseStateUnspecified && p.State != q.State || q.Owner != "" && p.Owner != q.Owner {
			continue
		}
		if len(out) == q.PageSize {
			e := promiseEntry(*p)
			return out, &e
		}
		out = append(out, *p)
	}
	return out, nil
}

// listOpenPromises pages through the OPEN promises of all customers from
// the due index (or an owner's), so the cost is the page, not the base.
func (s *Store) listOpenPromises(q herken.PromiseQuery, pos entry, resume bool) ([]herken.Promise, *entry) {
	x := s.due
	if q.Owner != "" {
		x = nil
		if o := s.owners[q.Owner]; o != nil {
			x = *o
		}
	}
	if resume {
		x = x[x.from(pos):]
	}
	var out []herken.Promise
	for _, e := range x {
		if !q.DueBefore.IsZero() && !e.at.Before(q.DueBefore) {
			break
		}
		if len(out) == q.PageSize {
			return out, &e
		}
		c := s.customers[e.customer]
		p := *c.promiseByID[e.id]
		p.CustomerDisplayName = c.DisplayName
		out = append(out, p)
	}
	return out, nil
}

// BreakOverdue implements herken.Store: it reads the due index for the
// oldest OPEN promises due before dueBefore, then breaks each under its
// own lock, with broken's re-check on the promise as stored then.
func (s *Store) BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool), _ herken.WriteOptions) (int, bool, error) {
	if err := s.rlock(ctx); err != nil {
		return 0, false, err
	}
	var refs []entry
	more := false
	for _, e := range s.due {
		if !e.at.Before(dueBefore) {
			break
		}
		if len(refs) >= limit {
			more = true
			break
		}
		refs = append(refs, e)
	}
	s.mu.RUnlock()
	n := 0
	for _, e := range refs {
		ok, err := s.breakOne(ctx, e, broken)
		if err != nil {
			return n, true, err
		}
		if ok {
			n++
		}
	}
	return n, more, nil
}

// breakOne breaks one promise if broken says so: the promise and the
// history event are stored together.
func (s *Store) breakOne(ctx context.Context, e entry, broken func(p herken.Promise) (herken.Promise, herken.Interaction, bool)) (bool, error) {
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	c, ok := s.customers[e.customer]
	if !ok || c.promiseByID[e.id] == nil {
		return false, nil // gone since the scan
	}
	stored := c.promiseByID[e.id]
	p, event, ok := broken(*stored)
	if !ok {
		return false, nil
	}
	if !herken.ValidID(event.ID) {
		return false, corrupt("interaction id has the wrong shape")
	}
	if _, dup := c.interactions[event.ID]; dup {
		return false, corrupt("interaction id collision")
	}
	p.ID, p.CustomerID, p.CustomerDisplayName = stored.ID, stored.CustomerID, ""
	s.putPromise(c, stored, p)
	s.appendTo(c, event)
	return true, nil
}
