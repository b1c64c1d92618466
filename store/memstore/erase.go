package memstore

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/herken/herken"
)

// EraseCustomer implements herken.Store. The customers merged into id are
// its aliases (their records were deleted when they were merged; their
// histories live under id), so erasing id's record, history and promises
// and the aliases' merge records erases them all. Nothing of them stays
// but tombstones and journal entries: ids and times.
func (s *Store) EraseCustomer(ctx context.Context, id string, at time.Time, _ herken.WriteOptions) ([]string, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	c, err := s.live(id)
	if err != nil {
		return nil, err
	}
	ids := append([]string{id}, slices.Sorted(maps.Keys(s.aliases[id]))...)

	links := s.stageLinks()
	for _, l := range c.Identifiers {
		links.unlink(l.Identifier, id) // other holders keep theirs
	}
	links.commit()
	for _, in := range c.history {
		s.unindexInteraction(*in)
	}
	for _, p := range c.promises {
		s.unindexOpen(*p)
	}
	s.unindexCustomer(c.Customer)
	delete(s.customers, id)

	gone := make(map[string]bool, len(ids))
	for _, n := range ids {
		gone[n] = true
		s.unpoint(n)
		delete(s.records, n)
		delete(s.mergedInto, n)
		s.erased[n] = struct{}{}
	}
	// Remembered requests name what they made: a retry after the erasure
	// must not find them.
	for k, r := range s.requests {
		if gone[r.customer] {
			delete(s.requests, k)
		}
	}
	// After every entry at or before at, so ties keep the order erased.
	i := sort.Search(len(s.journal), func(i int) bool { return s.journal[i].Time.After(at) })
	entries := make([]herken.Erasure, len(ids))
	for j, n := range ids {
		entries[j] = herken.Erasure{CustomerID: n, Time: at}
	}
	s.journal = slices.Insert(s.journal, i, entries...)
	return ids, nil
}

// Erasures implements herken.Store.
func (s *Store) Erasures(ctx context.Context, since time.Time, limit int) ([]herken.Erasure, error) {
	if err := s.rlock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	i := sort.Search(len(s.journal), func(i int) bool { return !s.journal[i].Time.Before(since) })
	n := min(max(limit, 0), len(s.journal)-i)
	return slices.Clone(s.journal[i : i+n]), nil
}
