package memstore

import (
	"context"
	"time"

	"github.com/herken/herken"
)

// ListCustomers is served from indexes of live customers, kept in step by
// indexCustomer and unindexCustomer on every write that changes a
// customer's tags, name or update time (create, update, merge, unmerge,
// erase). An entry's customer field stays empty: the customer's id is the
// entry's id, so a page token's position is one index entry, as elsewhere.

// byID is c's entry in the indexes ordered by id.
func byID(id string) entry { return entry{id: id} }

// byUpdate is c's entry in the indexes ordered by update time, then id.
func byUpdate(c herken.Customer) entry { return entry{at: c.UpdateTime, id: c.ID} }

// indexCustomer lists c in every customer index.
func (s *Store) indexCustomer(c herken.Customer) {
	s.all.insert(byID(c.ID))
	s.updated.insert(byUpdate(c))
	for _, t := range c.Tags {
		insertKeyed(s.tags, t, byID(c.ID))
		insertKeyed(s.tagsUpdated, t, byUpdate(c))
	}
	for _, p := range herken.NamePrefixes(c.DisplayName) {
		insertKeyed(s.names, p, byID(c.ID))
	}
}

// unindexCustomer takes c, as it was indexed, out of them.
func (s *Store) unindexCustomer(c herken.Customer) {
	s.all.remove(byID(c.ID))
	s.updated.remove(byUpdate(c))
	for _, t := range c.Tags {
		removeKeyed(s.tags, t, byID(c.ID))
		removeKeyed(s.tagsUpdated, t, byUpdate(c))
	}
	for _, p := range herken.NamePrefixes(c.DisplayName) {
		removeKeyed(s.names, p, byID(c.ID))
	}
}

// ListCustomers implements herken.Store. One index drives the list — the
// name prefix, else the tag, else the update time, else all customers by
// id — chosen so its order is q's order; q.Matches decides the other
// filters on the records it names.
func (s *Store) ListCustomers(ctx context.Context, q herken.CustomerQuery) ([]herken.Customer, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	pos, _, resume, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	if err := s.rlock(ctx); err != nil {
		return nil, "", err
	}
	defer s.mu.RUnlock()
	x := s.customerIndex(q)
	switch {
	case resume:
		x = x[x.from(pos):]
	case q.ByUpdateTime():
		// Entries at UpdatedSince come first: their id is never "".
		x = x[x.from(entry{at: q.UpdatedSince}):]
	}
	var out []herken.Customer
	for _, e := range x {
		c, ok := s.customers[e.id]
		if !ok {
			return nil, "", corrupt("customer index names a missing customer")
		}
		if !q.Matches(c.Customer) {
			continue
		}
		if len(out) == q.PageSize {
			return out, s.sealToken(hash, e, time.Time{}), nil
		}
		out = append(out, c.Customer.Clone())
	}
	return out, "", nil
}

// customerIndex is the index that drives q's list: nil when q's key names
// no customer. Callers hold the lock.
func (s *Store) customerIndex(q herken.CustomerQuery) index {
	keyed := func(m map[string]*index, key string) index {
		if x := m[key]; x != nil {
			return *x
		}
		return nil
	}
	switch {
	case q.NamePrefix != "":
		return keyed(s.names, herken.IndexedPrefix(q.NamePrefix))
	case q.Tag != "" && q.ByUpdateTime():
		return keyed(s.tagsUpdated, q.Tag)
	case q.Tag != "":
		return keyed(s.tags, q.Tag)
	case q.ByUpdateTime():
		return s.updated
	}
	return s.all
}
