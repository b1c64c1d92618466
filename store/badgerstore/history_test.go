package badgerstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken/store/storetest"
)

// smallTxnStore is an in-memory store whose transactions hold only a few
// dozen writes (a 64 kB memtable), for the paths that split a batch on
// badger.ErrTxnTooBig.
func smallTxnStore(t *testing.T) *Store {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).
		WithMemTableSize(64 << 10).WithValueThreshold(1 << 10).
		WithLogger(nil).WithMetricsEnabled(false))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{db: db}
	t.Cleanup(func() { s.Close() })
	if err := s.initFormat(Options{InMemory: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.loadSecret(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPurgeTxnTooBig runs a purge on a store whose transactions hold only a
// few dozen writes: every purge batch hits badger.ErrTxnTooBig, is retried
// with what fits, and the purge still deletes exactly the old interactions
// and their index entries.
func TestPurgeTxnTooBig(t *testing.T) {
	ctx := context.Background()
	s := smallTxnStore(t)
	db := s.db
	// Prove the premise: one purge batch does not fit one transaction.
	err := db.Update(func(txn *badger.Txn) error {
		for i := 0; i < 3*purgeBatch; i++ {
			if err := txn.Delete([]byte(prefixTime + "0000000000000000/0000000000000000/" + fmt.Sprintf("%024x", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != badger.ErrTxnTooBig {
		t.Fatalf("premise: %d deletes in one transaction: %v, want ErrTxnTooBig", 3*purgeBatch, err)
	}

	epoch := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	c, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan"), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const old = 2*purgeBatch + 17
	for i := 0; i <= old; i++ {
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: epoch.Add(time.Duration(i) * time.Second), Summary: "x"}
		rec, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateInteraction(ctx, c.ID, rec.ID, func(in *herken.Interaction) error {
			in.Feedback = &herken.Feedback{Score: 3, SubmitTime: in.OccurTime}
			return nil
		}, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			continue
		}
		// Every other one answered: its f/ entry must go at once.
		if _, err := s.UpdateInteraction(ctx, c.ID, rec.ID, func(in *herken.Interaction) error {
			in.Feedback.Answer, in.Feedback.AnsweredBy, in.Feedback.AnswerTime = "a", "b", in.OccurTime.Add(time.Hour)
			return nil
		}, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := countKeys(t, db)[prefixFeedback]; got != old/2+1 {
		t.Fatalf("%d f/ keys before the purge, want %d (the unanswered ones)", got, old/2+1)
	}
	// All but the newest (which occurred exactly at the cutoff).
	n, more, err := s.PurgeInteractions(ctx, epoch.Add(old*time.Second), 10*old, herken.WriteOptions{})
	if err != nil || n != old || more {
		t.Fatalf("purge: %d %v %v, want %d false", n, more, err, old)
	}
	// The newest (odd) one is left, with its unanswered feedback.
	counts := countKeys(t, db)
	for _, p := range []string{prefixHistory, prefixTime, prefixFeedback} {
		if counts[p] != 1 {
			t.Errorf("%d %s keys left, want 1 (the newest interaction)", counts[p], p)
		}
	}
}

// countKeys counts the keys under each two-byte prefix.
func countKeys(t *testing.T, db *badger.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			counts[string(it.Item().Key()[:2])]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}
