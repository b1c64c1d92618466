package badgerstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	badger "github.com/dgraph-io/badger/v4"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/storetest"
)

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herken.Store {
		s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		return checkedStore{s, t}
	})
}

func TestConformanceOnDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herken.Store {
		s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return checkedStore{s, t}
	})
}

// checkedStore runs the integrity check when the suite closes the store,
// so every conformance test also proves the key layout's invariants hold
// after it.
type checkedStore struct {
	*badgerstore.Store
	t *testing.T
}

func (s checkedStore) Close() error {
	rep, err := s.Check(context.Background())
	if err != nil {
		s.t.Errorf("integrity check after the test: %v", err)
	} else if !rep.OK() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		s.t.Errorf("integrity check after the test found problems:\n%s", b.String())
	}
	return s.Store.Close()
}

// TestReopen proves data and index survive a close and reopen on disk.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, SyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Jan", storetest.Phone("+31612345678"))
	if _, err := s.CreateCustomer(context.Background(), c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Digest()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, _ := s.Digest()
	if string(before) != string(after) {
		t.Fatal("digest changed across reopen")
	}
	snap, err := s.Match(context.Background(), []identity.Identifier{storetest.Phone("+31612345678")}, herken.MatchOptions{HistoryLimit: 10}, func(h [][]string) string { return h[0][0] })
	if err != nil || snap.Focus != c.ID {
		t.Fatalf("after reopen: %+v %v", snap, err)
	}
}

func TestOpenRequiresDir(t *testing.T) {
	if _, err := badgerstore.Open(badgerstore.Options{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
}

// TestMigrateV1: a format-1 store (customer records without recent copies
// and counts) opens with its summaries rebuilt and passes the check.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Jan", storetest.Phone("+31612345678"))
	if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC), Summary: "x"}
		if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Turn it into what format 1 wrote: the bare customer record.
	if err := badgerstore.DB(s).Update(func(txn *badger.Txn) error {
		b, err := proto.Marshal(&recordpb.CustomerRecord{Format: 1, Id: c.ID, DisplayName: "Jan",
			LastContactTime: time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC).UnixNano(), LastContactChannel: uint32(herken.ChannelPhone),
			Identifiers: []*recordpb.IdentifierRecord{{Kind: uint32(identity.KindPhone), Value: "+31612345678"}}})
		if err != nil {
			return err
		}
		if err := txn.Set([]byte("c/"+c.ID), b); err != nil {
			return err
		}
		if err := deleteFormat4Keys(txn); err != nil {
			return err
		}
		return txn.Set([]byte("m/format"), []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("after migration: %+v %v", rep.Problems, err)
	}
	snap, err := s.Match(ctx, []identity.Identifier{storetest.Phone("+31612345678")}, herken.MatchOptions{HistoryLimit: 10}, func(h [][]string) string { return h[0][0] })
	if err != nil || len(snap.History) != 10 {
		t.Fatalf("history after migration: %d %v", len(snap.History), err)
	}
}

// deleteFormat4Keys deletes the keys format 4 added (list indexes, request
// index): what a store of an earlier format does not have.
func deleteFormat4Keys(txn *badger.Txn) error {
	for _, prefix := range []string{"a/", "w/", "u/", "s/", "y/"} {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		var keys [][]byte
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		it.Close()
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestMigrateV3: a format-3 store (no list indexes, no request index)
// opens as format 4 with both built, passes the check and lists its
// customers by tag, name and update time; a request record keeps its
// expiry in its y/ entry.
func TestMigrateV3(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, name := range []string{"Jan de Vries", "Yılmaz", "Anna"} {
		c := storetest.NewCustomer(name, storetest.Phone(fmt.Sprintf("+3161234567%d", i)))
		c.UpdateTime = c.UpdateTime.Add(time.Duration(i) * time.Hour)
		w := herken.WriteOptions{Idempotency: herken.Idempotency{Key: fmt.Sprint("r", i), Fingerprint: []byte("f"), TTL: time.Hour}}
		if _, err := s.CreateCustomer(ctx, c, w); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if err := badgerstore.DB(s).Update(func(txn *badger.Txn) error {
		if err := deleteFormat4Keys(txn); err != nil {
			return err
		}
		return txn.Set([]byte("m/format"), []byte("3"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() || rep.Counts.RequestIndex != 3 || rep.Counts.UpdateIndex != 3 {
		t.Fatalf("after migration: %+v %+v %v", rep.Counts, rep.Problems, err)
	}
	for _, q := range []herken.CustomerQuery{{Tag: "demo"}, {NamePrefix: "yilmaz"}, {UpdatedSince: storetest.NewCustomer("x").UpdateTime.Add(time.Hour)}} {
		got, _, err := s.ListCustomers(ctx, q)
		if err != nil || len(got) == 0 {
			t.Fatalf("ListCustomers(%+v) after migration = %d, %v", q, len(got), err)
		}
	}
	err = badgerstore.DB(s).View(func(txn *badger.Txn) error {
		r, err := txn.Get([]byte("r/r0"))
		if err != nil {
			return err
		}
		y, err := txn.Get([]byte("y/" + ids[0] + "/r0"))
		if err != nil {
			return err
		}
		if r.ExpiresAt() == 0 || y.ExpiresAt() != r.ExpiresAt() {
			t.Errorf("expiry: r/ %d, y/ %d", r.ExpiresAt(), y.ExpiresAt())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRetryAfterRetention: a retried request whose interaction retention has
// purged answers INTERACTION_NOT_FOUND, not INTERNAL.
func TestRetryAfterRetention(t *testing.T) {
	ctx := context.Background()
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storetest.NewCustomer("Jan")
	if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved, OccurTime: old}
	idem := herken.Idempotency{Key: "r1", Fingerprint: []byte("f"), TTL: time.Hour}
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{Idempotency: idem}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.PurgeInteractions(ctx, old.Add(time.Hour), 10, herken.WriteOptions{}); err != nil || n != 1 {
		t.Fatalf("purge %d %v", n, err)
	}
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{Idempotency: idem})
	if e, ok := herken.AsError(err); !ok || e.Reason != herken.ReasonInteractionNotFound {
		t.Fatalf("retry after purge: %v", err)
	}
}

// TestUndecodableRecordIsInternal: a customer record that does not decode
// is INTERNAL (a corrupt record: retrying cannot help), not the retryable
// STORE_UNAVAILABLE of a store that is down.
func TestUndecodableRecordIsInternal(t *testing.T) {
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan", storetest.Phone("+31612345678")), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := badgerstore.DB(s).Update(func(txn *badger.Txn) error {
		return txn.Set([]byte("c/"+c.ID), []byte{0xff, 0xff, 0xff})
	}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetCustomer(ctx, c.ID)
	if de, ok := herken.AsError(err); !ok || de.Code != herken.CodeInternal || de.Reason != herken.ReasonInternal {
		t.Fatalf("GetCustomer of an undecodable record: %v, want INTERNAL", err)
	}
	_, err = s.Match(ctx, []identity.Identifier{storetest.Phone("+31612345678")}, herken.MatchOptions{HistoryLimit: 10},
		func(h [][]string) string { return h[0][0] })
	if de, ok := herken.AsError(err); !ok || de.Code != herken.CodeInternal {
		t.Fatalf("Match onto an undecodable record: %v, want INTERNAL", err)
	}
}

// TestWriteThroughDanglingIndex: a write addressed by an identifier whose
// index entry names a customer that does not exist is INTERNAL (the index
// is corrupt), for interactions and promises alike — not NOT_FOUND, which
// would blame the request.
func TestWriteThroughDanglingIndex(t *testing.T) {
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	phone := storetest.Phone("+31612345678")
	c, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan", phone), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := badgerstore.DB(s).Update(func(txn *badger.Txn) error { return txn.Delete([]byte("c/" + c.ID)) }); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	target := herken.Target{Identifier: phone}
	_, err = s.AppendInteraction(ctx, target, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeResolved, OccurTime: now, Summary: "x"}, herken.WriteOptions{})
	if de, ok := herken.AsError(err); !ok || de.Code != herken.CodeInternal {
		t.Errorf("AppendInteraction through a dangling index entry: %v, want INTERNAL", err)
	}
	_, err = s.CreatePromise(ctx, target, herken.Promise{ID: herken.NewID(), Kind: herken.PromiseCallback, State: herken.PromiseOpen,
		DueTime: now.Add(time.Hour), CreateTime: now, StateTime: now}, herken.WriteOptions{})
	if de, ok := herken.AsError(err); !ok || de.Code != herken.CodeInternal {
		t.Errorf("CreatePromise through a dangling index entry: %v, want INTERNAL", err)
	}
}
