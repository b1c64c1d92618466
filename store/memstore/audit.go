package memstore

import (
	"context"
	"fmt"
	"hash"
	"maps"
	"slices"
	"time"

	"github.com/herken/herken"
)

// The audit trail: per customer id a slice newest first (ties by id), and
// the auditAge index of every record by time, oldest first, for PurgeAudit.
// Both are keyed by the id the record names, whatever that id is now
// (live, merged, erased or never known): EraseCustomer and merges leave
// them alone.

func auditEntry(r herken.AuditRecord) entry { return entry{r.Time, r.CustomerID, r.ID} }

// AppendAudit implements herken.AuditStore in one lock. A record already
// stored (same customer, time and id: a retried batch) is skipped.
func (s *Store) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	for _, r := range recs {
		if !herken.ValidID(r.ID) || !herken.ValidID(r.CustomerID) {
			return corrupt("audit record ids have the wrong shape")
		}
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.audits == nil {
		s.audits = map[string][]herken.AuditRecord{}
	}
	for _, r := range recs {
		r.Time = r.Time.UTC() // no monotonic reading: one order for every comparison
		trail := s.audits[r.CustomerID]
		i, found := slices.BinarySearchFunc(trail, r, herken.AuditNewestFirst)
		if found {
			continue
		}
		s.audits[r.CustomerID] = slices.Insert(trail, i, r)
		s.auditAge.insert(auditEntry(r))
	}
	return nil
}

// ListAudit implements herken.AuditStore.
func (s *Store) ListAudit(ctx context.Context, q herken.AuditQuery) ([]herken.AuditRecord, string, error) {
	if q.PageSize <= 0 {
		q.PageSize = herken.DefaultPageSize
	}
	q.PageSize = min(q.PageSize, herken.MaxPageSize)
	hash := q.Fingerprint()
	pos, _, resume, err := s.openToken(q.PageToken, hash)
	if err != nil {
		return nil, "", err
	}
	if resume && pos.customer != q.CustomerID {
		return nil, "", herken.ErrPageToken
	}
	if err := s.rlock(ctx); err != nil {
		return nil, "", err
	}
	defer s.mu.RUnlock()
	trail := s.audits[q.CustomerID]
	i := 0
	if resume {
		i, _ = slices.BinarySearchFunc(trail, herken.AuditRecord{Time: pos.at, ID: pos.id}, herken.AuditNewestFirst)
	}
	end := min(i+q.PageSize, len(trail))
	out := slices.Clone(trail[i:end])
	if end == len(trail) {
		return out, "", nil
	}
	return out, s.sealToken(hash, auditEntry(trail[end]), time.Time{}), nil
}

// PurgeAudit implements herken.AuditStore: oldest first from auditAge,
// purgeBatch per lock as PurgeInteractions.
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	n := 0
	for {
		k, more, err := s.purgeAudit(ctx, cutoff, min(purgeBatch, limit-n))
		n += k
		if err != nil || !more || n >= limit {
			return n, more, err
		}
	}
}

func (s *Store) purgeAudit(ctx context.Context, cutoff time.Time, limit int) (int, bool, error) {
	if err := s.lock(ctx); err != nil {
		return 0, true, err
	}
	defer s.mu.Unlock()
	n := 0
	for ; n < limit && n < len(s.auditAge) && s.auditAge[n].at.Before(cutoff); n++ {
		e := s.auditAge[n]
		trail := s.audits[e.customer]
		if i, found := slices.BinarySearchFunc(trail, herken.AuditRecord{Time: e.at, ID: e.id}, herken.AuditNewestFirst); found {
			trail = slices.Delete(trail, i, i+1)
		}
		if len(trail) == 0 {
			delete(s.audits, e.customer)
		} else {
			s.audits[e.customer] = trail
		}
	}
	s.auditAge = slices.Delete(s.auditAge, 0, n)
	more := len(s.auditAge) > 0 && s.auditAge[0].at.Before(cutoff)
	return n, more, nil
}

// digestAudit writes the trail and its index to h (Digest).
func (s *Store) digestAudit(h hash.Hash) {
	for _, id := range slices.Sorted(maps.Keys(s.audits)) {
		fmt.Fprintf(h, "audit %q %+v\n", id, s.audits[id])
	}
	fmt.Fprintf(h, "audit-age %v\n", s.auditAge)
}
