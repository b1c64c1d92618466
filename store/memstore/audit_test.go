package memstore

import (
	"fmt"
	"slices"
	"testing"

	"github.com/herken/herken"
)

// checkAudit verifies the audit trail's invariants: every trail in order,
// without duplicates or empty slices, and the time index exactly its
// records.
func (s *Store) checkAudit() error {
	var age index
	for id, trail := range s.audits {
		if len(trail) == 0 {
			return fmt.Errorf("audit trail of %s kept empty", id)
		}
		for i, r := range trail {
			if r.CustomerID != id {
				return fmt.Errorf("audit record %s of %s kept under %s", r.ID, r.CustomerID, id)
			}
			if i > 0 && herken.AuditNewestFirst(trail[i-1], r) >= 0 {
				return fmt.Errorf("audit trail of %s out of order at %d", id, i)
			}
			age = append(age, auditEntry(r))
		}
	}
	return sameIndex("audit age", s.auditAge, age)
}

// TestCheckAuditFindsDrift: the audit invariants can fail.
func TestCheckAuditFindsDrift(t *testing.T) {
	drifts := map[string]func(s *Store){
		"age lost":    func(s *Store) { s.auditAge = s.auditAge[1:] },
		"stray entry": func(s *Store) { s.auditAge.insert(entry{epoch, "x", "y"}) },
		"order": func(s *Store) {
			for id, tr := range s.audits {
				slices.Reverse(tr)
				s.audits[id] = tr
			}
		},
	}
	for name, drift := range drifts {
		s := New(Options{})
		a := herken.NewID()
		recs := []herken.AuditRecord{
			{ID: herken.NewID(), CustomerID: a, Time: epoch, Action: herken.AuditRead},
			{ID: herken.NewID(), CustomerID: a, Time: epoch.Add(1), Action: herken.AuditChange},
		}
		if err := s.AppendAudit(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := s.checkAudit(); err != nil {
			t.Fatalf("before %s: %v", name, err)
		}
		drift(s)
		if s.checkAudit() == nil {
			t.Errorf("%s: not found", name)
		}
	}
}
