package memstore

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/storetest"
)

// create stores a new customer named name holding ids.
func create(t *testing.T, s *Store, name string, ids ...identity.Identifier) herken.Customer {
	t.Helper()
	c, err := s.CreateCustomer(ctx, storetest.NewCustomer(name, ids...), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func merge(t *testing.T, s *Store, survivor, merged string) herken.Customer {
	t.Helper()
	c, err := s.MergeCustomers(ctx, survivor, merged, func(a, b herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(a, b, 0, epoch.Add(time.Hour))
	}, herken.WriteOptions{Actor: "test"})
	if err != nil {
		t.Fatalf("merge %s into %s: %v", merged, survivor, err)
	}
	mustCheck(t, s)
	return c
}

func unmerge(s *Store, merged string) (herken.Customer, herken.Customer, error) {
	return s.UnmergeCustomer(ctx, merged, func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
		return herken.PlanUnmerge(rec, survivor, epoch.Add(2*time.Hour))
	}, herken.WriteOptions{})
}

func mustUnmerge(t *testing.T, s *Store, merged string) (herken.Customer, herken.Customer) {
	t.Helper()
	surv, m, err := unmerge(s, merged)
	if err != nil {
		t.Fatalf("unmerge %s: %v", merged, err)
	}
	mustCheck(t, s)
	return surv, m
}

func mustCheck(t *testing.T, s *Store) {
	t.Helper()
	if err := s.check(); err != nil {
		t.Fatal(err)
	}
}

// wantPointers asserts where each name resolves, both through Resolve and
// in the flat map itself (one read, never a chain).
func wantPointers(t *testing.T, s *Store, want map[string]string) {
	t.Helper()
	for name, to := range want {
		got, err := s.Resolve(ctx, name)
		if err != nil || got != to {
			t.Errorf("Resolve(%s) = %s, %v; want %s", name, got, err, to)
		}
		if name != to && s.merged[name] != to {
			t.Errorf("pointer of %s = %q, want %s (flat)", name, s.merged[name], to)
		}
	}
}

// TestMergeChainPointersStayFlat: merging a survivor away re-points every
// name merged into it; unmerging the middle of a chain re-points exactly
// the names whose chain goes through it.
func TestMergeChainPointersStayFlat(t *testing.T) {
	s := New(Options{})
	a, b, c, d, e := create(t, s, "A").ID, create(t, s, "B").ID, create(t, s, "C").ID, create(t, s, "D").ID, create(t, s, "E").ID
	merge(t, s, b, a) // a -> b
	merge(t, s, c, b) // b -> c, so a -> c
	merge(t, s, c, e) // e -> c directly
	wantPointers(t, s, map[string]string{a: c, b: c, e: c, c: c})
	merge(t, s, d, c) // every name of c now resolves to d
	wantPointers(t, s, map[string]string{a: d, b: d, c: d, e: d, d: d})

	// b's survivor c was merged away since: the error names the live one.
	if _, _, err := unmerge(s, b); !errors.Is(err, herken.ErrCustomerMerged) || err.(*herken.Error).Metadata["survivor"] != d {
		t.Fatalf("unmerge through a merged survivor: %v", err)
	}
	mustUnmerge(t, s, c) // c back: a, b, e follow it
	wantPointers(t, s, map[string]string{a: c, b: c, e: c, c: c, d: d})
	mustUnmerge(t, s, b) // b back: a (merged into b) follows, e (into c) stays
	wantPointers(t, s, map[string]string{a: b, b: b, e: c})
	if _, _, err := unmerge(s, b); !errors.Is(err, herken.ErrCustomerNotMerged) {
		t.Fatalf("unmerge twice: %v", err)
	}
	mustUnmerge(t, s, a)
	mustUnmerge(t, s, e)
	wantPointers(t, s, map[string]string{a: a, b: b, c: c, d: d, e: e})
	if len(s.merged) != 0 || len(s.aliases) != 0 || len(s.records) != 0 || len(s.mergedInto) != 0 {
		t.Fatalf("merge state left after every unmerge: %v %v %v %v", s.merged, s.aliases, s.records, s.mergedInto)
	}
}

// TestMergesListsDirectMergesInOrder: Merges lists the records of the
// direct merges, oldest first, also while the survivor is itself merged
// away (they wait for it to come back).
func TestMergesListsDirectMergesInOrder(t *testing.T) {
	s := New(Options{})
	a, b, c, d := create(t, s, "A").ID, create(t, s, "B").ID, create(t, s, "C").ID, create(t, s, "D").ID
	merge(t, s, c, a)
	merge(t, s, c, b)
	merge(t, s, d, c)
	for id, want := range map[string][]string{c: {a, b}, d: {c}, a: nil} {
		recs, err := s.Merges(ctx, id)
		var got []string
		for _, r := range recs {
			got = append(got, r.Merged.ID)
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Merges(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	mustUnmerge(t, s, c)
	mustUnmerge(t, s, a)
	if recs, err := s.Merges(ctx, c); err != nil || len(recs) != 1 || recs[0].Merged.ID != b {
		t.Fatalf("Merges after unmerging a: %+v, %v", recs, err)
	}
	if _, err := s.Merges(ctx, "onbekend"); !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("Merges of an unknown id: %v", err)
	}
}

// TestMergeMovesEverything: interactions (with feedback), promises and
// their cross-customer index entries move to the survivor, and unmerge
// brings back exactly those, leaving what the survivor got since.
func TestMergeMovesEverything(t *testing.T) {
	s := seeded(t) // Jan: two interactions (one with unanswered feedback), an OPEN promise of team-a
	var jan string
	for id := range s.customers {
		jan = id
	}
	piet := create(t, s, "Piet").ID
	merge(t, s, piet, jan)
	p := s.customers[piet]
	if len(p.history) != 3 || len(p.promises) != 1 || len(s.feedback) != 1 || s.feedback[0].customer != piet ||
		s.due[0].customer != piet || (*s.owners["team-a"])[0].customer != piet {
		t.Fatalf("after the merge: %d interactions, %d promises, feedback %v, due %v", len(p.history), len(p.promises), s.feedback, s.due)
	}
	// Written to the survivor while merged: stays there.
	late := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelEmail, OccurTime: epoch.Add(3 * time.Hour)}
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: piet}, late, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	surv, back := mustUnmerge(t, s, jan)
	if len(s.customers[jan].history) != 2 || len(s.customers[jan].promises) != 1 || len(s.customers[piet].history) != 1 {
		t.Fatalf("after the unmerge: jan %d interactions, %d promises; piet %d interactions",
			len(s.customers[jan].history), len(s.customers[jan].promises), len(s.customers[piet].history))
	}
	if !surv.LastContactTime.Equal(late.OccurTime) || surv.LastContactChannel != herken.ChannelEmail {
		t.Fatalf("survivor's last contact %v %v, want the email recorded while merged", surv.LastContactTime, surv.LastContactChannel)
	}
	if back.ID != jan || back.DisplayName != "Jan" {
		t.Fatalf("merged customer back as %+v", back)
	}
	if got := s.customers[jan].Customer; got.Revision != 1 || !slices.Equal(got.Tags, []string{"demo"}) {
		t.Fatalf("jan back as %+v", got)
	}
}

func digestOf(t *testing.T, s *Store) string {
	t.Helper()
	d, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return string(d)
}

// TestMergeKeepsLinkOrder: the survivor takes the merged customer's place
// among the other holders of a shared identifier (or the merged one drops
// out where the survivor holds it too); unmerge links the merged customer
// anew through LinkHolder, at the end.
func TestMergeKeepsLinkOrder(t *testing.T) {
	s := New(Options{})
	line, other := storetest.Phone("+31201234567"), storetest.Phone("+31207654321")
	x := create(t, s, "X", line, other).ID
	b := create(t, s, "B", line, other).ID
	y := create(t, s, "Y", line).ID
	c := create(t, s, "C", other).ID // holds other already, not line
	merge(t, s, c, b)
	if got := s.holders[line]; !slices.Equal(got, []string{x, c, y}) {
		t.Fatalf("line held by %v, want %v (c in b's place)", got, []string{x, c, y})
	}
	if got := s.holders[other]; !slices.Equal(got, []string{x, c}) {
		t.Fatalf("other held by %v, want %v (b dropped: c holds it)", got, []string{x, c})
	}
	mustUnmerge(t, s, b)
	if got := s.holders[line]; !slices.Equal(got, []string{x, y, b}) {
		t.Fatalf("line after unmerge held by %v, want %v", got, []string{x, y, b})
	}
	// Both held it: c keeps its link, b links anew (at the end).
	if got := s.holders[other]; !slices.Equal(got, []string{x, c, b}) {
		t.Fatalf("other after unmerge held by %v, want %v", got, []string{x, c, b})
	}
}

// TestMergeRefusalWritesNothing: a merge whose plan fails, or with a side
// that is not live, changes nothing.
func TestMergeRefusalWritesNothing(t *testing.T) {
	s := seeded(t)
	var jan string
	for id := range s.customers {
		jan = id
	}
	piet, kees := create(t, s, "Piet").ID, create(t, s, "Kees").ID
	merge(t, s, kees, piet)
	before := digestOf(t, s)
	boom := errors.New("boom")
	for name, try := range map[string]func() error{
		"plan fails": func() error {
			_, err := s.MergeCustomers(ctx, kees, jan, func(a, b herken.Customer) (herken.Customer, herken.Interaction, error) {
				return herken.Customer{}, herken.Interaction{}, boom
			}, herken.WriteOptions{})
			return err
		},
		"merged survivor": func() error {
			_, err := s.MergeCustomers(ctx, piet, jan, nil, herken.WriteOptions{})
			if !errors.Is(err, herken.ErrCustomerMerged) {
				return fmt.Errorf("%v, want CustomerMerged", err)
			}
			return boom
		},
		"plan adds an identifier": func() error {
			_, err := s.MergeCustomers(ctx, kees, jan, func(a, b herken.Customer) (herken.Customer, herken.Interaction, error) {
				a, ev, err := herken.PlanMerge(a, b, 0, epoch)
				a.Identifiers = append(a.Identifiers, herken.LinkedIdentifier{Identifier: storetest.Phone("+31699999999")})
				return a, ev, err
			}, herken.WriteOptions{})
			if he := (*herken.Error)(nil); !errors.As(err, &he) || he.Code != herken.CodeInternal {
				return fmt.Errorf("%v, want INTERNAL", err)
			}
			return boom
		},
	} {
		if err := try(); !errors.Is(err, boom) {
			t.Errorf("%s: %v", name, err)
		}
		if digestOf(t, s) != before {
			t.Errorf("%s: the store changed", name)
		}
	}
}

// TestUnmergeLinkConflictWritesNothing: an identifier the merged customer
// gets back, held exclusively by a third customer since, refuses the whole
// unmerge with its IdentifierError.
func TestUnmergeLinkConflictWritesNothing(t *testing.T) {
	s := New(Options{})
	mail := storetest.External("crm-1") // exclusive
	jan := create(t, s, "Jan", mail).ID
	piet := create(t, s, "Piet").ID
	merge(t, s, piet, jan)
	// The survivor drops jan's address; another customer takes it.
	if _, err := s.UpdateCustomer(ctx, piet, func(c *herken.Customer) error { c.Identifiers = nil; return nil }, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	kees := create(t, s, "Kees", mail).ID
	before := digestOf(t, s)
	// PlanUnmerge would leave the address gone; a plan that gives it back
	// meets kees.
	_, _, err := s.UnmergeCustomer(ctx, jan, func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
		surv, m, err := herken.PlanUnmerge(rec, survivor, epoch)
		m.Identifiers = rec.Merged.Identifiers
		return surv, m, err
	}, herken.WriteOptions{})
	var ie *herken.IdentifierError
	if !errors.As(err, &ie) || ie.Holder != kees || !errors.Is(err, herken.ErrAlreadyLinked) {
		t.Fatalf("unmerge into a taken address: %v", err)
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused unmerge changed the store")
	}
}

// TestEraseSurvivorErasesDescendants: erasing a survivor erases every
// customer merged into it, directly or not, and leaves nothing of them:
// records, links (a shared line stays with its other holder), history,
// promises, merge records, remembered requests, index entries.
func TestEraseSurvivorErasesDescendants(t *testing.T) {
	now := epoch
	s := New(Options{Now: func() time.Time { return now }})
	line := storetest.Phone("+31201234567")
	idem := func(key string) herken.WriteOptions {
		return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte(key), TTL: time.Hour}}
	}
	mk := func(name string, ids ...identity.Identifier) string {
		c, err := s.CreateCustomer(ctx, storetest.NewCustomer(name, ids...), idem("create-"+name))
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	a := mk("Anna", line, storetest.Phone("+31611111111"))
	b := mk("Bram", storetest.Email("bram@example.nl"))
	c := mk("Cor")
	d := mk("Dirk", line) // shares the line, stays
	in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: epoch, Feedback: &herken.Feedback{Score: 1, SubmitTime: epoch}}
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: a}, in, idem("append-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: b}, storetest.NewPromise(herken.PromiseCallback, epoch, "team-a"), idem("promise-b")); err != nil {
		t.Fatal(err)
	}
	merge(t, s, b, a)
	merge(t, s, c, b)

	if _, err := s.EraseCustomer(ctx, a, epoch, herken.WriteOptions{}); !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("erase a merged name: %v, want ErrCustomerNotFound (callers Resolve first)", err)
	}
	at := epoch.Add(24 * time.Hour)
	ids, err := s.EraseCustomer(ctx, c, at, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{c}, slices.Sorted(slices.Values([]string{a, b}))...)
	if !slices.Equal(ids, want) {
		t.Fatalf("erased %v, want %v", ids, want)
	}
	mustCheck(t, s)
	for _, id := range []string{a, b, c} {
		if _, err := s.Resolve(ctx, id); !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("Resolve(%s): %v", id, err)
		}
		if _, err := s.GetCustomer(ctx, id); !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("GetCustomer(%s): %v", id, err)
		}
		if _, err := s.EraseCustomer(ctx, id, at, herken.WriteOptions{}); !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("erase %s again: %v", id, err)
		}
		if _, _, err := unmerge(s, id); !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("unmerge %s: %v", id, err)
		}
	}
	// Only d and what d holds is left.
	if !slices.Equal(slices.Collect(maps.Keys(s.customers)), []string{d}) || len(s.holders) != 1 ||
		!slices.Equal(s.holders[line], []string{d}) {
		t.Fatalf("left: customers %v, holders %v", slices.Collect(maps.Keys(s.customers)), s.holders)
	}
	if len(s.occurred)+len(s.feedback)+len(s.due)+len(s.owners)+len(s.merged)+len(s.aliases)+len(s.records)+len(s.mergedInto) != 0 {
		t.Fatalf("index entries left: occurred %v feedback %v due %v owners %v merged %v records %v",
			s.occurred, s.feedback, s.due, s.owners, s.merged, s.records)
	}
	if keys := slices.Collect(maps.Keys(s.requests)); !slices.Equal(keys, []string{"create-Dirk"}) {
		t.Fatalf("remembered requests %v, want only d's", keys)
	}
	if list, _, err := s.ListCustomers(ctx, herken.CustomerQuery{}); err != nil || len(list) != 1 || list[0].ID != d {
		t.Fatalf("ListCustomers after the erasure: %v, %v", list, err)
	}
	// A retried create is a new customer, not the erased one.
	if again := mk("Anna"); again == a {
		t.Fatal("a retried create found the erased customer")
	}
	got, err := s.Erasures(ctx, at, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("Erasures: %v, %v", got, err)
	}
	for i, e := range got {
		if e.CustomerID != want[i] || !e.Time.Equal(at) {
			t.Errorf("journal entry %d: %+v, want %s at %v", i, e, want[i], at)
		}
	}
}

// TestErasuresJournal: entries come oldest first whatever order the
// erasures were made in, from since on, at most limit.
func TestErasuresJournal(t *testing.T) {
	s := New(Options{})
	var ids []string
	for i, hours := range []int{5, 1, 3, 3} {
		id := create(t, s, fmt.Sprint("K", i)).ID
		if _, err := s.EraseCustomer(ctx, id, epoch.Add(time.Duration(hours)*time.Hour), herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, tc := range []struct {
		since time.Time
		limit int
		want  []string
	}{
		{epoch, 10, []string{ids[1], ids[2], ids[3], ids[0]}},
		{epoch.Add(3 * time.Hour), 10, []string{ids[2], ids[3], ids[0]}},
		{epoch, 2, []string{ids[1], ids[2]}},
		{epoch.Add(6 * time.Hour), 10, nil},
		{epoch, 0, nil},
	} {
		got, err := s.Erasures(ctx, tc.since, tc.limit)
		var gotIDs []string
		for _, e := range got {
			gotIDs = append(gotIDs, e.CustomerID)
		}
		if err != nil || !slices.Equal(gotIDs, tc.want) {
			t.Errorf("Erasures(%v, %d) = %v, %v; want %v", tc.since, tc.limit, gotIDs, err, tc.want)
		}
	}
}

// TestErasedAndMergedNames: every method that takes a customer id answers
// ErrCustomerErased for an erased one and ErrCustomerNotFound for a merged
// one (callers Resolve first, and resolve again on that error); unknown
// ids keep their old answers.
func TestErasedAndMergedNames(t *testing.T) {
	s := New(Options{})
	gone, away, live := create(t, s, "Weg").ID, create(t, s, "Samen").ID, create(t, s, "Blijft").ID
	merge(t, s, live, away)
	if _, err := s.EraseCustomer(ctx, gone, epoch, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	keep := func(*herken.Interaction) error { return nil }
	calls := map[string]func(id string) error{
		"GetCustomer": func(id string) error { _, err := s.GetCustomer(ctx, id); return err },
		"UpdateCustomer": func(id string) error {
			_, err := s.UpdateCustomer(ctx, id, func(*herken.Customer) error { return nil }, herken.WriteOptions{})
			return err
		},
		"AppendInteraction": func(id string) error {
			_, err := s.AppendInteraction(ctx, herken.Target{CustomerID: id}, herken.Interaction{ID: herken.NewID(), OccurTime: epoch}, herken.WriteOptions{})
			return err
		},
		"UpdateInteraction": func(id string) error {
			_, err := s.UpdateInteraction(ctx, id, "x", keep, herken.WriteOptions{})
			return err
		},
		"ListInteractions": func(id string) error {
			_, _, err := s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: id})
			return err
		},
		"CreatePromise": func(id string) error {
			_, err := s.CreatePromise(ctx, herken.Target{CustomerID: id}, storetest.NewPromise(herken.PromiseCallback, epoch, ""), herken.WriteOptions{})
			return err
		},
		"GetPromise": func(id string) error { _, err := s.GetPromise(ctx, id, "x"); return err },
		"UpdatePromise": func(id string) error {
			_, err := s.UpdatePromise(ctx, id, "x", func(*herken.Promise) error { return nil }, herken.WriteOptions{})
			return err
		},
		"ListPromises": func(id string) error {
			_, _, err := s.ListPromises(ctx, herken.PromiseQuery{CustomerID: id})
			return err
		},
		"EraseCustomer": func(id string) error { _, err := s.EraseCustomer(ctx, id, epoch, herken.WriteOptions{}); return err },
	}
	before := digestOf(t, s)
	for name, call := range calls {
		if err := call(gone); !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("%s(erased): %v", name, err)
		}
		if err := call(away); !errors.Is(err, herken.ErrCustomerNotFound) {
			t.Errorf("%s(merged): %v", name, err)
		}
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused call changed the store")
	}
	if _, err := s.Resolve(ctx, "onbekend"); !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("Resolve(unknown): %v", err)
	}
	if _, err := s.MergeCustomers(ctx, live, gone, nil, herken.WriteOptions{}); !errors.Is(err, herken.ErrCustomerErased) {
		t.Fatalf("merge an erased customer: %v", err)
	}
	if _, _, err := unmerge(s, live); !errors.Is(err, herken.ErrCustomerNotMerged) {
		t.Fatalf("unmerge a live customer: %v", err)
	}
}

// TestRetryAfterMerge: a retried write finds what it made under the name's
// survivor while merged, and under the name again once unmerged.
func TestRetryAfterMerge(t *testing.T) {
	s := New(Options{})
	opts := func(key string) herken.WriteOptions {
		return herken.WriteOptions{Idempotency: herken.Idempotency{Key: key, Fingerprint: []byte(key), TTL: time.Hour}}
	}
	jan := storetest.NewCustomer("Jan")
	if _, err := s.CreateCustomer(ctx, jan, opts("c")); err != nil {
		t.Fatal(err)
	}
	in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: epoch}
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: jan.ID}, in, opts("i")); err != nil {
		t.Fatal(err)
	}
	p := storetest.NewPromise(herken.PromiseCallback, epoch, "")
	if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: jan.ID}, p, opts("p")); err != nil {
		t.Fatal(err)
	}
	piet := create(t, s, "Piet").ID
	retry := func(want string) {
		t.Helper()
		c, err := s.CreateCustomer(ctx, jan, opts("c"))
		if err != nil || c.ID != want {
			t.Errorf("retried create: %s, %v; want %s", c.ID, err, want)
		}
		got, err := s.AppendInteraction(ctx, herken.Target{CustomerID: jan.ID}, in, opts("i"))
		if err != nil || got.ID != in.ID || got.CustomerID != want {
			t.Errorf("retried append: %+v, %v; want under %s", got, err, want)
		}
		gp, err := s.CreatePromise(ctx, herken.Target{CustomerID: jan.ID}, p, opts("p"))
		if err != nil || gp.ID != p.ID || gp.CustomerID != want {
			t.Errorf("retried promise: %+v, %v; want under %s", gp, err, want)
		}
	}
	merge(t, s, piet, jan.ID)
	retry(piet)
	mustUnmerge(t, s, jan.ID)
	retry(jan.ID)
	mustCheck(t, s)
}

// TestUpdateCustomerRelinks: an update links the new identifiers, unlinks
// the gone ones, keeps the place of the rest, and moves the customer in
// the list indexes; fixed fields stay.
func TestUpdateCustomerRelinks(t *testing.T) {
	s := New(Options{})
	line, mob, mail := storetest.Phone("+31201234567"), storetest.Phone("+31612345678"), storetest.External("crm-1")
	other := create(t, s, "Els", line).ID
	jan := create(t, s, "Jan", mob, line)
	got, err := s.UpdateCustomer(ctx, jan.ID, func(c *herken.Customer) error {
		c.ID, c.CreateTime, c.LastContactTime = "hack", epoch.Add(time.Hour), epoch.Add(time.Hour)
		c.DisplayName, c.Tags = "Jan de Vries", []string{"vip"}
		c.Identifiers = []herken.LinkedIdentifier{{Identifier: line, Label: "thuis"}, {Identifier: mail}}
		c.Revision++
		c.UpdateTime = epoch.Add(time.Minute)
		return nil
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
	if got.ID != jan.ID || !got.CreateTime.Equal(jan.CreateTime) || !got.LastContactTime.IsZero() || got.Revision != 2 {
		t.Fatalf("fixed fields moved: %+v", got)
	}
	if s.holders[mob] != nil || !slices.Equal(s.holders[line], []string{other, jan.ID}) || !slices.Equal(s.holders[mail], []string{jan.ID}) {
		t.Fatalf("holders: mob %v line %v mail %v", s.holders[mob], s.holders[line], s.holders[mail])
	}
	if s.tags["demo"] != nil && slices.ContainsFunc(*s.tags["demo"], func(e entry) bool { return e.id == jan.ID }) || s.names["vries"] == nil {
		t.Fatal("list indexes not moved")
	}
	// Taking another's exclusive identifier refuses the whole update.
	kees := create(t, s, "Kees", storetest.External("crm-2")).ID
	before := digestOf(t, s)
	_, err = s.UpdateCustomer(ctx, kees, func(c *herken.Customer) error {
		c.DisplayName = "Kees B"
		c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: mail})
		return nil
	}, herken.WriteOptions{})
	var ie *herken.IdentifierError
	if !errors.As(err, &ie) || ie.Index != 1 || ie.Holder != jan.ID {
		t.Fatalf("taking jan's crm id: %v", err)
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused update changed the store")
	}
}

// listAll pages through q with page size 1 and returns the ids in order.
func listAll(t *testing.T, s *Store, q herken.CustomerQuery) []string {
	t.Helper()
	q.PageSize = 1
	var ids []string
	for {
		page, next, err := s.ListCustomers(ctx, q)
		if err != nil {
			t.Fatalf("ListCustomers(%+v): %v", q, err)
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

// TestListCustomersFromIndexes: each query is driven by its index — a
// customer missing from that index (and only from it) is not listed —
// and pages come in the query's order.
func TestListCustomersFromIndexes(t *testing.T) {
	s := New(Options{})
	var ids []string
	for i, name := range []string{"Yılmaz", "de Vries", "De Vos", "Yilmaz-Bakker"} {
		c := storetest.NewCustomer(name)
		c.ID = fmt.Sprint("c", i)
		c.UpdateTime = epoch.Add(time.Duration(4-i) * time.Minute) // newest id first by time
		if i%2 == 0 {
			c.Tags = []string{"vip"}
		}
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for _, tc := range []struct {
		q    herken.CustomerQuery
		want []string
		idx  func() *index // the index that must drive q
	}{
		{herken.CustomerQuery{}, ids, func() *index { return &s.all }},
		{herken.CustomerQuery{NamePrefix: "yilmaz"}, []string{"c0", "c3"}, func() *index { return s.names["yilmaz"] }},
		{herken.CustomerQuery{NamePrefix: "de v", Tag: "vip"}, []string{"c2"}, func() *index { return s.names["de"] }},
		{herken.CustomerQuery{Tag: "vip"}, []string{"c0", "c2"}, func() *index { return s.tags["vip"] }},
		{herken.CustomerQuery{Tag: "vip", UpdatedSince: epoch}, []string{"c2", "c0"}, func() *index { return s.tagsUpdated["vip"] }},
		{herken.CustomerQuery{UpdatedSince: epoch.Add(2 * time.Minute)}, []string{"c2", "c1", "c0"}, func() *index { return &s.updated }},
		// With a name prefix the order is by id, time only filters.
		{herken.CustomerQuery{NamePrefix: "y", UpdatedSince: epoch.Add(time.Minute)}, []string{"c0", "c3"}, func() *index { return s.names["y"] }},
		{herken.CustomerQuery{NamePrefix: "y", UpdatedSince: epoch.Add(2 * time.Minute)}, []string{"c0"}, func() *index { return s.names["y"] }},
	} {
		if got := listAll(t, s, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: listed %v, want %v", tc.q, got, tc.want)
			continue
		}
		// Hide the first wanted customer from the driving index only.
		x := tc.idx()
		saved := slices.Clone(*x)
		*x = slices.DeleteFunc(*x, func(e entry) bool { return e.id == tc.want[0] })
		if got := listAll(t, s, tc.q); slices.Contains(got, tc.want[0]) {
			t.Errorf("%+v: listed %s without it in the driving index", tc.q, tc.want[0])
		}
		*x = saved
	}
	// A prefix longer than the index's is looked up by its indexed part
	// and decided by the name.
	long := storetest.NewCustomer(strings.Repeat("a", 40))
	if _, err := s.CreateCustomer(ctx, long, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]int{strings.Repeat("a", 35): 1, strings.Repeat("a", 32) + "b": 0} {
		if got := listAll(t, s, herken.CustomerQuery{NamePrefix: prefix}); len(got) != want {
			t.Errorf("prefix of %d runes: %v", len([]rune(prefix)), got)
		}
	}
	// A token opens only its own list.
	_, next, err := s.ListCustomers(ctx, herken.CustomerQuery{Tag: "vip", PageSize: 1})
	if err != nil || next == "" {
		t.Fatal(next, err)
	}
	if _, _, err := s.ListCustomers(ctx, herken.CustomerQuery{Tag: "demo", PageSize: 1, PageToken: next}); !errors.Is(err, herken.ErrPageToken) {
		t.Fatalf("another list's token: %v", err)
	}
	mustCheck(t, s)
}

// TestCheckFindsLifecycleDrift: the new invariant checks can fail.
func TestCheckFindsLifecycleDrift(t *testing.T) {
	drifts := map[string]func(s *Store, a, b, c string){
		"chained pointer": func(s *Store, a, b, c string) { s.merged[a] = b },
		"alias":           func(s *Store, a, b, c string) { delete(s.aliases[c], a) },
		"record":          func(s *Store, a, b, c string) { delete(s.records, a) },
		"merge list":      func(s *Store, a, b, c string) { s.mergedInto[c] = append(s.mergedInto[c], a) },
		"name index":      func(s *Store, a, b, c string) { delete(s.names, "c") },
		"tag index":       func(s *Store, a, b, c string) { s.tags["demo"] = &index{} },
		"updated index":   func(s *Store, a, b, c string) { s.updated = nil },
		"erased and live": func(s *Store, a, b, c string) { s.erased[c] = struct{}{} },
	}
	for name, drift := range drifts {
		s := New(Options{})
		a, b, c := create(t, s, "A").ID, create(t, s, "B").ID, create(t, s, "C").ID
		merge(t, s, b, a)
		merge(t, s, c, b)
		drift(s, a, b, c)
		if s.check() == nil {
			t.Errorf("%s: drift not found", name)
		}
	}
}

// TestConcurrentLifecycle runs merges, unmerges, erasures, updates, lists
// and appends at once (go test -race) and checks the invariants after.
func TestConcurrentLifecycle(t *testing.T) {
	s := New(Options{})
	line := storetest.Phone("+31201234567")
	var ids []string
	for i := range 12 {
		ids = append(ids, create(t, s, fmt.Sprint("klant ", i), line, storetest.Phone(fmt.Sprintf("+316123456%02d", i))).ID)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 40 {
				x, y := ids[(w+i)%len(ids)], ids[(w*5+i*7+1)%len(ids)]
				var err error
				switch i % 6 {
				case 0, 1:
					_, err = s.MergeCustomers(ctx, x, y, func(a, b herken.Customer) (herken.Customer, herken.Interaction, error) {
						return herken.PlanMerge(a, b, 0, epoch)
					}, herken.WriteOptions{})
				case 2:
					_, _, err = unmerge(s, y)
				case 3:
					_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: x}, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: epoch}, herken.WriteOptions{})
				case 4:
					_, err = s.UpdateCustomer(ctx, x, func(c *herken.Customer) error { c.Tags = []string{fmt.Sprint("t", i%3)}; return nil }, herken.WriteOptions{})
					if err == nil {
						_, _, err = s.ListCustomers(ctx, herken.CustomerQuery{Tag: "t1", UpdatedSince: epoch, PageSize: 2})
					}
				case 5:
					if w == 0 && i > 30 {
						_, err = s.EraseCustomer(ctx, x, epoch, herken.WriteOptions{})
					} else {
						_, err = s.Resolve(ctx, y)
					}
				}
				var he *herken.Error
				if err != nil && !errors.As(err, &he) || he != nil && he.Code == herken.CodeInternal {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mustCheck(t, s)
}
