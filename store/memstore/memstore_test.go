package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/storetest"
)

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
)

// TestConformance runs the whole suite, and after every test checks that
// the indexes agree with the records.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herken.Store {
		s := New(Options{})
		// Registered before Run's Close, so it runs after it: the data
		// outlives Close.
		t.Cleanup(func() {
			if err := s.check(); err != nil {
				t.Errorf("after the test: %v", err)
			}
		})
		return s
	})
}

// check verifies every invariant the indexes rely on by rebuilding them
// from the records.
func (s *Store) check() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var due, occurred, feedback index
	owners := map[string]index{}
	holders := map[identity.Identifier][]string{}
	for id, c := range s.customers {
		if c.ID != id {
			return fmt.Errorf("customer %s stored under %s", c.ID, id)
		}
		for _, l := range c.Identifiers {
			holders[l.Identifier] = append(holders[l.Identifier], id)
		}
		if !slices.IsSortedFunc(c.history, func(a, b *herken.Interaction) int { return herken.NewestFirst(*a, *b) }) ||
			len(c.history) != len(c.interactions) {
			return fmt.Errorf("customer %s: history out of order or out of step with its map", id)
		}
		for _, in := range c.history {
			if c.interactions[in.ID] != in || in.CustomerID != id {
				return fmt.Errorf("customer %s: interaction %s not in its map", id, in.ID)
			}
			occurred = append(occurred, occurEntry(*in))
			if e, ok := feedbackEntry(*in); ok {
				feedback = append(feedback, e)
			}
		}
		if !slices.IsSortedFunc(c.promises, func(a, b *herken.Promise) int { return herken.ByDue(*a, *b) }) ||
			len(c.promises) != len(c.promiseByID) {
			return fmt.Errorf("customer %s: promises out of order or out of step with their map", id)
		}
		for _, p := range c.promises {
			if c.promiseByID[p.ID] != p || p.CustomerID != id {
				return fmt.Errorf("customer %s: promise %s not in its map", id, p.ID)
			}
			if p.State == herken.PromiseOpen {
				due = append(due, promiseEntry(*p))
				if p.Owner != "" {
					owners[p.Owner] = append(owners[p.Owner], promiseEntry(*p))
				}
			}
		}
	}
	for id, hs := range s.holders {
		if !slices.Equal(slices.Sorted(slices.Values(hs)), slices.Sorted(slices.Values(holders[id]))) {
			return fmt.Errorf("identifier %+v: holders %v, customers holding it %v", id, hs, holders[id])
		}
	}
	if len(s.holders) != len(holders) {
		return fmt.Errorf("%d identifiers indexed, %d held", len(s.holders), len(holders))
	}
	for name, pair := range map[string][2]index{"due": {s.due, due}, "occurred": {s.occurred, occurred}, "feedback": {s.feedback, feedback}} {
		if err := sameIndex(name, pair[0], pair[1]); err != nil {
			return err
		}
	}
	if len(s.owners) != len(owners) {
		return fmt.Errorf("%d owner indexes, %d owners", len(s.owners), len(owners))
	}
	for o, x := range owners {
		if s.owners[o] == nil {
			return fmt.Errorf("owner %s: no index", o)
		}
		if err := sameIndex("owner "+o, *s.owners[o], x); err != nil {
			return err
		}
	}
	if err := s.checkCustomerIndexes(); err != nil {
		return err
	}
	if err := s.checkNames(); err != nil {
		return err
	}
	if err := s.checkAudit(); err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, e := range s.expiry {
		keys[e.key] = true
	}
	for k := range s.requests {
		if !keys[k] {
			return fmt.Errorf("request %q never expires", k)
		}
	}
	return nil
}

// checkCustomerIndexes rebuilds ListCustomers' indexes from the records.
func (s *Store) checkCustomerIndexes() error {
	var all, updated index
	tags, tagsUpdated, names := map[string]index{}, map[string]index{}, map[string]index{}
	for id, c := range s.customers {
		all = append(all, byID(id))
		updated = append(updated, byUpdate(c.Customer))
		for _, t := range slices.Compact(slices.Sorted(slices.Values(c.Tags))) {
			tags[t] = append(tags[t], byID(id))
			tagsUpdated[t] = append(tagsUpdated[t], byUpdate(c.Customer))
		}
		for _, p := range herken.NamePrefixes(c.DisplayName) {
			names[p] = append(names[p], byID(id))
		}
	}
	if err := sameIndex("all customers", s.all, all); err != nil {
		return err
	}
	if err := sameIndex("updated", s.updated, updated); err != nil {
		return err
	}
	for name, pair := range map[string]struct {
		got  map[string]*index
		want map[string]index
	}{"tag": {s.tags, tags}, "tag by update": {s.tagsUpdated, tagsUpdated}, "name": {s.names, names}} {
		if len(pair.got) != len(pair.want) {
			return fmt.Errorf("%d %s indexes, records say %d", len(pair.got), name, len(pair.want))
		}
		for k, want := range pair.want {
			if pair.got[k] == nil {
				return fmt.Errorf("%s %q: no index", name, k)
			}
			if err := sameIndex(name+" "+k, *pair.got[k], want); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNames verifies what merges and erasures keep: a name is live,
// merged or erased, never two; merged names point flat at a live customer
// that their chain of MergeRecords leads to; aliases invert the pointers;
// mergedInto lists every record once under its survivor; nothing
// remembered names an erased customer.
func (s *Store) checkNames() error {
	for name, to := range s.merged {
		_, live := s.customers[name]
		_, erased := s.erased[name]
		if live || erased {
			return fmt.Errorf("merged name %s is also live (%v) or erased (%v)", name, live, erased)
		}
		if _, ok := s.customers[to]; !ok {
			return fmt.Errorf("merged name %s points at %s, not live", name, to)
		}
		if _, ok := s.aliases[to][name]; !ok {
			return fmt.Errorf("merged name %s missing from the aliases of %s", name, to)
		}
		x := name
		for n := 0; x != to; n++ {
			r, ok := s.records[x]
			if !ok || n > len(s.records) {
				return fmt.Errorf("merged name %s: the chain of records breaks at %s before %s", name, x, to)
			}
			x = r.SurvivorID
		}
	}
	n := 0
	for to, names := range s.aliases {
		if len(names) == 0 {
			return fmt.Errorf("empty aliases of %s", to)
		}
		for name := range names {
			if s.merged[name] != to {
				return fmt.Errorf("alias %s of %s points at %q", name, to, s.merged[name])
			}
		}
		n += len(names)
	}
	if n != len(s.merged) || len(s.records) != len(s.merged) {
		return fmt.Errorf("%d aliases, %d records, %d merged names", n, len(s.records), len(s.merged))
	}
	listed := 0
	for to, ids := range s.mergedInto {
		if len(ids) == 0 {
			return fmt.Errorf("empty merge list of %s", to)
		}
		for i, id := range ids {
			r, ok := s.records[id]
			if !ok || r.SurvivorID != to || r.Merged.ID != id || slices.Index(ids, id) != i {
				return fmt.Errorf("merge list of %s: %s has no record merging it into %s, or twice", to, id, to)
			}
			if i > 0 && r.Time.Before(s.records[ids[i-1]].Time) {
				return fmt.Errorf("merge list of %s out of order", to)
			}
		}
		listed += len(ids)
	}
	if listed != len(s.records) {
		return fmt.Errorf("%d merges listed, %d records", listed, len(s.records))
	}
	for id := range s.erased {
		if _, live := s.customers[id]; live {
			return fmt.Errorf("erased customer %s is live", id)
		}
	}
	for k, r := range s.requests {
		if _, erased := s.erased[r.customer]; erased {
			return fmt.Errorf("request %q names erased customer %s", k, r.customer)
		}
	}
	if !slices.IsSortedFunc(s.journal, func(a, b herken.Erasure) int { return a.Time.Compare(b.Time) }) {
		return fmt.Errorf("erasure journal out of order")
	}
	return nil
}

func sameIndex(name string, got, want index) error {
	slices.SortFunc(want, entry.compare)
	if !slices.IsSortedFunc(got, entry.compare) || !slices.EqualFunc(got, want, func(a, b entry) bool { return a.compare(b) == 0 }) {
		return fmt.Errorf("%s index %v, records say %v", name, got, want)
	}
	return nil
}

// TestCheckFindsDrift: the invariant check can fail.
func TestCheckFindsDrift(t *testing.T) {
	drifts := map[string]func(s *Store){
		"due":      func(s *Store) { s.due = s.due[1:] },
		"owner":    func(s *Store) { delete(s.owners, "team-a") },
		"occurred": func(s *Store) { s.occurred = append(s.occurred, entry{epoch, "x", "y"}) },
		"feedback": func(s *Store) { s.feedback = nil },
		"holders":  func(s *Store) { s.holders[storetest.Phone("+31600000000")] = []string{"x"} },
		"history": func(s *Store) {
			for _, c := range s.customers {
				slices.Reverse(c.history)
			}
		},
	}
	for name, drift := range drifts {
		s := seeded(t)
		if err := s.check(); err != nil {
			t.Fatalf("%s: before the drift: %v", name, err)
		}
		drift(s)
		if s.check() == nil {
			t.Errorf("%s: drift not found", name)
		}
	}
}

// seeded is a store with a customer, two interactions (one with
// unanswered feedback) and an OPEN promise owned by team-a.
func seeded(t *testing.T) *Store {
	t.Helper()
	s := New(Options{})
	c := storetest.NewCustomer("Jan", storetest.Phone("+31612345678"))
	if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: epoch.Add(time.Duration(i) * time.Minute)}
		if i == 1 {
			in.Feedback = &herken.Feedback{Score: 2, SubmitTime: epoch}
		}
		if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	p := storetest.NewPromise(herken.PromiseCallback, epoch, "team-a")
	if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, p, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIdempotencyExpires: a request id is remembered for its TTL by the
// store's clock, then forgotten (and its memory freed).
func TestIdempotencyExpires(t *testing.T) {
	now := epoch
	s := New(Options{Now: func() time.Time { return now }})
	idem := herken.Idempotency{Key: "req-1", Fingerprint: []byte("a"), TTL: time.Hour}
	create := func(name string) (herken.Customer, error) {
		return s.CreateCustomer(ctx, storetest.NewCustomer(name), herken.WriteOptions{Idempotency: idem})
	}
	first, err := create("Jan")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour - time.Nanosecond)
	if again, err := create("Jan"); err != nil || again.ID != first.ID {
		t.Fatalf("retry within the TTL: %+v %v", again, err)
	}
	idem.Fingerprint = []byte("b")
	if _, err := create("Piet"); !errors.Is(err, herken.ErrRequestIDReused) {
		t.Fatalf("reuse within the TTL: %v", err)
	}
	now = now.Add(time.Nanosecond)
	second, err := create("Piet")
	if err != nil || second.ID == first.ID {
		t.Fatalf("after the TTL: %+v %v, want a new customer", second, err)
	}
	// Another key's write forgets what expired.
	now = now.Add(2 * time.Hour)
	idem.Key = "req-2"
	if _, err := create("Kees"); err != nil {
		t.Fatal(err)
	}
	s.mu.RLock()
	keys := slices.Sorted(maps.Keys(s.requests))
	s.mu.RUnlock()
	if !slices.Equal(keys, []string{"req-2"}) {
		t.Fatalf("remembered %v, want only req-2", keys)
	}
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}

// TestCallbacksRunOnce: update callbacks run exactly once per call here
// (the contract allows more; a memory store never retries).
func TestCallbacksRunOnce(t *testing.T) {
	s := seeded(t)
	var c herken.Customer
	for _, x := range s.customers {
		c = x.Customer
	}
	p := s.customers[c.ID].promises[0]
	in := s.customers[c.ID].history[0]
	calls := 0
	if _, err := s.UpdatePromise(ctx, c.ID, p.ID, func(*herken.Promise) error { calls++; return nil }, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateInteraction(ctx, c.ID, in.ID, func(*herken.Interaction) error { calls++; return nil }, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.BreakOverdue(ctx, epoch.Add(time.Hour), 10, func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		calls++
		return p, herken.Interaction{}, false
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Fatalf("callbacks ran %d times, want 3", calls)
	}
}

// TestClosed: every call after Close fails with ErrUnavailable, and the
// health probe says so.
func TestClosed(t *testing.T) {
	s := seeded(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Writable(); err != nil {
		t.Fatal(err)
	}
	if empty, err := s.Empty(ctx); err != nil || empty {
		t.Fatalf("Empty = %v, %v", empty, err)
	}
	s.Close()
	calls := map[string]error{
		"Ping":     s.Ping(ctx),
		"Writable": s.Writable(),
	}
	_, calls["Empty"] = s.Empty(ctx)
	_, calls["GetCustomer"] = s.GetCustomer(ctx, "x")
	_, calls["CreateCustomer"] = s.CreateCustomer(ctx, storetest.NewCustomer("Piet"), herken.WriteOptions{})
	_, calls["Match"] = s.Match(ctx, []identity.Identifier{storetest.Phone("+31612345678")}, herken.MatchOptions{}, nil)
	_, calls["AppendInteraction"] = s.AppendInteraction(ctx, herken.Target{CustomerID: "x"}, herken.Interaction{ID: "y"}, herken.WriteOptions{})
	_, _, calls["ListInteractions"] = s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: "x"})
	_, calls["UpdateInteraction"] = s.UpdateInteraction(ctx, "x", "y", func(*herken.Interaction) error { return nil }, herken.WriteOptions{})
	_, _, calls["PurgeInteractions"] = s.PurgeInteractions(ctx, epoch, 10, herken.WriteOptions{})
	_, calls["CreatePromise"] = s.CreatePromise(ctx, herken.Target{CustomerID: "x"}, herken.Promise{ID: "y"}, herken.WriteOptions{})
	_, calls["GetPromise"] = s.GetPromise(ctx, "x", "y")
	_, calls["UpdatePromise"] = s.UpdatePromise(ctx, "x", "y", func(*herken.Promise) error { return nil }, herken.WriteOptions{})
	_, _, calls["ListPromises"] = s.ListPromises(ctx, herken.PromiseQuery{})
	_, _, calls["BreakOverdue"] = s.BreakOverdue(ctx, epoch, 10, nil, herken.WriteOptions{})
	_, calls["Digest"] = s.Digest()
	_, calls["Resolve"] = s.Resolve(ctx, "x")
	_, calls["UpdateCustomer"] = s.UpdateCustomer(ctx, "x", func(*herken.Customer) error { return nil }, herken.WriteOptions{})
	_, _, calls["ListCustomers"] = s.ListCustomers(ctx, herken.CustomerQuery{})
	_, calls["MergeCustomers"] = s.MergeCustomers(ctx, "x", "y", nil, herken.WriteOptions{})
	_, _, calls["UnmergeCustomer"] = s.UnmergeCustomer(ctx, "x", nil, herken.WriteOptions{})
	_, calls["Merges"] = s.Merges(ctx, "x")
	_, calls["EraseCustomer"] = s.EraseCustomer(ctx, "x", epoch, herken.WriteOptions{})
	_, calls["Erasures"] = s.Erasures(ctx, epoch, 10)
	for name, err := range calls {
		if !errors.Is(err, herken.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestContextDone: a cancelled context fails the call before it reads or
// writes anything.
func TestContextDone(t *testing.T) {
	s := New(Options{})
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.CreateCustomer(done, storetest.NewCustomer("Jan"), herken.WriteOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateCustomer: %v", err)
	}
	if empty, _ := s.Empty(ctx); !empty {
		t.Fatal("a cancelled create wrote")
	}
	if _, _, err := s.ListPromises(done, herken.PromiseQuery{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ListPromises: %v", err)
	}
}

// TestPageTokenIsPerStore: a token only opens in the store that issued it
// (the HMAC secret is random per store).
func TestPageTokenIsPerStore(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	var cid string
	for _, s := range []*Store{a, b} {
		c := storetest.NewCustomer("Jan")
		c.ID = "c1"
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		cid = c.ID
		for i := range 3 {
			in := herken.Interaction{ID: fmt.Sprint("i", i), Channel: herken.ChannelPhone, OccurTime: epoch.Add(time.Duration(i) * time.Minute)}
			if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: cid}, in, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q := herken.InteractionQuery{CustomerID: cid, PageSize: 1}
	_, token, err := a.ListInteractions(ctx, q)
	if err != nil || token == "" {
		t.Fatalf("first page: %q %v", token, err)
	}
	q.PageToken = token
	if _, _, err := a.ListInteractions(ctx, q); err != nil {
		t.Fatalf("own token: %v", err)
	}
	if _, _, err := b.ListInteractions(ctx, q); !errors.Is(err, herken.ErrPageToken) {
		t.Fatalf("other store's token: %v", err)
	}
}

// TestConcurrentMix runs writers, readers and sweeps at once (go test
// -race) and checks that the indexes still agree with the records.
func TestConcurrentMix(t *testing.T) {
	s := New(Options{})
	line := storetest.Phone("+31201234567")
	var ids []string
	for i := range 4 {
		c := storetest.NewCustomer(fmt.Sprint("klant ", i), line, storetest.Phone(fmt.Sprintf("+3161234567%d", i)))
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	broken := func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		if !p.Breakable(epoch) {
			return p, herken.Interaction{}, false
		}
		p.State = herken.PromiseBroken
		return p, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, OccurTime: epoch, PromiseID: p.ID}, true
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			cid := ids[w%len(ids)]
			for i := range 50 {
				at := epoch.Add(time.Duration(i-25) * time.Minute)
				in, err := s.AppendInteraction(ctx, herken.Target{CustomerID: cid}, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: at}, herken.WriteOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					_, err = s.UpdateInteraction(ctx, cid, in.ID, func(x *herken.Interaction) error {
						x.Feedback = &herken.Feedback{Score: 4, SubmitTime: at}
						return nil
					}, herken.WriteOptions{})
					if errors.Is(err, herken.ErrInteractionNotFound) {
						err = nil // another worker's purge was first
					}
				}
				if err == nil {
					_, err = s.CreatePromise(ctx, herken.Target{CustomerID: cid}, storetest.NewPromise(herken.PromiseCallback, at, fmt.Sprint("team-", i%2)), herken.WriteOptions{})
				}
				if err == nil {
					_, err = s.Match(ctx, []identity.Identifier{line}, herken.MatchOptions{HistoryLimit: 5, OpenPromiseLimit: 5}, func([][]string) string { return cid })
				}
				if err == nil {
					_, _, err = s.ListPromises(ctx, herken.PromiseQuery{State: herken.PromiseOpen, Owner: "team-1", PageSize: 3})
				}
				if err == nil && i%10 == 0 {
					_, _, err = s.BreakOverdue(ctx, epoch, 5, broken, herken.WriteOptions{})
				}
				if err == nil && i%10 == 5 {
					_, _, err = s.PurgeInteractions(ctx, epoch.Add(-20*time.Minute), 5, herken.WriteOptions{})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}
