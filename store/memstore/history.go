package memstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/herken/herken"
)

// purgeBatch is how many interactions one lock holds a purge for, so
// readers get in between batches of a large sweep.
const purgeBatch = 1000

// AppendInteraction implements herken.Store.
func (s *Store) AppendInteraction(ctx context.Context, t herken.Target, in herken.Interaction, w herken.WriteOptions) (herken.Interaction, error) {
	if !herken.ValidID(in.ID) {
		return herken.Interaction{}, corrupt("interaction id has the wrong shape")
	}
	if err := s.lock(ctx); err != nil {
		return herken.Interaction{}, err
	}
	defer s.mu.Unlock()
	if r, ok, err := s.recall(w.Idempotency); err != nil || ok {
		if err != nil {
			return herken.Interaction{}, err
		}
		// It moved with a merge since: it is under the survivor now.
		prior := s.interaction(s.follow(r.customer), r.id)
		if prior == nil {
			// Retention purged what the first call recorded.
			e := *herken.ErrInteractionNotFound
			e.Message = "the interaction this request_id recorded was purged by history retention"
			return herken.Interaction{}, &e
		}
		return prior.Clone(), nil
	}
	c, err := s.target(t)
	if err != nil {
		return herken.Interaction{}, err
	}
	if _, ok := c.interactions[in.ID]; ok {
		return herken.Interaction{}, corrupt("interaction id collision")
	}
	out := s.appendTo(c, in)
	s.remember(w.Idempotency, c.ID, out.ID)
	return out, nil
}

// appendTo adds in to c's history and the indexes and applies
// Customer.RecordContact. Every new interaction goes through here.
func (s *Store) appendTo(c *customer, in herken.Interaction) herken.Interaction {
	rec := in.Clone()
	rec.CustomerID = c.ID
	c.history = insertSorted(c.history, &rec, herken.NewestFirst)
	c.interactions[rec.ID] = &rec
	s.occurred.insert(occurEntry(rec))
	s.indexFeedback(rec)
	c.RecordContact(rec)
	return rec.Clone()
}

// interaction returns the stored interaction, nil if there is none.
func (s *Store) interaction(customerID, interactionID string) *herken.Interaction {
	if c, ok := s.customers[customerID]; ok {
		return c.interactions[interactionID]
	}
	return nil
}

// UpdateInteraction implements herken.Store. fn edits a copy; the feedback
// index follows the feedback's state.
func (s *Store) UpdateInteraction(ctx context.Context, customerID, interactionID string, fn func(in *herken.Interaction) error, _ herken.WriteOptions) (herken.Interaction, error) {
	if err := s.lock(ctx); err != nil {
		return herken.Interaction{}, err
	}
	defer s.mu.Unlock()
	c, err := s.customerOf(customerID, herken.ErrInteractionNotFound)
	if err != nil {
		return herken.Interaction{}, err
	}
	stored := c.interactions[interactionID]
	if stored == nil {
		return herken.Interaction{}, herken.ErrInteractionNotFound
	}
	in := stored.Clone()
	if err := fn(&in); err != nil {
		return herken.Interaction{}, err
	}
	// The keys of its place in history and the indexes are fixed.
	in.ID, in.CustomerID, in.OccurTime = stored.ID, stored.CustomerID, stored.OccurTime
	s.unindexFeedback(*stored)
	*stored = in.Clone() // fn may keep in's feedback
	s.indexFeedback(*stored)
	return stored.Clone(), nil
}

// ListInteractions implements herken.Store.
func (s *Store) ListInteractions(ctx context.Context, q herken.InteractionQuery) ([]herken.Interaction, string, error) {
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
	var (
		out  []herken.Interaction
		next *entry
	)
	if q.CustomerID == "" {
		if !q.UnansweredFeedback {
			return nil, "", corrupt("listing across customers without the unanswered feedback filter") // the service refuses it first
		}
		out, next, err = s.listUnanswered(q, pos, resume)
	} else {
		c, err := s.live(q.CustomerID)
		if err != nil {
			return nil, "", err
		}
		out, next = c.listHistory(q, pos, resume)
	}
	if err != nil || next == nil {
		return out, "", err
	}
	return out, s.sealToken(hash, *next, time.Time{}), nil
}

// listHistory pages through c's history, newest first, from the end of
// q's time range (or pos) to its start. It returns the position of the next
// page, nil at the end.
func (c *customer) listHistory(q herken.InteractionQuery, pos entry, resume bool) ([]herken.Interaction, *entry) {
	h := c.history
	i := 0
	switch {
	case resume:
		i, _ = slices.BinarySearchFunc(h, pos, newestFirst)
	case !q.End.IsZero():
		i = sort.Search(len(h), func(i int) bool { return h[i].OccurTime.Before(q.End) })
	}
	var out []herken.Interaction
	for ; i < len(h); i++ {
		in := h[i]
		if !q.Start.IsZero() && in.OccurTime.Before(q.Start) {
			break // newest first: the rest is older still
		}
		if !q.Matches(*in) {
			continue
		}
		if len(out) == q.PageSize {
			return out, &entry{in.OccurTime, in.CustomerID, in.ID}
		}
		out = append(out, in.Clone())
	}
	return out, nil
}

// listUnanswered pages through the feedback index, oldest submission
// first, applying q's other filters.
func (s *Store) listUnanswered(q herken.InteractionQuery, pos entry, resume bool) ([]herken.Interaction, *entry, error) {
	i := 0
	if resume {
		i = s.feedback.from(pos)
	}
	var out []herken.Interaction
	for _, e := range s.feedback[i:] {
		in := s.interaction(e.customer, e.id)
		if in == nil {
			return nil, nil, corrupt("feedback index names a missing interaction")
		}
		if !q.Matches(*in) {
			continue
		}
		if len(out) == q.PageSize {
			return out, &e, nil
		}
		out = append(out, in.Clone())
	}
	return out, nil, nil
}

// PurgeInteractions implements herken.Store: it reads the retention index
// oldest first and deletes each interaction with its index entries,
// purgeBatch per lock. Customers' last contact is kept.
func (s *Store) PurgeInteractions(ctx context.Context, cutoff time.Time, limit int, _ herken.WriteOptions) (int, bool, error) {
	n := 0
	for {
		k, more, err := s.purge(ctx, cutoff, min(purgeBatch, limit-n))
		n += k
		if err != nil || !more || n >= limit {
			return n, more, err
		}
	}
}

// purge deletes up to limit interactions that occurred before cutoff and
// reports whether older ones are left.
func (s *Store) purge(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	if err := s.lock(ctx); err != nil {
		return 0, true, err
	}
	defer s.mu.Unlock()
	n := 0
	for ; n < limit && n < len(s.occurred) && s.occurred[n].at.Before(cutoff); n++ {
		e := s.occurred[n]
		c := s.customers[e.customer]
		in := c.interactions[e.id]
		s.unindexFeedback(*in)
		c.history = removeSorted(c.history, *in, herken.NewestFirst)
		delete(c.interactions, e.id)
	}
	s.occurred = slices.Delete(s.occurred, 0, n)
	more := len(s.occurred) > 0 && s.occurred[0].at.Before(cutoff)
	return n, more, nil
}
