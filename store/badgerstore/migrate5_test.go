package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/shred"
	"github.com/herken/herken/store/storetest"
)

// v4World is a format-4 store's content as the Store methods read it: the
// migration to format 5 must not change one answer.
type v4World struct {
	live, merged, erased []string
	idents               []identity.Identifier
}

// writeFormat4 fills a plain (format-4) store in dir through the Store
// methods: shared and exclusive identifiers, history with feedback,
// promises, idempotency records, a merge (of Bob into Anna) and an
// erasure (of Dirk).
func writeFormat4(t *testing.T, dir string) v4World {
	t.Helper()
	ctx := context.Background()
	s, err := Open(Options{Dir: dir, plain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	landline := storetest.Phone("+31201234567")
	w := v4World{idents: []identity.Identifier{landline, storetest.Phone("+31611111111"), storetest.Phone("+31622222222"),
		storetest.Email("cor@example.nl"), storetest.External("K-7")}}
	idem := func(key string) herken.WriteOptions {
		return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte(key), TTL: time.Hour}}
	}
	var ids []string
	for i, spec := range []struct {
		name string
		ids  []identity.Identifier
	}{{"Anna de Vries", []identity.Identifier{w.idents[1], landline}}, {"Bob Yılmaz", []identity.Identifier{w.idents[2], w.idents[4]}},
		{"Cor Jansen", []identity.Identifier{w.idents[3], landline}}, {"Dirk Smit", []identity.Identifier{storetest.Phone("+31633333333")}}} {
		c := storetest.NewCustomer(spec.name, spec.ids...)
		c.CreateTime, c.UpdateTime = at, at
		if _, err := s.CreateCustomer(ctx, c, idem(fmt.Sprint("req-c", i))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		for j := range 3 {
			in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
				Outcome: herken.OutcomeResolved, OccurTime: at.Add(time.Duration(10*i+j) * time.Minute), CreateTime: at,
				Agent: "agent-042", Summary: fmt.Sprintf("gesprek %d met %s", j, spec.name)}
			got, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, idem(fmt.Sprint("req-i", i, j)))
			if err != nil {
				t.Fatal(err)
			}
			if j == 1 {
				if _, err := s.UpdateInteraction(ctx, c.ID, got.ID, func(in *herken.Interaction) error {
					in.Feedback = &herken.Feedback{Score: 2, Comment: "te lang gewacht", SubmitTime: in.OccurTime}
					return nil
				}, herken.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			p := storetest.NewPromise(herken.PromiseCallback, at.Add(time.Duration(24+j)*time.Hour), "team-techniek")
			p.InteractionID = got.ID
			if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, p, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.MergeCustomers(ctx, ids[0], ids[1], func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(sv, mg, 0, at.Add(time.Hour))
	}, herken.WriteOptions{Actor: "lead-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseCustomer(ctx, ids[3], at.Add(2*time.Hour), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("the format-4 store has problems:\n%s", reportText(t, rep))
	}
	w.live, w.merged, w.erased = []string{ids[0], ids[2]}, []string{ids[1]}, []string{ids[3]}
	return w
}

// read renders what every read answers, for comparison.
func (w v4World) read(t *testing.T, s *Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, id := range append(slices.Clone(w.live), w.merged...) {
		sid, err := s.Resolve(ctx, id)
		c, err2 := s.GetCustomer(ctx, sid)
		fmt.Fprintf(&b, "customer %s -> %s %v %v: %s\n", id, sid, err, err2, showCustomer(c))
		ins, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: sid, PageSize: 100})
		for _, in := range ins {
			fmt.Fprintf(&b, "  in %s %s %q %+v\n", in.ID, in.OccurTime, in.Summary, in.Feedback)
		}
		ps, _, err3 := s.ListPromises(ctx, herken.PromiseQuery{CustomerID: sid, PageSize: 100})
		for _, p := range ps {
			fmt.Fprintf(&b, "  promise %s %s %s %q %s\n", p.ID, p.State, p.DueTime, p.Description, p.InteractionID)
		}
		ms, err4 := s.Merges(ctx, sid)
		for _, m := range ms {
			fmt.Fprintf(&b, "  merge %s into %s at %s: %s %v %v\n", m.Merged.ID, m.SurvivorID, m.Time, showCustomer(m.Merged), m.Interactions, m.Promises)
		}
		fmt.Fprintf(&b, "  errors %v %v %v\n", err, err3, err4)
	}
	for _, id := range w.erased {
		_, err := s.GetCustomer(ctx, id)
		fmt.Fprintf(&b, "erased %s: %v\n", id, err)
	}
	snap, err := s.Match(ctx, w.idents, herken.MatchOptions{HistoryLimit: 10, OpenPromiseLimit: 10}, nil)
	fmt.Fprintf(&b, "match %v %v\n", snap.Holders, err)
	for _, q := range []herken.CustomerQuery{{NamePrefix: "yilmaz"}, {NamePrefix: "de v"}, {NamePrefix: "cor"}, {Tag: "demo"}, {}} {
		cs, _, err := s.ListCustomers(ctx, q)
		fmt.Fprintf(&b, "list %+v: %v", q, err)
		for _, c := range cs {
			b.WriteString(" " + c.ID)
		}
		b.WriteString("\n")
	}
	unanswered, _, err := s.ListInteractions(ctx, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 100})
	fmt.Fprintf(&b, "unanswered %d %v\n", len(unanswered), err)
	open, _, err := s.ListPromises(ctx, herken.PromiseQuery{PageSize: 100})
	fmt.Fprintf(&b, "open %v %v\n", promiseIDs(open), err)
	er, err := s.Erasures(ctx, time.Time{}, 10)
	fmt.Fprintf(&b, "erasures %v %v\n", er, err)
	return b.String()
}

// assertSealed reads every key and value of s: every record with personal
// data is sealed, every identifier and name key hashed.
func assertSealed(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().Key()
			switch prefixOf(key) {
			case prefixCustomer, prefixMerge, prefixHistory, prefixPromise:
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				if _, ok := sealedRef(v); !ok {
					return fmt.Errorf("%s is not sealed", redactKey(key))
				}
			case prefixIndex:
				if key[3] != '#' {
					return fmt.Errorf("a readable identifier key: %s", redactKey(key))
				}
			case prefixName:
				if !bytes.HasPrefix(key, []byte(prefixName+"#")) {
					return fmt.Errorf("a readable name key: %s", redactKey(key))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFormat4 opens a format-4 store: Open gives every live and
// merged customer a key, seals every record, hashes every index key,
// stamps format 5; every read answers as before, the check is clean, and
// a second open migrates nothing.
func TestMigrateFormat4(t *testing.T) {
	dir := t.TempDir()
	w := writeFormat4(t, dir)
	plain, err := Open(Options{Dir: dir, plain: true})
	if err != nil {
		t.Fatal(err)
	}
	before := w.read(t, plain)
	if err := plain.Close(); err != nil {
		t.Fatal(err)
	}

	s, logs := openLogged(t, dir)
	if !strings.Contains(logs.String(), "migrating store format 4 to 5") || storedFormat(t, s) != currentFormat {
		t.Fatalf("Open did not migrate (format %q):\n%s", storedFormat(t, s), logs)
	}
	if after := w.read(t, s); after != before {
		t.Fatalf("reads changed by the migration\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the migration:\n%s", reportText(t, rep))
	}
	assertSealed(t, s)
	if refs := keyRefs(t, s); len(refs) != 3 || s.keys.Live() != 3 { // two live, one merged
		t.Fatalf("%d x/ entries, %d live keys; want 3 and 3", len(refs), s.keys.Live())
	}
	// A migrated customer erases like any other.
	if _, err := s.EraseCustomer(context.Background(), w.live[0], time.Now(), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.keys.Live() != 1 {
		t.Fatalf("%d live keys after erasing Anna (and Bob, merged into her), want 1", s.keys.Live())
	}
	digest, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, logs = openLogged(t, dir)
	defer s.Close()
	if strings.Contains(logs.String(), "migrat") {
		t.Fatalf("the second open migrated again:\n%s", logs)
	}
	if again, err := s.Digest(); err != nil || !bytes.Equal(again, digest) {
		t.Fatalf("the second open changed the store (%v)", err)
	}
}

// TestMigrateFormat4Resumes: a migration interrupted part-way — some
// customers given keys, some records sealed, some index keys hashed, and
// keys allocated that nothing names yet — completes on the next open, and
// the keys nothing names are destroyed.
func TestMigrateFormat4Resumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := writeFormat4(t, dir)
	plain, err := Open(Options{Dir: dir, plain: true})
	if err != nil {
		t.Fatal(err)
	}
	before := w.read(t, plain)
	if err := plain.Close(); err != nil {
		t.Fatal(err)
	}

	// The first steps of migrateV4, a batch or two each, then a "crash".
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{db: db, log: slog.New(slog.DiscardHandler)}
	if s.keys, err = shred.Create(filepath.Join(dir, shred.FileName), shred.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrateRefs(ctx, prefixCustomer); err != nil { // not yet the merged name's
		t.Fatal(err)
	}
	if n, _, err := s.migrate5Batch(ctx, prefixCustomer, nil, 1, func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error) {
		e, err := sealEntry(txn, prefixCustomer, item)
		return e, nil, err
	}); err != nil || n != 1 {
		t.Fatalf("sealing batch: %d %v", n, err)
	}
	if n, _, err := s.migrate5Batch(ctx, prefixIndex, nil, 2, func(txn *tx, item *badger.Item) (*badger.Entry, []byte, error) {
		nk, ok := s.rekeyIdentifier(item.Key())
		if !ok {
			return nil, nil, nil
		}
		v, err := item.ValueCopy(nil)
		return badger.NewEntry(nk, v), item.KeyCopy(nil), err
	}); err != nil || n != 2 {
		t.Fatalf("rekeying batch: %d %v", n, err)
	}
	orphans, err := s.keys.AllocN(4) // allocated, and the batch never committed
	if err != nil {
		t.Fatal(err)
	}
	if storedFormat(t, s) != plainFormat {
		t.Fatal("the format was stamped early")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, logs := openLogged(t, dir)
	defer s.Close()
	if !strings.Contains(logs.String(), "store migration finished") || storedFormat(t, s) != currentFormat {
		t.Fatalf("Open did not finish the migration:\n%s", logs)
	}
	if after := w.read(t, s); after != before {
		t.Fatalf("reads changed by the migration\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the migration:\n%s", reportText(t, rep))
	}
	assertSealed(t, s)
	if s.keys.Live() != 3 {
		t.Fatalf("%d live keys, want 3", s.keys.Live())
	}
	for _, r := range orphans {
		if s.keys.Valid(r) == nil {
			t.Fatal("a key the interrupted migration allocated and never used is still live")
		}
	}
}
