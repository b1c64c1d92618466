package storetest

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
)

// lifecycleTests cover a customer's life after creation: Resolve and
// UpdateCustomer here, ListCustomers in list.go, MergeCustomers, Merges and
// UnmergeCustomer in merge.go, EraseCustomer and Erasures in erase.go.
var lifecycleTests = []storeTest{
	{"Resolve", testResolve},
	{"UpdateCustomerFields", testUpdateCustomerFields},
	{"UpdateCustomerIdentifiers", testUpdateCustomerIdentifiers},
	{"UpdateCustomerLinkRefused", testUpdateCustomerLinkRefused},
	{"UpdateCustomerAborted", testUpdateCustomerAborted},
	{"UpdateCustomerNotLive", testUpdateCustomerNotLive},
	{"UpdateCustomerConcurrentLink", testUpdateCustomerConcurrentLink},
}

// dayAt is epoch plus d days: the clock of merges, unmerges and erasures.
func dayAt(d int) time.Time { return epoch.Add(time.Duration(d) * 24 * time.Hour) }

// linked is id as UpdateCustomer's fn adds it, with provenance.
func linked(id identity.Identifier, at time.Time, source, label string) herken.LinkedIdentifier {
	return herken.LinkedIdentifier{Identifier: id, LinkTime: at, Source: source, Label: label}
}

// bump is what the Service does to every update it stores: the next
// revision at a new update time.
func bump(c *herken.Customer, at time.Time) {
	c.Revision++
	c.UpdateTime = at
}

func mustGet(t *testing.T, s herken.Store, id string) herken.Customer {
	t.Helper()
	c, err := s.GetCustomer(ctx, id)
	if err != nil {
		t.Fatalf("GetCustomer(%s): %v", id, err)
	}
	return c
}

func mustUpdate(t *testing.T, s herken.Store, id string, fn func(c *herken.Customer)) herken.Customer {
	t.Helper()
	got, err := s.UpdateCustomer(ctx, id, func(c *herken.Customer) error { fn(c); return nil }, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("UpdateCustomer(%s): %v", id, err)
	}
	return got
}

func wantResolve(t *testing.T, s herken.Store, id, want string) {
	t.Helper()
	got, err := s.Resolve(ctx, id)
	if err != nil || got != want {
		t.Fatalf("Resolve(%s) = %q, %v; want %q", id, got, err, want)
	}
}

// wantMerged checks err is CustomerMerged naming survivor.
func wantMerged(t *testing.T, err error, survivor string) {
	t.Helper()
	e := wantErr(t, err, herken.ErrCustomerMerged)
	if e == nil || e.Metadata["survivor"] != survivor {
		t.Fatalf("CustomerMerged metadata %v, want survivor %s", e, survivor)
	}
}

// historyOf is a customer's whole history, newest first.
func historyOf(t *testing.T, s herken.Store, cid string) []herken.Interaction {
	t.Helper()
	all, _ := listInteractionPages(t, s, herken.InteractionQuery{CustomerID: cid, PageSize: 100})
	return all
}

// promisesOf is every promise of a customer, by due time.
func promisesOf(t *testing.T, s herken.Store, cid string) []herken.Promise {
	t.Helper()
	return listAll(t, s, herken.PromiseQuery{CustomerID: cid, PageSize: 100})
}

// holdersOf is the holders of each identifier, in link order.
func holdersOf(t *testing.T, s herken.Store, ids ...identity.Identifier) [][]string {
	t.Helper()
	snap, err := s.Match(ctx, ids, herken.MatchOptions{}, func([][]string) string { return "" })
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	return snap.Holders
}

func wantHolders(t *testing.T, s herken.Store, id identity.Identifier, want ...string) {
	t.Helper()
	got := holdersOf(t, s, id)[0]
	if !slices.Equal(got, want) {
		t.Fatalf("holders of %v = %v, want %v", id, got, want)
	}
}

// wantHolderSet is wantHolders in any order: where a store puts a holder
// it links again is its business.
func wantHolderSet(t *testing.T, s herken.Store, id identity.Identifier, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(holdersOf(t, s, id)[0]))
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("holders of %v = %v, want %v in any order", id, got, want)
	}
}

// showInteractions prints interactions with their feedback (a pointer,
// which fmt would print as an address) so two lists compare as strings.
func showInteractions(list []herken.Interaction) string {
	var b strings.Builder
	for _, in := range list {
		fb := "no feedback"
		if in.Feedback != nil {
			fb = fmt.Sprintf("%+v", *in.Feedback)
		}
		in.Feedback = nil
		fmt.Fprintf(&b, "%+v %s\n", in, fb)
	}
	return b.String()
}

// showCustomer prints c; withoutEtag leaves out Revision and UpdateTime,
// which a merge and its undoing move on.
func showCustomer(c herken.Customer, withoutEtag bool) string {
	if withoutEtag {
		c.Revision, c.UpdateTime = 0, time.Time{}
	}
	return fmt.Sprintf("%+v", c)
}

// world is what the suite can read of some customers, in comparable form:
// a merge undone must leave it as it was.
type world struct {
	records    map[string]string // id → record, or the error reading it
	histories  map[string]string
	promises   map[string]string
	holders    map[string]string // identifier → holders, as a set
	unanswered string            // unanswered feedback across customers
	open       string            // OPEN promises across customers
	listed     map[string]string // ListCustomers query → ids
}

// readWorld reads customers ids (UpdateTime left out, and Revision for
// those in loose), the holders of idents, the cross-customer lists, and
// ListCustomers for each of queries.
func readWorld(t *testing.T, s herken.Store, ids []string, loose []string, idents []identity.Identifier, queries []herken.CustomerQuery) world {
	t.Helper()
	w := world{records: map[string]string{}, histories: map[string]string{}, promises: map[string]string{}, holders: map[string]string{}, listed: map[string]string{}}
	for _, id := range ids {
		c, err := s.GetCustomer(ctx, id)
		if err != nil {
			w.records[id] = err.Error()
			continue
		}
		// An unmerge moves both customers' update time (a sync by update
		// time must see the merged one return): never compared.
		c.UpdateTime = time.Time{}
		w.records[id] = showCustomer(c, slices.Contains(loose, id))
		w.histories[id] = showInteractions(historyOf(t, s, id))
		w.promises[id] = fmt.Sprintf("%+v", promisesOf(t, s, id))
	}
	for i, h := range holdersOf(t, s, idents...) {
		w.holders[fmt.Sprint(idents[i])] = fmt.Sprint(slices.Sorted(slices.Values(h)))
	}
	fb, _ := listInteractionPages(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 100})
	w.unanswered = showInteractions(fb)
	w.open = fmt.Sprintf("%+v", listAll(t, s, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 100}))
	for _, q := range queries {
		q.PageSize = 100
		w.listed[fmt.Sprintf("%+v", q)] = fmt.Sprint(customerIDs(listCustomerPages(t, s, q)))
	}
	return w
}

// diffWorld reports every way got differs from want.
func diffWorld(t *testing.T, stage string, got, want world) {
	t.Helper()
	diffMap := func(what string, g, w map[string]string) {
		t.Helper()
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if g[k] != w[k] {
				t.Errorf("%s: %s %s:\n got %s\nwant %s", stage, what, k, g[k], w[k])
			}
		}
		if len(g) != len(w) {
			t.Errorf("%s: %s: %d entries, want %d", stage, what, len(g), len(w))
		}
	}
	diffMap("record", got.records, want.records)
	diffMap("history", got.histories, want.histories)
	diffMap("promises", got.promises, want.promises)
	diffMap("holders", got.holders, want.holders)
	diffMap("listed", got.listed, want.listed)
	if got.unanswered != want.unanswered {
		t.Errorf("%s: unanswered feedback:\n got %s\nwant %s", stage, got.unanswered, want.unanswered)
	}
	if got.open != want.open {
		t.Errorf("%s: open promises:\n got %s\nwant %s", stage, got.open, want.open)
	}
}

func testResolve(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("Anna", Phone("+31611111111")))
	b := mustCreate(t, s, NewCustomer("Bram", Phone("+31622222222")))
	c := mustCreate(t, s, NewCustomer("Cor", Phone("+31633333333")))
	d := mustCreate(t, s, NewCustomer("Dirk"))
	other := mustCreate(t, s, NewCustomer("Els"))
	wantResolve(t, s, a.ID, a.ID)
	mustMerge(t, s, b.ID, a.ID, dayAt(1))
	wantResolve(t, s, a.ID, b.ID)
	wantResolve(t, s, b.ID, b.ID)
	// Merging the survivor on re-points every name that pointed at it:
	// the pointer stays flat, never a chain.
	mustMerge(t, s, c.ID, b.ID, dayAt(2))
	wantResolve(t, s, a.ID, c.ID)
	wantResolve(t, s, b.ID, c.ID)
	wantResolve(t, s, c.ID, c.ID)
	mustMerge(t, s, d.ID, c.ID, dayAt(3))
	for _, id := range []string{a.ID, b.ID, c.ID, d.ID} {
		wantResolve(t, s, id, d.ID)
	}
	// Erasing the survivor erases every name merged into it, directly or
	// not.
	mustErase(t, s, d.ID, dayAt(4))
	for _, id := range []string{a.ID, b.ID, c.ID, d.ID} {
		_, err := s.Resolve(ctx, id)
		wantErr(t, err, herken.ErrCustomerErased)
	}
	wantResolve(t, s, other.ID, other.ID)
	for _, id := range []string{herken.NewID(), "bogus", ""} {
		_, err := s.Resolve(ctx, id)
		wantErr(t, err, herken.ErrCustomerNotFound)
	}
}

func testUpdateCustomerFields(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan de Vries", Phone("+31612345678")))
	mustAppend(t, s, c.ID, newInteraction(minuteAt(5), "gebeld"))
	before := mustGet(t, s, c.ID)
	var seen string
	got, err := s.UpdateCustomer(ctx, c.ID, func(x *herken.Customer) error {
		seen = showCustomer(*x, false)
		x.DisplayName, x.PreferredLanguage, x.HandoverNote = "Jan de Vries-Bakker", "en", "spreekt liever Engels"
		x.Tags = []string{"vip", "terugbellen"}
		bump(x, dayAt(1))
		// Fixed whatever fn does.
		x.ID, x.CreateTime = herken.NewID(), dayAt(9)
		x.LastContactTime, x.LastContactChannel = dayAt(9), herken.ChannelEmail
		return nil
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := showCustomer(before, false); seen != want {
		t.Fatalf("fn got:\n%s\nwant the record as stored:\n%s", seen, want)
	}
	want := before
	want.DisplayName, want.PreferredLanguage, want.HandoverNote = "Jan de Vries-Bakker", "en", "spreekt liever Engels"
	want.Tags = []string{"vip", "terugbellen"}
	want.Revision, want.UpdateTime = before.Revision+1, dayAt(1)
	if showCustomer(got, false) != showCustomer(want, false) {
		t.Fatalf("returned:\n got %+v\nwant %+v", got, want)
	}
	if back := mustGet(t, s, c.ID); showCustomer(back, false) != showCustomer(want, false) {
		t.Fatalf("stored:\n got %+v\nwant %+v", back, want)
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 10)
	if snap.Focus != c.ID || showCustomer(snap.Customers[c.ID], false) != showCustomer(want, false) || len(snap.History) != 1 {
		t.Fatalf("Match after update: %+v", snap)
	}
}

func testUpdateCustomerIdentifiers(t *testing.T, s herken.Store) {
	line := Phone("+31201234567") // a household line Jan shares with Anna
	mobile, mail, ext := Phone("+31612345678"), Email("jan@example.nl"), External("K-1")
	jan := mustCreate(t, s, NewCustomer("Jan", mobile, line, mail))
	anna := mustCreate(t, s, NewCustomer("Anna", line))
	wantHolders(t, s, line, jan.ID, anna.ID)

	// Added, with provenance.
	crm := linked(ext, dayAt(1), "crm", "klantnummer")
	crm.Verified = true
	got := mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		c.Identifiers = append(c.Identifiers, crm)
		bump(c, dayAt(1))
	})
	if n := len(got.Identifiers); n != 4 || fmt.Sprintf("%+v", got.Identifiers[3]) != fmt.Sprintf("%+v", crm) {
		t.Fatalf("identifiers after add: %+v", got.Identifiers)
	}
	wantHolders(t, s, ext, jan.ID)
	if snap := mustMatch(t, s, []identity.Identifier{ext}, 0); snap.Focus != jan.ID {
		t.Fatalf("added identifier finds %q", snap.Focus)
	}

	// Removed, reordered, and one's provenance changed: the stored list is
	// fn's, and an identifier kept keeps its place among its holders.
	got = mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		l := c.Identifiers[1]
		l.Label, l.Verified = "thuis", true
		c.Identifiers = []herken.LinkedIdentifier{c.Identifiers[3], l, c.Identifiers[0]}
		bump(c, dayAt(2))
	})
	var order []identity.Identifier
	for _, l := range mustGet(t, s, jan.ID).Identifiers {
		order = append(order, l.Identifier)
	}
	if !slices.Equal(order, []identity.Identifier{ext, line, mobile}) || got.Identifiers[1].Label != "thuis" || !got.Identifiers[1].Verified {
		t.Fatalf("identifiers after reorder: %+v", got.Identifiers)
	}
	wantHolders(t, s, mail)
	wantHolders(t, s, line, jan.ID, anna.ID)
	wantHolders(t, s, mobile, jan.ID)
	wantHolders(t, s, ext, jan.ID)

	// Unlinking a shared identifier leaves the other holders theirs;
	// linking it again joins them at the end, in link order.
	mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		c.Identifiers = slices.DeleteFunc(c.Identifiers, func(l herken.LinkedIdentifier) bool { return l.Identifier == line })
		bump(c, dayAt(3))
	})
	wantHolders(t, s, line, anna.ID)
	if snap := mustMatch(t, s, []identity.Identifier{line}, 0); snap.Focus != anna.ID || len(snap.Customers) != 1 {
		t.Fatalf("line after Jan unlinked it: %+v", snap)
	}
	mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		c.Identifiers = append(c.Identifiers, linked(line, dayAt(4), "ivr", ""))
		bump(c, dayAt(4))
	})
	wantHolders(t, s, line, anna.ID, jan.ID)

	// An exclusive identifier unlinked is free for another customer.
	mustUpdate(t, s, jan.ID, func(c *herken.Customer) {
		c.Identifiers = slices.DeleteFunc(c.Identifiers, func(l herken.LinkedIdentifier) bool { return l.Identifier == ext })
		bump(c, dayAt(5))
	})
	wantHolders(t, s, ext)
	kees := mustCreate(t, s, NewCustomer("Kees", ext, mail))
	wantHolders(t, s, ext, kees.ID)
	wantHolders(t, s, mail, kees.ID)

	// Everything removed: the customer is found by none of them.
	mustUpdate(t, s, jan.ID, func(c *herken.Customer) { c.Identifiers = nil; bump(c, dayAt(6)) })
	if h := holdersOf(t, s, mobile, line, mail, ext); fmt.Sprint(h) != fmt.Sprint([][]string{{}, {anna.ID}, {kees.ID}, {kees.ID}}) {
		t.Fatalf("holders after removing all: %v", h)
	}
	if got := mustGet(t, s, jan.ID); len(got.Identifiers) != 0 {
		t.Fatalf("identifiers after removing all: %+v", got.Identifiers)
	}
}

func testUpdateCustomerLinkRefused(t *testing.T, s herken.Store) {
	kees := mustCreate(t, s, NewCustomer("Kees", External("K-1")))
	jan := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678"), Email("jan@example.nl")))
	handle := Social(identity.PlatformX, "x:jan")
	before, stored := digestOf(t, s), mustGet(t, s, jan.ID)
	// The index is the identifier's position in fn's new list.
	for _, tc := range []struct {
		name  string
		edit  func(c *herken.Customer)
		index int
	}{
		{"appended", func(c *herken.Customer) {
			c.Identifiers = append(c.Identifiers, linked(handle, dayAt(1), "", ""), linked(External("K-1"), dayAt(1), "", ""))
		}, 3},
		{"first", func(c *herken.Customer) {
			c.Identifiers = append([]herken.LinkedIdentifier{linked(External("K-1"), dayAt(1), "", "")}, c.Identifiers...)
		}, 0},
		{"after a removal", func(c *herken.Customer) {
			c.Identifiers = []herken.LinkedIdentifier{c.Identifiers[1], linked(handle, dayAt(1), "", ""), linked(External("K-1"), dayAt(1), "", "")}
		}, 2},
	} {
		_, err := s.UpdateCustomer(ctx, jan.ID, func(c *herken.Customer) error {
			tc.edit(c)
			c.DisplayName = "changed"
			bump(c, dayAt(1))
			return nil
		}, herken.WriteOptions{})
		wantErr(t, err, herken.ErrAlreadyLinked)
		var ie *herken.IdentifierError
		if !errors.As(err, &ie) || ie.Index != tc.index || ie.Holder != kees.ID {
			t.Fatalf("%s: error detail %#v, want IdentifierError{Index: %d, Holder: %s}", tc.name, ie, tc.index, kees.ID)
		}
		if digestOf(t, s) != before {
			t.Fatalf("%s: a refused update wrote something", tc.name)
		}
		if got := mustGet(t, s, jan.ID); showCustomer(got, false) != showCustomer(stored, false) {
			t.Fatalf("%s: refused update changed the customer: %+v", tc.name, got)
		}
		if h := holdersOf(t, s, handle, External("K-1"), Email("jan@example.nl")); fmt.Sprint(h) != fmt.Sprint([][]string{{}, {kees.ID}, {jan.ID}}) {
			t.Fatalf("%s: holders after refused update: %v", tc.name, h)
		}
	}
	// A shareable identifier at its share limit.
	line := Email("info@example.nl")
	for i := range herken.MaxHoldersPerIdentity {
		mustCreate(t, s, NewCustomer(fmt.Sprint("holder ", i), line))
	}
	before = digestOf(t, s)
	_, err := s.UpdateCustomer(ctx, jan.ID, func(c *herken.Customer) error {
		c.Identifiers = append(c.Identifiers, linked(line, dayAt(1), "", ""))
		bump(c, dayAt(1))
		return nil
	}, herken.WriteOptions{})
	wantErr(t, err, herken.ErrShareLimit)
	if ie := new(herken.IdentifierError); !errors.As(err, &ie) || ie.Index != 2 || ie.Holder != "" {
		t.Fatalf("share limit detail: %#v, want IdentifierError{Index: 2}", ie)
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused update wrote something")
	}
	// An identifier the customer holds already is no conflict, wherever fn
	// moves it.
	got := mustUpdate(t, s, kees.ID, func(c *herken.Customer) {
		c.Identifiers = append([]herken.LinkedIdentifier{linked(handle, dayAt(2), "", "")}, c.Identifiers...)
		bump(c, dayAt(2))
	})
	if len(got.Identifiers) != 2 || got.Identifiers[1].Identifier != External("K-1") {
		t.Fatalf("identifiers: %+v", got.Identifiers)
	}
	wantHolders(t, s, External("K-1"), kees.ID)
}

func testUpdateCustomerAborted(t *testing.T, s herken.Store) {
	jan := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	stored := mustGet(t, s, jan.ID)
	before := digestOf(t, s)
	sentinel := errors.New("refused")
	_, err := s.UpdateCustomer(ctx, jan.ID, func(c *herken.Customer) error {
		// Edits in place, through the slices fn was given, must not reach
		// the stored record either.
		c.Tags[0], c.Identifiers[0].Label = "changed", "changed"
		c.DisplayName = "Piet"
		c.Identifiers = append(c.Identifiers, linked(External("K-9"), dayAt(1), "", ""))
		bump(c, dayAt(1))
		return sentinel
	}, herken.WriteOptions{})
	if !errors.Is(err, sentinel) {
		t.Fatalf("fn's error not returned: %v", err)
	}
	if digestOf(t, s) != before {
		t.Fatal("an aborted update wrote something")
	}
	if got := mustGet(t, s, jan.ID); showCustomer(got, false) != showCustomer(stored, false) {
		t.Fatalf("aborted update changed the customer:\n got %+v\nwant %+v", got, stored)
	}
	wantHolders(t, s, External("K-9"))
	for _, q := range []herken.CustomerQuery{{Tag: "changed"}, {NamePrefix: "piet"}, {UpdatedSince: dayAt(1)}} {
		q.PageSize = 10
		if got := listCustomerPages(t, s, q); len(got) != 0 {
			t.Fatalf("aborted update listed by %+v", q)
		}
	}
	// The customer returned and read back are copies too.
	got := mustUpdate(t, s, jan.ID, func(c *herken.Customer) { c.Tags = append(c.Tags, "vip"); bump(c, dayAt(2)) })
	got.Tags[0], got.Identifiers[0].Label = "changed", "changed"
	if back := mustGet(t, s, jan.ID); back.Tags[0] != "demo" || back.Identifiers[0].Label != "" {
		t.Fatalf("stored customer changed through the returned copy: %+v", back)
	}
}

func testUpdateCustomerNotLive(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("Anna"))
	b := mustCreate(t, s, NewCustomer("Bram"))
	e := mustCreate(t, s, NewCustomer("Els"))
	mustMerge(t, s, b.ID, a.ID, dayAt(1))
	mustErase(t, s, e.ID, dayAt(2))
	before := digestOf(t, s)
	called := false
	fn := func(c *herken.Customer) error { called = true; c.DisplayName = "x"; return nil }
	for _, tc := range []struct {
		id   string
		want error
	}{
		// A merged name is not a live customer: callers Resolve first.
		{a.ID, herken.ErrCustomerNotFound},
		{e.ID, herken.ErrCustomerErased},
		{herken.NewID(), herken.ErrCustomerNotFound},
		{"bogus", herken.ErrCustomerNotFound},
	} {
		_, err := s.UpdateCustomer(ctx, tc.id, fn, herken.WriteOptions{})
		wantErr(t, err, tc.want)
	}
	if called {
		t.Fatal("fn called for a customer that is not live")
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused update wrote something")
	}
	wantResolve(t, s, a.ID, b.ID)
}

// testUpdateCustomerConcurrentLink: customers racing to link one exclusive
// identifier: exactly one wins, the others keep their records.
func testUpdateCustomerConcurrentLink(t *testing.T, s herken.Store) {
	const n = 8
	cs := make([]herken.Customer, n)
	for i := range cs {
		cs[i] = mustCreate(t, s, NewCustomer(fmt.Sprint("racer ", i), Phone(fmt.Sprintf("+3161234567%d", i))))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range cs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.UpdateCustomer(ctx, cs[i].ID, func(c *herken.Customer) error {
				c.Identifiers = append(c.Identifiers, linked(External("K-RACE"), dayAt(1), "", ""))
				bump(c, dayAt(1))
				return nil
			}, herken.WriteOptions{})
		}(i)
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil && winner == "":
			winner = cs[i].ID
		case err == nil:
			t.Fatalf("two winners: %s and %s", winner, cs[i].ID)
		case errors.Is(err, herken.ErrAlreadyLinked):
			if got := mustGet(t, s, cs[i].ID); got.Revision != cs[i].Revision || len(got.Identifiers) != 1 {
				t.Fatalf("loser %d changed: %+v", i, got)
			}
		default:
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	if winner == "" {
		t.Fatal("nobody won")
	}
	wantHolders(t, s, External("K-RACE"), winner)
}
