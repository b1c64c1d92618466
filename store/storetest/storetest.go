// Package storetest is the conformance suite every herken.Store passes
// (the Dex storage/conformance idea): the Badger store and the in-memory
// store today, any later backend tomorrow, held to the same contract.
//
// A store that also has Digest() ([]byte, error) — a hash of everything it
// holds — is checked to write nothing when it refuses a write; for others
// that check is void. It may import the standard library, herken and
// herken/identity only.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Run runs the suite. newStore returns a fresh, empty store; Run closes it.
func Run(t *testing.T, newStore func(t *testing.T) herken.Store) {
	tests := []storeTest{
		{"CreateGet", testCreateGet},
		{"GetUnknown", testGetUnknown},
		{"ExclusiveIdentifier", testExclusiveIdentifier},
		{"SharedIdentifier", testSharedIdentifier},
		{"ShareLimit", testShareLimit},
		{"CreateIdempotent", testCreateIdempotent},
		{"MatchUnknown", testMatchUnknown},
		{"HistoryNewestFirst", testHistoryNewestFirst},
		{"AppendByIdentifier", testAppendByIdentifier},
		{"AppendUnknownCustomer", testAppendUnknownCustomer},
		{"LastContactMovesForward", testLastContactMovesForward},
		{"AppendIdempotent", testAppendIdempotent},
		{"ConcurrentExclusiveLink", testConcurrentExclusiveLink},
		{"ConcurrentAppends", testConcurrentAppends},
		{"RecentCopiesInStep", testRecentCopiesInStep},
		{"ValuesAreCopies", testValuesAreCopies},
	}
	tests = append(tests, promiseTests...)
	tests = append(tests, historyTests...)
	tests = append(tests, contractTests...)
	tests = append(tests, lifecycleTests...)
	tests = append(tests, listTests...)
	tests = append(tests, mergeTests...)
	tests = append(tests, unmergeTests...)
	tests = append(tests, eraseTests...)
	tests = append(tests, auditTests...)
	tests = append(tests, importTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

type storeTest struct {
	name string
	fn   func(t *testing.T, s herken.Store)
}

var (
	ctx   = context.Background()
	epoch = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
)

// Phone and friends build canonical identifiers without a Normalizer: the
// store must not care how they were made.
func Phone(e164 string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindPhone, Value: e164}
}

func Email(addr string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindEmail, Value: addr}
}

func External(id string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindExternalID, Value: id}
}

func Social(p identity.Platform, value string) identity.Identifier {
	return identity.Identifier{Kind: identity.KindSocial, Platform: p, Value: value}
}

// NewCustomer returns a customer ready to store, holding ids.
func NewCustomer(name string, ids ...identity.Identifier) herken.Customer {
	c := herken.Customer{
		ID:                herken.NewID(),
		DisplayName:       name,
		PreferredLanguage: "nl",
		Tags:              []string{"demo"},
		HandoverNote:      "belt liever na 17:00",
		CreateTime:        epoch,
		UpdateTime:        epoch,
		Revision:          1,
	}
	for _, id := range ids {
		c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: id, LinkTime: epoch})
	}
	return c
}

func mustCreate(t *testing.T, s herken.Store, c herken.Customer) herken.Customer {
	t.Helper()
	got, err := s.CreateCustomer(ctx, c, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	return got
}

func newInteraction(at time.Time, summary string) herken.Interaction {
	return herken.Interaction{
		ID:      herken.NewID(),
		Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
		OccurTime: at, Agent: "agent-042", Summary: summary, CreateTime: at, Duration: 3 * time.Minute,
	}
}

func mustAppend(t *testing.T, s herken.Store, cid string, in herken.Interaction) herken.Interaction {
	t.Helper()
	got, err := s.AppendInteraction(ctx, herken.Target{CustomerID: cid}, in, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("AppendInteraction: %v", err)
	}
	return got
}

func single(h [][]string) string {
	if len(h) == 1 && len(h[0]) == 1 {
		return h[0][0]
	}
	return ""
}

func mustMatch(t *testing.T, s herken.Store, ids []identity.Identifier, limit int) herken.Snapshot {
	t.Helper()
	snap, err := s.Match(ctx, ids, herken.MatchOptions{HistoryLimit: limit}, single)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	return snap
}

func wantErr(t *testing.T, err, want error) *herken.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	e, _ := herken.AsError(err)
	return e
}

func testCreateGet(t *testing.T, s herken.Store) {
	c := NewCustomer("Jan de Vries", Phone("+31612345678"), Email("jan@example.nl"), Social(identity.PlatformX, "x:jandevries"))
	mustCreate(t, s, c)
	got, err := s.GetCustomer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
	}
}

func testGetUnknown(t *testing.T, s herken.Store) {
	for _, id := range []string{herken.NewID(), "", "not-an-id", "../c/x"} {
		_, err := s.GetCustomer(ctx, id)
		wantErr(t, err, herken.ErrCustomerNotFound)
	}
}

func testExclusiveIdentifier(t *testing.T, s herken.Store) {
	first := mustCreate(t, s, NewCustomer("A", External("K-1")))
	second := NewCustomer("B", Phone("+31612345678"), External("K-1"))
	before := digestOf(t, s)
	_, err := s.CreateCustomer(ctx, second, herken.WriteOptions{})
	wantErr(t, err, herken.ErrAlreadyLinked)
	if digestOf(t, s) != before {
		t.Fatal("a refused create wrote something")
	}
	// The store says which identifier and who holds it, as values: field
	// paths and resource names are the caller's business.
	var ie *herken.IdentifierError
	if !errors.As(err, &ie) || ie.Index != 1 || ie.Holder != first.ID {
		t.Fatalf("error detail: %#v, want IdentifierError{Index: 1, Holder: %s}", ie, first.ID)
	}
	if de, _ := herken.AsError(err); de.Field != "" {
		t.Fatalf("store error names a field: %q", de.Field)
	}
	// Nothing of the failed create may be visible: not the customer, not
	// its other identifier.
	if _, err := s.GetCustomer(ctx, second.ID); !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("failed create left a customer: %v", err)
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678"), External("K-1")}, 0)
	if len(snap.Holders[0]) != 0 || len(snap.Holders[1]) != 1 {
		t.Fatalf("holders after failed create: %v", snap.Holders)
	}
}

func testSharedIdentifier(t *testing.T, s herken.Store) {
	line := Phone("+31201234567")
	a := mustCreate(t, s, NewCustomer("Anna Bakker", line, Phone("+31611111111")))
	b := mustCreate(t, s, NewCustomer("Pieter Bakker", line))
	var seen [][]string
	snap, err := s.Match(ctx, []identity.Identifier{line}, herken.MatchOptions{HistoryLimit: 10}, func(h [][]string) string {
		seen = h
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(snap.Holders) != fmt.Sprint([][]string{{a.ID, b.ID}}) || fmt.Sprint(seen) != fmt.Sprint(snap.Holders) {
		t.Fatalf("holders %v (focus saw %v), want [[%s %s]]", snap.Holders, seen, a.ID, b.ID)
	}
	if len(snap.Customers) != 2 || snap.Customers[b.ID].DisplayName != "Pieter Bakker" || snap.Focus != "" || snap.History != nil {
		t.Fatalf("snapshot: %+v", snap)
	}
}

func testShareLimit(t *testing.T, s herken.Store) {
	line := Email("info@example.nl")
	for i := 0; i < herken.MaxHoldersPerIdentity; i++ {
		mustCreate(t, s, NewCustomer(fmt.Sprint("holder ", i), line))
	}
	before := digestOf(t, s)
	_, err := s.CreateCustomer(ctx, NewCustomer("one too many", line), herken.WriteOptions{})
	wantErr(t, err, herken.ErrShareLimit)
	if digestOf(t, s) != before {
		t.Fatal("a refused create wrote something")
	}
	if ie := new(herken.IdentifierError); !errors.As(err, &ie) || ie.Index != 0 || ie.Holder != "" {
		t.Fatalf("error detail: %#v, want IdentifierError{Index: 0}", ie)
	}
	snap := mustMatch(t, s, []identity.Identifier{line}, 0)
	if len(snap.Holders[0]) != herken.MaxHoldersPerIdentity {
		t.Fatalf("holders = %d", len(snap.Holders[0]))
	}
}

func testCreateIdempotent(t *testing.T, s herken.Store) {
	idem := herken.Idempotency{Key: "req-1", Fingerprint: []byte("fp-1"), TTL: time.Hour}
	first, err := s.CreateCustomer(ctx, NewCustomer("Jan", Phone("+31612345678")), herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	// A retry carries a fresh id (the service makes one per call) but must
	// return the first customer and link nothing new.
	retry, err := s.CreateCustomer(ctx, NewCustomer("Jan", Phone("+31612345678")), herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	if retry.ID != first.ID {
		t.Fatalf("retry created %s, want %s", retry.ID, first.ID)
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 0)
	if len(snap.Holders[0]) != 1 {
		t.Fatalf("retry linked again: %v", snap.Holders)
	}
	idem.Fingerprint = []byte("fp-2")
	_, err = s.CreateCustomer(ctx, NewCustomer("Piet"), herken.WriteOptions{Idempotency: idem})
	wantErr(t, err, herken.ErrRequestIDReused)
}

func testMatchUnknown(t *testing.T, s herken.Store) {
	mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	called := false
	snap, err := s.Match(ctx, []identity.Identifier{Phone("+31687654321")}, herken.MatchOptions{HistoryLimit: 10}, func(h [][]string) string {
		called = true
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Holders) != 1 || len(snap.Holders[0]) != 0 || len(snap.Customers) != 0 || snap.Focus != "" {
		t.Fatalf("snapshot for unknown: %+v", snap)
	}
	if !called {
		t.Fatal("focus not consulted")
	}
}

func testHistoryNewestFirst(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	other := mustCreate(t, s, NewCustomer("Kees", Phone("+31622222222")))
	mustAppend(t, s, other.ID, newInteraction(epoch.Add(time.Hour), "other customer"))
	// Recorded out of order: history is ordered by when contacts happened.
	for _, h := range []int{3, 1, 4, 2, 5} {
		mustAppend(t, s, c.ID, newInteraction(epoch.Add(time.Duration(h)*time.Minute), fmt.Sprint("contact ", h)))
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 3)
	if snap.Focus != c.ID {
		t.Fatalf("focus = %q", snap.Focus)
	}
	var got []string
	for _, in := range snap.History {
		got = append(got, in.Summary)
		if in.CustomerID != c.ID || in.ID == "" {
			t.Fatalf("interaction ids: %+v", in)
		}
	}
	if fmt.Sprint(got) != "[contact 5 contact 4 contact 3]" {
		t.Fatalf("history = %v", got)
	}
	all := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 100)
	if len(all.History) != 5 {
		t.Fatalf("history length %d, want 5 (and none of the other customer's)", len(all.History))
	}
}

func testAppendByIdentifier(t *testing.T, s herken.Store) {
	line := Phone("+31201234567")
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678"), line))
	in := newInteraction(epoch, "by phone")
	in.Identifier = Phone("+31612345678")
	got, err := s.AppendInteraction(ctx, herken.Target{Identifier: Phone("+31612345678")}, in, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != c.ID || got.Identifier != in.Identifier {
		t.Fatalf("appended %+v", got)
	}
	in.ID = herken.NewID()
	before := digestOf(t, s)
	_, err = s.AppendInteraction(ctx, herken.Target{Identifier: Phone("+31699999999")}, in, herken.WriteOptions{})
	wantErr(t, err, herken.ErrIdentifierNotFound)
	if digestOf(t, s) != before {
		t.Fatal("a refused append wrote something")
	}
	mustCreate(t, s, NewCustomer("Partner", line))
	before = digestOf(t, s)
	_, err = s.AppendInteraction(ctx, herken.Target{Identifier: line}, in, herken.WriteOptions{})
	wantErr(t, err, herken.ErrAmbiguous)
	if digestOf(t, s) != before {
		t.Fatal("a refused append wrote something")
	}
}

func testAppendUnknownCustomer(t *testing.T, s herken.Store) {
	for _, id := range []string{herken.NewID(), "bogus"} {
		_, err := s.AppendInteraction(ctx, herken.Target{CustomerID: id}, newInteraction(epoch, "x"), herken.WriteOptions{})
		wantErr(t, err, herken.ErrCustomerNotFound)
	}
}

func testLastContactMovesForward(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	late := newInteraction(epoch.Add(time.Hour), "late")
	late.Channel = herken.ChannelWhatsApp
	mustAppend(t, s, c.ID, late)
	mustAppend(t, s, c.ID, newInteraction(epoch, "back-filled"))
	got, err := s.GetCustomer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastContactTime.Equal(late.OccurTime) || got.LastContactChannel != herken.ChannelWhatsApp {
		t.Fatalf("last contact %v %v", got.LastContactTime, got.LastContactChannel)
	}
	if got.Revision != c.Revision || !got.UpdateTime.Equal(c.UpdateTime) {
		t.Fatalf("recording an interaction changed the etag: %d → %d", c.Revision, got.Revision)
	}
}

func testAppendIdempotent(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	idem := herken.Idempotency{Key: "call-7", Fingerprint: []byte("a"), TTL: time.Hour}
	first, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, newInteraction(epoch, "once"), herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, newInteraction(epoch, "once"), herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Fatalf("retry recorded %s, want %s", again.ID, first.ID)
	}
	idem.Fingerprint = []byte("b")
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, newInteraction(epoch, "other"), herken.WriteOptions{Idempotency: idem})
	wantErr(t, err, herken.ErrRequestIDReused)
}

func testConcurrentExclusiveLink(t *testing.T, s herken.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := NewCustomer(fmt.Sprint("racer ", i), External("K-RACE"), Phone("+3161234567"+fmt.Sprint(i)))
			ids[i] = c.ID
			_, errs[i] = s.CreateCustomer(ctx, c, herken.WriteOptions{})
		}(i)
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case errors.Is(err, herken.ErrAlreadyLinked):
			if _, gerr := s.GetCustomer(ctx, ids[i]); !errors.Is(gerr, herken.ErrCustomerNotFound) {
				t.Fatalf("loser %d is visible", i)
			}
		default:
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	snap := mustMatch(t, s, []identity.Identifier{External("K-RACE")}, 0)
	if winners != 1 || len(snap.Holders[0]) != 1 {
		t.Fatalf("winners = %d, holders = %v", winners, snap.Holders)
	}
}

func testConcurrentAppends(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	const n = 16
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, newInteraction(epoch.Add(time.Duration(i)*time.Second), "c"), herken.WriteOptions{}); err != nil {
				t.Errorf("append %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 100)
	if len(snap.History) != n {
		t.Fatalf("history %d, want %d", len(snap.History), n)
	}
	got, _ := s.GetCustomer(ctx, c.ID)
	if !got.LastContactTime.Equal(epoch.Add((n - 1) * time.Second)) {
		t.Fatalf("last contact %v", got.LastContactTime)
	}
}

// testRecentCopiesInStep: a store may answer small histories from copies
// (the Badger store keeps the newest ten in the customer record); they must
// always equal what a full read gives, after appends out of order,
// feedback, purges and promise changes.
func testRecentCopiesInStep(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	for _, h := range []int{5, 1, 14, 3, 12, 7, 9, 2, 11, 4, 13, 6, 8, 10, 0} {
		mustAppend(t, s, c.ID, newInteraction(epoch.Add(time.Duration(h)*time.Hour), fmt.Sprint("h", h)))
	}
	check := func(stage string) {
		t.Helper()
		full := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 100)
		for _, limit := range []int{1, 5, 10, 11} {
			part := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, limit)
			want := full.History[:min(limit, len(full.History))]
			if !reflect.DeepEqual(part.History, want) {
				t.Fatalf("%s: limit %d:\n got %v\nwant %v", stage, limit, part.History, want)
			}
		}
		snapA, _ := s.Match(ctx, []identity.Identifier{Phone("+31612345678")}, herken.MatchOptions{HistoryLimit: 3, CountSince: epoch.Add(6 * time.Hour), CountMax: 1000}, single)
		want := 0
		for _, in := range full.History {
			if !in.OccurTime.Before(epoch.Add(6 * time.Hour)) {
				want++
			}
		}
		if snapA.Counted != want {
			t.Fatalf("%s: counted %d, want %d", stage, snapA.Counted, want)
		}
	}
	check("after appends")
	newest := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 1).History[0]
	if _, err := s.UpdateInteraction(ctx, c.ID, newest.ID, func(in *herken.Interaction) error {
		in.Feedback = &herken.Feedback{Score: 4, SubmitTime: epoch}
		return nil
	}, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	check("after feedback")
	if got := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 1).History[0]; got.Feedback == nil || got.Feedback.Score != 4 {
		t.Fatalf("feedback not visible in a short history: %+v", got)
	}
	if n, _, err := s.PurgeInteractions(ctx, epoch.Add(7*time.Hour), 100, herken.WriteOptions{}); err != nil || n != 7 {
		t.Fatalf("purge: %d %v", n, err)
	}
	check("after purge")
	if n, _, err := s.PurgeInteractions(ctx, epoch.Add(13*time.Hour), 100, herken.WriteOptions{}); err != nil || n != 6 {
		t.Fatalf("second purge: %d %v", n, err)
	}
	check("after purging into the recent copies")
	if got := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 100).History; len(got) != 2 {
		t.Fatalf("%d left, want 2", len(got))
	}
}

// testValuesAreCopies: a store keeps no reference to what a caller passes
// in, gets back or sees in a callback; changing those changes nothing
// stored.
func testValuesAreCopies(t *testing.T, s herken.Store) {
	phone := Phone("+31612345678")
	c := NewCustomer("Jan", phone)
	created := mustCreate(t, s, c)
	c.Tags[0], c.Identifiers[0].Value = "changed", "changed"
	created.Tags[0], created.Identifiers[0].Value = "changed", "changed"
	if got, err := s.GetCustomer(ctx, c.ID); err != nil {
		t.Fatal(err)
	} else {
		got.Tags[0] = "changed"
	}
	fb := &herken.Feedback{Score: 3, SubmitTime: epoch}
	in := newInteraction(epoch, "gebeld")
	in.Feedback = fb
	appended := mustAppend(t, s, c.ID, in)
	fb.Score, appended.Feedback.Score = 1, 1
	var kept *herken.Feedback
	updated, err := s.UpdateInteraction(ctx, c.ID, in.ID, func(x *herken.Interaction) error {
		kept = x.Feedback
		x.Feedback.Comment = "ok"
		return nil
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kept.Comment, updated.Feedback.Comment = "changed", "changed"
	snap, err := s.Match(ctx, []identity.Identifier{phone}, herken.MatchOptions{HistoryLimit: 10}, func(h [][]string) string {
		id := h[0][0]
		h[0][0] = "changed"
		return id
	})
	if err != nil {
		t.Fatal(err)
	}
	snap.History[0].Feedback.Score = 5
	snap.Customers[c.ID].Tags[0] = "changed"
	list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 10})
	list[0].Feedback.Score = 5

	snap = mustMatch(t, s, []identity.Identifier{phone}, 10)
	cust := snap.Customers[snap.Focus]
	if snap.Focus != c.ID || cust.Tags[0] != "demo" || cust.Identifiers[0].Value != "+31612345678" {
		t.Fatalf("stored customer changed through a caller's copy: %q %+v", snap.Focus, cust)
	}
	if f := snap.History[0].Feedback; f == nil || f.Score != 3 || f.Comment != "ok" {
		t.Fatalf("stored feedback changed through a caller's pointer: %+v", f)
	}
}
