package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
	"github.com/herken/herken/store/storetest"
)

func storeCustomer(t *testing.T, s *Store, name string, ids ...identity.Identifier) herken.Customer {
	t.Helper()
	c, err := s.CreateCustomer(context.Background(), storetest.NewCustomer(name, ids...), herken.WriteOptions{})
	if err != nil {
		t.Fatalf("CreateCustomer %s: %v", name, err)
	}
	return c
}

// keyRefs reads every x/ entry.
func keyRefs(t *testing.T, s *Store) map[string]shred.Ref {
	t.Helper()
	out := map[string]shred.Ref{}
	err := s.testView(func(txn *tx) error {
		for _, k := range scanKeys(txn, []byte(prefixKeyRef)) {
			id := string(k[len(prefixKeyRef):])
			r, ok, err := txn.readRef(id)
			if err != nil || !ok {
				return fmt.Errorf("x/ %s: %v", id, err)
			}
			out[id] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInMemoryStoreSeals: the in-memory store seals and hashes like the
// one on disk (its keys live in memory only).
func TestInMemoryStoreSeals(t *testing.T) {
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storeCustomer(t, s, "Jan de Vries", storetest.Phone("+31612345678"))
	err = s.testView(func(txn *tx) error {
		item, err := txn.Get(customerKey(c.ID))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if _, sealed := sealedRef(v); !sealed || bytes.Contains(v, []byte("Vries")) {
			return fmt.Errorf("the customer record is not sealed: %q", v)
		}
		if len(scanKeys(txn, []byte(prefixIndex+"p:"))) != 0 || len(scanKeys(txn, []byte(prefixIndex+"p#"))) != 1 {
			return errors.New("the identifier index key is not hashed")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetCustomer(context.Background(), c.ID); err != nil || got.DisplayName != "Jan de Vries" {
		t.Fatalf("GetCustomer = %+v, %v", got, err)
	}
}

// TestEraseDestroysKeys: EraseCustomer returns only after the keys of the
// customer and of every name merged into it are destroyed, and the
// tombstones no longer hold their refs.
func TestEraseDestroysKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := storeCustomer(t, s, "Anna", storetest.Phone("+31611111111"))
	b := storeCustomer(t, s, "Bob", storetest.Phone("+31622222222"))
	keep := storeCustomer(t, s, "Kees", storetest.Phone("+31633333333"))
	if _, err := s.MergeCustomers(ctx, a.ID, b.ID, func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(sv, mg, 0, time.Now())
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	refs := keyRefs(t, s)
	if len(refs) != 3 {
		t.Fatalf("%d x/ entries, want 3 (the merged name keeps its key)", len(refs))
	}
	if _, err := s.EraseCustomer(ctx, a.ID, time.Now(), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if err := s.keys.Valid(refs[id]); !errors.Is(err, shred.ErrDestroyed) {
			t.Errorf("key of %s after the erasure: %v", id, err)
		}
	}
	if err := s.keys.Valid(refs[keep.ID]); err != nil {
		t.Errorf("key of a customer not erased: %v", err)
	}
	if left := keyRefs(t, s); len(left) != 1 {
		t.Errorf("x/ entries left: %v", left)
	}
	err = s.testView(func(txn *tx) error {
		for _, id := range []string{a.ID, b.ID} {
			item, err := txn.Get(erasedKey(id))
			if err != nil {
				return err
			}
			if item.ValueSize() != 0 {
				return fmt.Errorf("the tombstone of %s still holds its ref", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEraseCrashBeforeDestroy: a crash after the erasure committed and
// before its keys were destroyed leaves the refs in the tombstones; the
// check names it, and the next open destroys the keys before it serves.
func TestEraseCrashBeforeDestroy(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c := storeCustomer(t, s, "Anna", storetest.Phone("+31611111111"))
	ref := keyRefs(t, s)[c.ID]
	// The erasure's transaction as EraseCustomer commits it, then "crash":
	// the key is never destroyed.
	f := &checkFixture{s: s}
	f.update(t, func(txn *tx) error {
		cu, err := getCustomerRec(txn, c.ID)
		if err != nil {
			return err
		}
		if err := eraseLive(txn, cu); err != nil {
			return err
		}
		if err := txn.Delete(keyRefKey(c.ID)); err != nil {
			return err
		}
		b, _ := ref.AppendBinary(nil)
		if err := txn.Set(erasedKey(c.ID), b); err != nil {
			return err
		}
		return txn.Set(journalKey(time.Now(), c.ID), nil)
	})
	if got := kindsOf(mustCheck(t, s)); len(got) != 1 || got[0] != ProblemErasedKeyLive {
		t.Fatalf("check before reopening: %v, want [%s]", got, ProblemErasedKeyLive)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, logs := openLogged(t, dir)
	defer s.Close()
	if !strings.Contains(logs.String(), "erasures a crash interrupted") {
		t.Fatalf("open did not replay the destruction:\n%s", logs)
	}
	if err := s.keys.Valid(ref); !errors.Is(err, shred.ErrDestroyed) {
		t.Fatalf("the erased customer's key after reopening: %v", err)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after reopening:\n%s", reportText(t, rep))
	}
}

// TestOpenReclaimsUnusedKeys: keys allocated and never committed (a crash
// between Alloc and commit, or keys allocated ahead and unused at close)
// are destroyed at the next open; the keys of customers are not.
func TestOpenReclaimsUnusedKeys(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := storeCustomer(t, s, "Anna")
	b := storeCustomer(t, s, "Bob")
	orphans, err := s.keys.AllocN(3) // as a crash after Alloc would leave them
	if err != nil {
		t.Fatal(err)
	}
	if live := s.keys.Live(); live != refBatch+3 {
		t.Fatalf("%d live keys, want %d (a batch allocated ahead, and the three)", live, refBatch+3)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if live := s.keys.Live(); live != 2 {
		t.Fatalf("%d live keys after reopening, want 2", live)
	}
	for _, r := range orphans {
		if err := s.keys.Valid(r); !errors.Is(err, shred.ErrDestroyed) {
			t.Fatalf("orphan key: %v", err)
		}
	}
	for _, c := range []herken.Customer{a, b} {
		if got, err := s.GetCustomer(context.Background(), c.ID); err != nil || got.DisplayName != c.DisplayName {
			t.Fatalf("GetCustomer: %+v %v", got, err)
		}
	}
}

// TestOpenRefusesMissingKeyFile: a sealed store without its key file is
// refused, never given a new one (which could open none of its records).
func TestOpenRefusesMissingKeyFile(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	storeCustomer(t, s, "Anna")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, shred.FileName)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "key file") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open without the key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, shred.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open made a key file: %v", err)
	}
	if _, err := CheckDir(dir); err == nil || !strings.Contains(err.Error(), "key file") {
		t.Fatalf("CheckDir without the key file: %v", err)
	}
}

// TestReadRetriesAfterErasure: a read whose snapshot still has a record
// of a customer erased since meets its destroyed key, and runs again on a
// new snapshot, where the customer is gone; a key that stays gone is a
// damaged store (INTERNAL).
func TestReadRetriesAfterErasure(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storeCustomer(t, s, "Anna", storetest.Phone("+31611111111"))
	old := s.db.NewTransaction(false) // a snapshot taken before the erasure
	defer old.Discard()
	if _, err := s.EraseCustomer(ctx, c.ID, time.Now(), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = getCustomerRec(s.newTx(old), c.ID)
	if !keyGone(err) {
		t.Fatalf("reading the erased customer in the old snapshot: %v, want a destroyed key", err)
	}
	runs := 0
	err = s.view(ctx, func(txn *tx) error {
		runs++
		if runs == 1 {
			_, err := getCustomerRec(s.newTx(old), c.ID) // as if this snapshot were older
			return err
		}
		_, err := liveCustomerRec(txn, c.ID)
		return err
	})
	if runs != 2 || !errors.Is(err, herken.ErrCustomerErased) {
		t.Fatalf("view ran %d times: %v, want 2 and CUSTOMER_ERASED", runs, err)
	}
	err = s.view(ctx, func(txn *tx) error {
		_, err := getCustomerRec(s.newTx(old), c.ID)
		return err
	})
	if e, ok := herken.AsError(err); !ok || e.Code != herken.CodeInternal {
		t.Fatalf("a key that stays gone: %v, want INTERNAL", err)
	}
}

// TestCreateCustomerKeys: a create that fails gives its key back for the
// next one, and keys are allocated refBatch per fsync.
func TestCreateCustomerKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ext := storetest.External("K-1")
	storeCustomer(t, s, "Anna", ext)
	for range 3 * refBatch {
		if _, err := s.CreateCustomer(ctx, storetest.NewCustomer("Bob", ext), herken.WriteOptions{}); err == nil {
			t.Fatal("an exclusive identifier was linked twice")
		}
	}
	if n := s.keys.Len(); n != refBatch {
		t.Fatalf("%d key slots after one create and %d failed ones, want %d (one batch)", n, 3*refBatch, refBatch)
	}
	idem := herken.WriteOptions{Idempotency: herken.Idempotency{Key: "req-1", Fingerprint: []byte("x"), TTL: time.Hour}}
	first, err := s.CreateCustomer(ctx, storetest.NewCustomer("Cor"), idem)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateCustomer(ctx, storetest.NewCustomer("Cor"), idem) // a retry: its key is given back
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry: %v %v", again.ID, err)
	}
	if refs := keyRefs(t, s); len(refs) != 2 || s.keys.Len() != refBatch {
		t.Fatalf("%d x/ entries, %d slots; want 2 and %d", len(refs), s.keys.Len(), refBatch)
	}
}

// TestLoaderAllocatesKeysInBatches: the bulk loader gives every customer
// its own key, loadRefBatch per fsync, and the keys it did not use are
// destroyed at the next open.
func TestLoaderAllocatesKeysInBatches(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.NewLoader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	for i := range n {
		c := storetest.NewCustomer(fmt.Sprintf("Klant %d", i), storetest.Phone(fmt.Sprintf("+316123456%02d", i)))
		in := herken.Interaction{Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: time.Now(), Summary: "geheim gesprek"}
		if err := l.Add(c, []herken.Interaction{in}, []herken.Promise{storetest.NewPromise(herken.PromiseCallback, time.Now().Add(time.Hour), "")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	if got := s.keys.Len(); got != loadRefBatch {
		t.Fatalf("%d key slots, want one batch of %d", got, loadRefBatch)
	}
	refs := keyRefs(t, s)
	seen := map[shred.Ref]bool{}
	for _, r := range refs {
		seen[r] = true
	}
	if len(refs) != n || len(seen) != n {
		t.Fatalf("%d x/ entries with %d distinct keys, want %d", len(refs), len(seen), n)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the load:\n%s", reportText(t, rep))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if live := s.keys.Live(); live != n {
		t.Fatalf("%d live keys after reopening, want %d", live, n)
	}
}
