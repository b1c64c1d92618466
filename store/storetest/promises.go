package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// promiseTests cover promises and their indexes.
var promiseTests = []storeTest{
	{"PromiseCreateGet", testPromiseCreateGet},
	{"PromiseByIdentifier", testPromiseByIdentifier},
	{"PromiseInteractionMustExist", testPromiseInteractionMustExist},
	{"PromiseUpdateMovesIndexes", testPromiseUpdateMovesIndexes},
	{"PromiseListCustomer", testPromiseListCustomer},
	{"PromiseListAllPaged", testPromiseListAllPaged},
	{"PromiseListByOwner", testPromiseListByOwner},
	{"PromiseListOverdueAsOfFirstPage", testPromiseListOverdueAsOfFirstPage},
	{"PromisePageTokenChecked", testPromisePageTokenChecked},
	{"PromiseBreakOverdue", testPromiseBreakOverdue},
	{"PromiseIdempotent", testPromiseIdempotent},
	{"MatchReadsOpenPromisesAndCounts", testMatchReadsOpenPromisesAndCounts},
}

// NewPromise returns an OPEN promise due at due, ready to store.
func NewPromise(kind herken.PromiseKind, due time.Time, owner string) herken.Promise {
	return herken.Promise{
		ID: herken.NewID(), Kind: kind, Description: "terugbellen over factuur", DueTime: due, Owner: owner,
		Channel: herken.ChannelPhone, State: herken.PromiseOpen, StateTime: epoch, CreateTime: epoch,
	}
}

func mustPromise(t *testing.T, s herken.Store, cid string, p herken.Promise) herken.Promise {
	t.Helper()
	got, err := s.CreatePromise(ctx, herken.Target{CustomerID: cid}, p, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("CreatePromise: %v", err)
	}
	return got
}

func listAll(t *testing.T, s herken.Store, q herken.PromiseQuery) []herken.Promise {
	t.Helper()
	var out []herken.Promise
	for pages := 0; ; pages++ {
		page, next, err := s.ListPromises(ctx, q)
		if err != nil {
			t.Fatalf("ListPromises: %v", err)
		}
		if len(page) > q.PageSize {
			t.Fatalf("page of %d, size %d", len(page), q.PageSize)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		q.PageToken = next
	}
}

func ids(ps []herken.Promise) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Description
	}
	return out
}

func keep(p *herken.Promise) error {
	p.State, p.StateActor, p.StateTime = herken.PromiseKept, "agent-1", epoch.Add(time.Hour)
	return nil
}

func testPromiseCreateGet(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	p := NewPromise(herken.PromiseCallback, epoch.Add(2*time.Hour), "team-billing")
	p.WindowStart = epoch.Add(time.Hour)
	got := mustPromise(t, s, c.ID, p)
	if got.ID == "" || got.CustomerID != c.ID || !herken.ValidID(got.ID) {
		t.Fatalf("created %+v", got)
	}
	back, err := s.GetPromise(ctx, c.ID, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back) != fmt.Sprint(got) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, got)
	}
	for _, bad := range [][2]string{{c.ID, "000000000000000000000000"}, {c.ID, "nope"}, {herken.NewID(), got.ID}} {
		if _, err := s.GetPromise(ctx, bad[0], bad[1]); !errors.Is(err, herken.ErrPromiseNotFound) {
			t.Fatalf("GetPromise(%q, %q) = %v", bad[0], bad[1], err)
		}
	}
	_, err = s.CreatePromise(ctx, herken.Target{CustomerID: herken.NewID()}, p, herken.WriteOptions{})
	wantErr(t, err, herken.ErrCustomerNotFound)
}

func testPromiseByIdentifier(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	p := NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), "")
	p.ContactIdentifier = Phone("+31612345678")
	got, err := s.CreatePromise(ctx, herken.Target{Identifier: Phone("+31612345678")}, p, herken.WriteOptions{})
	if err != nil || got.CustomerID != c.ID || got.ContactIdentifier != p.ContactIdentifier {
		t.Fatalf("by identifier: %+v %v", got, err)
	}
	_, err = s.CreatePromise(ctx, herken.Target{Identifier: Phone("+31600000001")}, p, herken.WriteOptions{})
	wantErr(t, err, herken.ErrIdentifierNotFound)
}

func testPromiseInteractionMustExist(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	in := mustAppend(t, s, c.ID, newInteraction(epoch, "belde over factuur"))
	theirs := mustAppend(t, s, other.ID, newInteraction(epoch, "ander"))
	p := NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), "")
	p.InteractionID = in.ID
	if got := mustPromise(t, s, c.ID, p); got.InteractionID != in.ID {
		t.Fatalf("interaction not kept: %+v", got)
	}
	before := digestOf(t, s)
	for _, id := range []string{theirs.ID, "000000000000000000000000", "junk"} {
		p.InteractionID = id
		_, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, p, herken.WriteOptions{})
		wantErr(t, err, herken.ErrInteractionNotFound)
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused promise wrote something")
	}
}

func testPromiseUpdateMovesIndexes(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	p := mustPromise(t, s, c.ID, NewPromise(herken.PromiseRefund, epoch.Add(time.Hour), "team-billing"))
	open := herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 10}
	if n := len(listAll(t, s, open)); n != 1 {
		t.Fatalf("open before keep: %d", n)
	}
	got, err := s.UpdatePromise(ctx, c.ID, p.ID, keep, herken.WriteOptions{})
	if err != nil || got.State != herken.PromiseKept {
		t.Fatalf("keep: %+v %v", got, err)
	}
	// Gone from every open index: all customers, by owner, and the customer's own.
	owner := open
	owner.Owner = "team-billing"
	snap, _ := s.Match(ctx, []identity.Identifier{Phone("+31612345678")}, herken.MatchOptions{OpenPromiseLimit: 10}, single)
	if len(listAll(t, s, open)) != 0 || len(listAll(t, s, owner)) != 0 || len(snap.Promises) != 0 {
		t.Fatal("kept promise still listed as open")
	}
	kept := listAll(t, s, herken.PromiseQuery{CustomerID: c.ID, State: herken.PromiseKept, PageSize: 10})
	if len(kept) != 1 {
		t.Fatalf("kept list %d", len(kept))
	}
	sentinel := errors.New("refused")
	before := digestOf(t, s)
	if _, err := s.UpdatePromise(ctx, c.ID, p.ID, func(p *herken.Promise) error { p.State = herken.PromiseOpen; return sentinel }, herken.WriteOptions{}); !errors.Is(err, sentinel) {
		t.Fatalf("fn error not returned: %v", err)
	}
	if digestOf(t, s) != before {
		t.Fatal("an aborted update wrote something")
	}
	if _, err := s.UpdatePromise(ctx, c.ID, "000000000000000000000000", keep, herken.WriteOptions{}); !errors.Is(err, herken.ErrPromiseNotFound) {
		t.Fatalf("update of unknown promise: %v", err)
	}
}

func testPromiseListCustomer(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	other := mustCreate(t, s, NewCustomer("Kees"))
	for _, h := range []int{3, 1, 2} {
		p := NewPromise(herken.PromiseDelivery, epoch.Add(time.Duration(h)*time.Hour), "")
		p.Description = fmt.Sprint("p", h)
		mustPromise(t, s, c.ID, p)
	}
	mustPromise(t, s, other.ID, NewPromise(herken.PromiseDelivery, epoch, ""))
	got := ids(listAll(t, s, herken.PromiseQuery{CustomerID: c.ID, PageSize: 2}))
	if fmt.Sprint(got) != "[p1 p2 p3]" {
		t.Fatalf("by due time: %v", got)
	}
	got = ids(listAll(t, s, herken.PromiseQuery{CustomerID: c.ID, PageSize: 10, DueBefore: epoch.Add(150 * time.Minute)}))
	if fmt.Sprint(got) != "[p1 p2]" {
		t.Fatalf("due before: %v", got)
	}
	_, _, err := s.ListPromises(ctx, herken.PromiseQuery{CustomerID: herken.NewID(), PageSize: 10})
	wantErr(t, err, herken.ErrCustomerNotFound)
}

func testPromiseListAllPaged(t *testing.T, s herken.Store) {
	const n = 23
	for i := 0; i < n; i++ {
		c := mustCreate(t, s, NewCustomer(fmt.Sprint("klant ", i)))
		p := NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(n-i)*time.Minute), "")
		p.Description = fmt.Sprintf("%02d", n-i)
		mustPromise(t, s, c.ID, p)
	}
	all := listAll(t, s, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 5})
	if len(all) != n {
		t.Fatalf("listed %d of %d", len(all), n)
	}
	for i, p := range all {
		if p.Description != fmt.Sprintf("%02d", i+1) || p.CustomerDisplayName == "" {
			t.Fatalf("position %d: %+v", i, p)
		}
	}
}

func testPromiseListByOwner(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	for i, owner := range []string{"team-a", "team-b", "team-a", "team-ab"} {
		p := NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i)*time.Minute), owner)
		p.Description = fmt.Sprint(owner, "#", i)
		mustPromise(t, s, c.ID, p)
	}
	got := ids(listAll(t, s, herken.PromiseQuery{State: herken.PromiseOpen, Owner: "team-a", PageSize: 1}))
	if fmt.Sprint(got) != "[team-a#0 team-a#2]" {
		t.Fatalf("by owner: %v", got)
	}
}

func testPromiseListOverdueAsOfFirstPage(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	for i := 0; i < 6; i++ {
		mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i)*time.Hour), ""))
	}
	q := herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 2, OverdueAt: epoch.Add(150 * time.Minute)}
	page, next, err := s.ListPromises(ctx, q)
	if err != nil || len(page) != 2 || next == "" {
		t.Fatalf("first page: %d %q %v", len(page), next, err)
	}
	// Time moves on between pages; the list stays the one of the first page.
	q.OverdueAt, q.PageToken = epoch.Add(10*time.Hour), next
	page, next, err = s.ListPromises(ctx, q)
	if err != nil || len(page) != 1 || next != "" {
		t.Fatalf("second page: %d %q %v", len(page), next, err)
	}
}

func testPromisePageTokenChecked(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	for i := 0; i < 3; i++ {
		mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i)*time.Hour), "team-a"))
	}
	q := herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 1}
	_, next, err := s.ListPromises(ctx, q)
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	other := q
	other.Owner, other.PageToken = "team-a", next
	_, _, err = s.ListPromises(ctx, other)
	wantErr(t, err, herken.ErrPageToken)
	for _, forged := range []string{"abc", next[:len(next)-2], next + "AA", "!!!", string(make([]byte, 5000))} {
		q.PageToken = forged
		_, _, err = s.ListPromises(ctx, q)
		wantErr(t, err, herken.ErrPageToken)
	}
}

func testPromiseBreakOverdue(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	late1 := mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(-3*time.Hour), ""))
	mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(-2*time.Hour), ""))
	keptLate := mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(-150*time.Minute), ""))
	mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), ""))
	if _, err := s.UpdatePromise(ctx, c.ID, keptLate.ID, keep, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	broken := func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		if !p.Breakable(epoch.Add(-time.Hour)) {
			return p, herken.Interaction{}, false
		}
		p.State, p.StateActor, p.StateTime = herken.PromiseBroken, herken.SystemActor, epoch
		return p, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound,
			Outcome: herken.OutcomeFollowUp, OccurTime: epoch, CreateTime: epoch, Agent: herken.SystemActor, Summary: "broken", PromiseID: p.ID}, true
	}
	n, more, err := s.BreakOverdue(ctx, epoch.Add(-time.Hour), 1, broken, herken.WriteOptions{})
	if err != nil || n != 1 || !more {
		t.Fatalf("first run: %d %v %v", n, more, err)
	}
	n, more, err = s.BreakOverdue(ctx, epoch.Add(-time.Hour), 10, broken, herken.WriteOptions{})
	if err != nil || n != 1 || more {
		t.Fatalf("second run: %d %v %v", n, more, err)
	}
	if got, _ := s.GetPromise(ctx, c.ID, late1.ID); got.State != herken.PromiseBroken || got.StateActor != herken.SystemActor {
		t.Fatalf("oldest not broken: %+v", got)
	}
	if got, _ := s.GetPromise(ctx, c.ID, keptLate.ID); got.State != herken.PromiseKept {
		t.Fatalf("kept promise touched: %+v", got)
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 10)
	events := 0
	for _, in := range snap.History {
		if in.Channel == herken.ChannelSystem && in.PromiseID != "" {
			events++
		}
	}
	got, _ := s.GetCustomer(ctx, c.ID)
	if events != 2 || !got.LastContactTime.IsZero() {
		t.Fatalf("history events %d, last contact %v (a system event is no contact)", events, got.LastContactTime)
	}
	open := listAll(t, s, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 10})
	if len(open) != 1 {
		t.Fatalf("open after sweep: %d", len(open))
	}
}

func testPromiseIdempotent(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan"))
	idem := herken.Idempotency{Key: "ivr-1", Fingerprint: []byte("a"), TTL: time.Hour}
	p := NewPromise(herken.PromiseCallback, epoch, "")
	first, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, p, herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, p, herken.WriteOptions{Idempotency: idem})
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if n := len(listAll(t, s, herken.PromiseQuery{CustomerID: c.ID, PageSize: 10})); n != 1 {
		t.Fatalf("retry created another: %d", n)
	}
}

func testMatchReadsOpenPromisesAndCounts(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	for d := 0; d < 40; d++ {
		mustAppend(t, s, c.ID, newInteraction(epoch.Add(-time.Duration(d)*24*time.Hour), fmt.Sprint("dag ", d)))
	}
	// System events (a promise marked broken) are history, not contacts:
	// they are never counted.
	for _, at := range []time.Time{epoch.Add(-time.Hour), epoch.Add(-48 * time.Hour)} {
		sys := newInteraction(at, "systeem")
		sys.Channel, sys.Direction, sys.Outcome = herken.ChannelSystem, herken.DirectionOutbound, herken.OutcomeFollowUp
		mustAppend(t, s, c.ID, sys)
	}
	for i := 0; i < 3; i++ {
		mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i)*time.Hour), ""))
	}
	snap, err := s.Match(ctx, []identity.Identifier{Phone("+31612345678")}, herken.MatchOptions{
		HistoryLimit: 5, CountSince: epoch.Add(-30 * 24 * time.Hour), CountMax: 1000, OpenPromiseLimit: 2,
	}, single)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.History) != 5 || snap.Counted != 31 || len(snap.Promises) != 2 {
		t.Fatalf("history %d, counted %d (want 31), promises %d", len(snap.History), snap.Counted, len(snap.Promises))
	}
	if !snap.Promises[0].DueTime.Before(snap.Promises[1].DueTime) {
		t.Fatal("open promises not by due time")
	}
	capped, _ := s.Match(ctx, []identity.Identifier{Phone("+31612345678")}, herken.MatchOptions{
		HistoryLimit: 1, CountSince: epoch.Add(-30 * 24 * time.Hour), CountMax: 7,
	}, single)
	if capped.Counted != 7 || len(capped.History) != 1 {
		t.Fatalf("capped count %d history %d", capped.Counted, len(capped.History))
	}
	// A short history (a store may answer it from copies it keeps) counts
	// contacts only too.
	anna := mustCreate(t, s, NewCustomer("Anna", Phone("+31687654321")))
	for d := 0; d < 3; d++ {
		mustAppend(t, s, anna.ID, newInteraction(epoch.Add(-time.Duration(d)*time.Hour), fmt.Sprint("uur ", d)))
		sys := newInteraction(epoch.Add(-time.Duration(d)*time.Hour-time.Minute), "systeem")
		sys.Channel = herken.ChannelSystem
		mustAppend(t, s, anna.ID, sys)
	}
	short, err := s.Match(ctx, []identity.Identifier{Phone("+31687654321")}, herken.MatchOptions{
		HistoryLimit: 10, CountSince: epoch.Add(-30 * 24 * time.Hour), CountMax: 1000,
	}, single)
	if err != nil || short.Counted != 3 || len(short.History) != 6 {
		t.Fatalf("short history: counted %d (want 3 contacts), history %d, %v", short.Counted, len(short.History), err)
	}
}

// digestOf fingerprints a store that can tell; others compare as equal.
func digestOf(t *testing.T, s herken.Store) string {
	t.Helper()
	d, ok := s.(interface{ Digest() ([]byte, error) })
	if !ok {
		return ""
	}
	b, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
