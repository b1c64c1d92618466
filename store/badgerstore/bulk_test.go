package badgerstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/synth"
	"github.com/herken/herken/store/storetest"
)

var bulkKey = []byte("0123456789abcdef0123456789abcdef")

// bulkCustomers are import-like customers (no history) and a few with a
// shared household line.
func bulkCustomers(n int, at time.Time) []herken.Customer {
	var out []herken.Customer
	for i := range n {
		c := importCustomer(i, at.Add(time.Duration(i)*time.Second))
		if i%50 < 3 { // three customers per fifty share a landline
			c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{
				Identifier: identity.Identifier{Kind: identity.KindPhone, Value: "+3120" + strconv.Itoa(1000000+i/50)}, LinkTime: c.CreateTime})
		}
		out = append(out, c)
	}
	return out
}

// TestBulkLoadEqualsCreate: a load that spills many runs, into an
// encrypted store on disk, gives what CreateCustomer gives, checks clean,
// and keeps doing so after an update and a reopen.
func TestBulkLoadEqualsCreate(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	customers := bulkCustomers(600, at)

	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, EncryptionKey: bulkKey})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	l, err := s.newLoader(ctx, 8<<10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		if err := l.Add(c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.stopWorkers(); err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, w := range l.workers {
		runs += len(w.sorter.runs)
	}
	if runs < 10 {
		t.Fatalf("%d runs spilled, want many", runs)
	}
	st, err := l.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != len(customers) || st.Identifiers != 3*len(customers)+3*len(customers)/50 {
		t.Fatalf("stats %+v", st)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, bulkRunDirPattern)); len(left) > 0 {
		t.Fatalf("runs left behind: %v", left)
	}

	ref, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	for _, c := range customers {
		if _, err := ref.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The tables' pages dropped from the mapping read back the same.
	bulkDropMapped(dir)
	sameAsCreated(t, s, ref, customers)
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the load:\n%s", reportText(t, rep))
	}

	// Written after the load, read back: later transactions see the loaded
	// versions and supersede them.
	update := func(st *Store, id string) {
		t.Helper()
		_, err := st.UpdateCustomer(ctx, id, func(c *herken.Customer) error {
			c.DisplayName, c.Tags, c.UpdateTime, c.Revision = "Hernoemd Persoon", []string{"nieuw"}, at.Add(48*time.Hour), c.Revision+1
			return nil
		}, herken.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	update(s, customers[7].ID)
	update(ref, customers[7].ID)
	customers[7].DisplayName = "Hernoemd Persoon"
	got, err := s.GetCustomer(ctx, customers[7].ID)
	if err != nil || got.DisplayName != "Hernoemd Persoon" || !slices.Equal(got.Tags, []string{"nieuw"}) {
		t.Fatalf("after an update: %+v %v", got, err)
	}
	created, err := s.CreateCustomer(ctx, storetest.NewCustomer("Na Laden", storetest.Phone("+31687654321")), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ref.CreateCustomer(ctx, created, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCustomer(ctx, storetest.NewCustomer("Dubbel", storetest.External(customers[3].Identifiers[2].Value)), herken.WriteOptions{}); !errors.Is(err, herken.ErrAlreadyLinked) {
		t.Fatalf("a loaded external id taken again: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(Options{Dir: dir, EncryptionKey: bulkKey}); err != nil {
		t.Fatal(err)
	}
	sameAsCreated(t, s, ref, customers)
	if _, err := s.GetCustomer(ctx, created.ID); err != nil {
		t.Fatalf("customer created after the load, after a reopen: %v", err)
	}
	update(s, customers[9].ID)
	if got, err := s.GetCustomer(ctx, customers[9].ID); err != nil || got.DisplayName != "Hernoemd Persoon" {
		t.Fatalf("update after the reopen: %+v %v", got, err)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the reopen:\n%s", reportText(t, rep))
	}
}

// sameAsCreated compares s, loaded, with ref, where the same customers
// were created one by one: every customer, every identifier's holders,
// and the lists by tag, name prefix and update time.
func sameAsCreated(t *testing.T, s, ref *Store, customers []herken.Customer) {
	t.Helper()
	ctx := context.Background()
	for _, c := range customers {
		got, err := s.GetCustomer(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.GetCustomer(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("customer %s:\nloaded  %+v\ncreated %+v", c.ID, got, want)
		}
		for _, li := range c.Identifiers {
			holders := func(st *Store) []string {
				var h []string
				_, err := st.Match(ctx, []identity.Identifier{li.Identifier}, herken.MatchOptions{}, func(hs [][]string) string {
					h = hs[0]
					return ""
				})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			if got, want := holders(s), holders(ref); !slices.Equal(got, want) || len(got) == 0 {
				t.Fatalf("holders of an identifier of %s: loaded %v, created %v", c.ID, got, want)
			}
		}
	}
	for _, q := range []herken.CustomerQuery{
		{Tag: "vip"}, {Tag: "zakelijk"}, {Tag: "nieuw"},
		{NamePrefix: "jan"}, {NamePrefix: "de"}, {NamePrefix: "yilmaz"}, {NamePrefix: "hernoemd"},
		{UpdatedSince: customers[len(customers)/2].UpdateTime},
		{Tag: "mobiel", UpdatedSince: customers[len(customers)/3].UpdateTime},
		{},
	} {
		list := func(st *Store) []string {
			var ids []string
			q := q
			q.PageSize = 97
			for {
				page, next, err := st.ListCustomers(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page {
					ids = append(ids, c.ID)
				}
				if next == "" {
					return ids
				}
				q.PageToken = next
			}
		}
		got, want := list(s), list(ref)
		if !slices.Equal(got, want) {
			t.Fatalf("ListCustomers(%+v): loaded %d customers, created %d", q, len(got), len(want))
		}
		if len(got) == 0 && q.Tag != "nieuw" && q.NamePrefix != "hernoemd" {
			t.Fatalf("ListCustomers(%+v) is empty: the test proves nothing", q)
		}
	}
}

// TestBulkLoadHistorySpilled: the benchmark's customers, with history and
// promises, through many runs: the integrity check is clean, a customer's
// history and promises read back, and the store reopens.
func TestBulkLoadHistorySpilled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.newLoader(ctx, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var all []synth.Customer
	err = synth.Generate(synth.Config{Customers: 400, Seed: 3, Now: now}, func(_ int, c synth.Customer) error {
		all = append(all, c)
		return l.Add(c.Customer, c.Interactions, c.Promises)
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.Finish()
	if err != nil || st.Customers != 400 || st.Interactions != 4000 {
		t.Fatalf("Finish: %+v %v", st, err)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the load:\n%s", reportText(t, rep))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range all[:50] {
		snap, err := s.Match(ctx, []identity.Identifier{c.Customer.Identifiers[0].Identifier}, herken.MatchOptions{HistoryLimit: 20, OpenPromiseLimit: 10},
			func([][]string) string { return c.Customer.ID })
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, p := range c.Promises {
			if p.State == herken.PromiseOpen {
				open++
			}
		}
		if len(snap.History) != len(c.Interactions) || len(snap.Promises) != open {
			t.Fatalf("customer %s: %d interactions, %d promises; want %d, %d", c.Customer.ID, len(snap.History), len(snap.Promises), len(c.Interactions), open)
		}
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check after the reopen:\n%s", reportText(t, rep))
	}
}

// TestBulkLoadRules: the identity rules as CreateCustomer applies them —
// an exclusive identifier held twice and a shareable one past the share
// limit fail the Add that breaks them, and the load with it; a customer
// id added twice fails; holders keep their link order.
func TestBulkLoadRules(t *testing.T) {
	ctx := context.Background()
	newLoad := func() (*Store, *Loader) {
		t.Helper()
		s, err := Open(Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		l, err := s.newLoader(ctx, 4<<10)
		if err != nil {
			t.Fatal(err)
		}
		return s, l
	}

	_, l := newLoad()
	if err := l.Add(storetest.NewCustomer("A", storetest.External("K-1")), nil, nil); err != nil {
		t.Fatal(err)
	}
	var ie *herken.IdentifierError
	err := l.Add(storetest.NewCustomer("B", storetest.Phone("+31612345678"), storetest.External("K-1")), nil, nil)
	if !errors.Is(err, herken.ErrAlreadyLinked) || !errors.As(err, &ie) || ie.Index != 1 {
		t.Fatalf("exclusive identifier loaded twice: %v", err)
	}
	if err := l.Add(storetest.NewCustomer("C"), nil, nil); err == nil {
		t.Fatal("Add after a failed Add succeeded")
	}
	if _, err := l.Finish(); err == nil {
		t.Fatal("Finish after a failed Add succeeded")
	}

	line := storetest.Phone("+31201234567")
	s, l := newLoad()
	var holders []string
	for i := range herken.MaxHoldersPerIdentity {
		c := storetest.NewCustomer("Gezin "+strconv.Itoa(i), line)
		holders = append(holders, c.ID)
		if err := l.Add(c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	err = l.Add(storetest.NewCustomer("Eén te veel", line), nil, nil)
	if !errors.Is(err, herken.ErrShareLimit) {
		t.Fatalf("share limit: %v", err)
	}
	l.Cancel()
	if empty, err := s.Empty(ctx); err != nil || !empty {
		t.Fatalf("a cancelled load left customers: %v %v", empty, err)
	}

	s, l = newLoad()
	for i := range herken.MaxHoldersPerIdentity {
		c := storetest.NewCustomer("Gezin "+strconv.Itoa(i), line)
		c.ID = holders[i]
		if err := l.Add(c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	dup := storetest.NewCustomer("Dubbel")
	dup.ID = holders[0]
	if err := l.Add(dup, nil, nil); err == nil {
		t.Fatal("a customer id was loaded twice")
	}
	l.Cancel()

	s, l = newLoad()
	for i := range herken.MaxHoldersPerIdentity {
		c := storetest.NewCustomer("Gezin "+strconv.Itoa(i), line)
		c.ID = holders[i]
		if err := l.Add(c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := s.Match(ctx, []identity.Identifier{line}, herken.MatchOptions{}, func(h [][]string) string { got = h[0]; return "" }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, holders) {
		t.Fatalf("holders %v, want %v in link order", got, holders)
	}
	if rep := mustCheck(t, s); !rep.OK() {
		t.Fatalf("check:\n%s", reportText(t, rep))
	}
}

// TestBulkLoadKeepsMetadata: the store's own keys (format, page-token
// secret) survive the load's StreamWriter, which drops everything first.
func TestBulkLoadKeepsMetadata(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := s.bulkExisting()
	if err != nil || len(before) < 2 {
		t.Fatalf("store keys before the load: %d %v", len(before), err)
	}
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(storetest.NewCustomer("Jan", storetest.Phone("+31612345678")), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(); err == nil {
		t.Fatal("Finish twice succeeded")
	}
	for _, kv := range before {
		var got []byte
		err := s.view(ctx, func(txn *tx) error {
			item, err := txn.Get(kv.key)
			if err != nil {
				return err
			}
			got, err = item.ValueCopy(nil)
			return err
		})
		if err != nil || string(got) != string(kv.val) {
			t.Fatalf("key %q after the load: %v", kv.key, err)
		}
	}
}

// TestBulkRunOrder: the sorted runs order keys as bytes.Compare does,
// across the inline part and beyond it.
func TestBulkRunOrder(t *testing.T) {
	keys := []string{"", "a", "a\x00", "a\x00b", "ab", "b", "s/#0123", "s/#0123/x",
		string(make([]byte, 56)), string(make([]byte, 57)), string(make([]byte, 70)),
		string(slices.Repeat([]byte("k"), 56)) + "a", string(slices.Repeat([]byte("k"), 56)) + "b",
		string(slices.Repeat([]byte("k"), 56)), string(slices.Repeat([]byte("k"), 55)), string(slices.Repeat([]byte("k"), 57)),
		string(slices.Repeat([]byte("k"), 8)), string(slices.Repeat([]byte("k"), 9)), string(slices.Repeat([]byte("k"), 7))}
	r := newBulkRun(1 << 20)
	defer r.free()
	for i := len(keys) - 1; i >= 0; i-- {
		r.add([]byte(keys[i]), []byte(strconv.Itoa(i)))
	}
	r.sort()
	want := slices.Clone(keys)
	slices.Sort(want)
	for i := range r.ents {
		e := &r.ents[i]
		if string(r.key(e)) != want[i] {
			t.Fatalf("entry %d: %q, want %q", i, r.key(e), want[i])
		}
		if j, _ := strconv.Atoi(string(r.val(e))); keys[j] != want[i] {
			t.Fatalf("entry %d has the value of %q", i, keys[j])
		}
	}
	// A value bigger than a run still goes in.
	s := newBulkSorter(t.TempDir(), 1<<10)
	defer s.close()
	if err := s.add([]byte("big"), make([]byte, 4<<10)); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := s.add([]byte("next"+strconv.Itoa(i)), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.wait(); err != nil || len(s.runs) == 0 || s.entries != 101 {
		t.Fatalf("%d runs, %d entries, %v", len(s.runs), s.entries, err)
	}
	if _, err := os.Stat(s.runs[0]); err != nil {
		t.Fatal(err)
	}
}
