package badgerstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/store/storetest"
)

// loadWithHistory is a store with two customers, the first with n
// interactions of the given summary, bulk-loaded.
func loadWithHistory(t *testing.T, n int, summary string) (*Store, herken.Customer, herken.Customer) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	big := storetest.NewCustomer("Groot", storetest.Phone("+31612340001"))
	small := storetest.NewCustomer("Klein", storetest.Phone("+31612340002"))
	var hist []herken.Interaction
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		hist = append(hist, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
			Outcome: herken.OutcomeResolved, OccurTime: at.Add(time.Duration(i) * time.Minute), CreateTime: at, Agent: "agent-042", Summary: summary})
	}
	if err := l.Add(big, hist, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(small, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	return s, big, small
}

// TestTransactionLimits: merge and erase run in one transaction each, so
// a history past Badger's transaction limit is refused whole —
// RESOURCE_EXHAUSTED, nothing written — and one below it goes through.
// Measured with 100-byte summaries (merge.go, erase.go quote it): a merge
// moves up to about 8,300 interactions (5,500 at 400 bytes; sealing adds
// 41 bytes a record), an erasure deletes up to about 17,400 (bound by the
// number of writes, not bytes).
func TestTransactionLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 40,000 interactions")
	}
	ctx := context.Background()
	summary := strings.Repeat("x", 100)
	merge := func(s *Store, survivor, merged string) error {
		_, err := s.MergeCustomers(ctx, survivor, merged, func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
			return herken.PlanMerge(sv, mg, 0, time.Now())
		}, herken.WriteOptions{})
		return err
	}
	erase := func(s *Store, id string) error {
		_, err := s.EraseCustomer(ctx, id, time.Now(), herken.WriteOptions{})
		return err
	}
	refused := func(name string, s *Store, do func() error) {
		t.Helper()
		before, _ := s.Digest()
		err := do()
		if e, ok := herken.AsError(err); !ok || e.Code != herken.CodeResourceExhausted {
			t.Fatalf("%s past the limit: %v, want RESOURCE_EXHAUSTED", name, err)
		}
		if after, _ := s.Digest(); string(after) != string(before) {
			t.Fatalf("%s past the limit wrote something", name)
		}
	}
	s, big, small := loadWithHistory(t, 20000, summary)
	refused("merge", s, func() error { return merge(s, small.ID, big.ID) })
	refused("erase", s, func() error { return erase(s, big.ID) })
	s.Close()

	s, big, small = loadWithHistory(t, 5000, summary)
	defer s.Close()
	if err := merge(s, small.ID, big.ID); err != nil {
		t.Fatalf("merge of 5,000 interactions: %v", err)
	}
	if err := erase(s, small.ID); err != nil {
		t.Fatalf("erase of 5,000 interactions: %v", err)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
}
