package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// The storage-neutral parts of the contract: ids are the caller's and
// opaque, order is the store's job, whatever the ids look like.
var contractTests = []storeTest{
	{"IDsAreTheCallers", testIDsAreTheCallers},
	{"HistoryOrderIgnoresIDs", testHistoryOrderIgnoresIDs},
	{"PromiseDueTimeMoves", testPromiseDueTimeMoves},
	{"DuplicateIDRefused", testDuplicateIDRefused},
}

// testIDsAreTheCallers: whatever shape a valid id has (the domain's
// NewID, or an older 24-hex-digit id), the store keeps it as given and
// finds the record by it.
func testIDsAreTheCallers(t *testing.T, s herken.Store) {
	// Customer ids of other lengths than NewID's, sharing a long prefix.
	for i, id := range []string{"customer0000000001", "customer0000000002", "c", strings.Repeat("z", herken.MaxIDLen)} {
		other := NewCustomer(fmt.Sprint("klant ", i), Phone(fmt.Sprintf("+3161000000%d", i)))
		other.ID = id
		if got := mustCreate(t, s, other); got.ID != id {
			t.Fatalf("customer id %q stored as %q", id, got.ID)
		}
		for j := 0; j <= i; j++ {
			mustAppend(t, s, id, newInteraction(epoch.Add(time.Duration(j)*time.Minute), fmt.Sprint(j)))
		}
		if got, err := s.GetCustomer(ctx, id); err != nil || got.ID != id || !got.LastContactTime.Equal(epoch.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("GetCustomer(%q) = %+v, %v", id, got, err)
		}
	}
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	for _, id := range []string{herken.NewID(), "7fffe5f3a1b2c3d4e5f60718", "z"} {
		in := newInteraction(epoch, "id "+id)
		in.ID = id
		got := mustAppend(t, s, c.ID, in)
		if got.ID != id {
			t.Fatalf("interaction id %q stored as %q", id, got.ID)
		}
		fb := func(x *herken.Interaction) error { x.Summary = "updated " + id; return nil }
		if upd, err := s.UpdateInteraction(ctx, c.ID, id, fb, herken.WriteOptions{}); err != nil || upd.ID != id || upd.Summary != "updated "+id {
			t.Fatalf("UpdateInteraction(%q) = %+v, %v", id, upd, err)
		}
		p := NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), "")
		p.ID, p.InteractionID = id, id
		if got := mustPromise(t, s, c.ID, p); got.ID != id {
			t.Fatalf("promise id %q stored as %q", id, got.ID)
		}
		if got, err := s.GetPromise(ctx, c.ID, id); err != nil || got.ID != id || got.InteractionID != id {
			t.Fatalf("GetPromise(%q) = %+v, %v", id, got, err)
		}
	}
}

// testHistoryOrderIgnoresIDs: history is newest first by occur time (ties
// by id), not in the order the ids would sort.
func testHistoryOrderIgnoresIDs(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	// Ids that sort against the time order.
	for i, id := range []string{"a", "b", "c", "d"} {
		in := newInteraction(epoch.Add(-time.Duration(i)*time.Minute), id)
		in.ID = id
		mustAppend(t, s, c.ID, in)
	}
	tie := newInteraction(epoch, "0")
	tie.ID = "0"
	mustAppend(t, s, c.ID, tie)
	list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 10})
	if got := summariesOf(list); got != "0,a,b,c,d" {
		t.Fatalf("history %s, want 0,a,b,c,d (newest first, ties by id)", got)
	}
	snap := mustMatch(t, s, []identity.Identifier{Phone("+31612345678")}, 10)
	if got := summariesOf(snap.History); got != "0,a,b,c,d" {
		t.Fatalf("Match history %s, want 0,a,b,c,d", got)
	}
}

// testPromiseDueTimeMoves: a promise whose due time changes moves in every
// list that is ordered by due time.
func testPromiseDueTimeMoves(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	var ps []herken.Promise
	for i := range 3 {
		ps = append(ps, mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i+1)*time.Hour), "agent-1")))
	}
	later := epoch.Add(10 * time.Hour)
	moved, err := s.UpdatePromise(ctx, c.ID, ps[0].ID, func(p *herken.Promise) error { p.DueTime = later; return nil }, herken.WriteOptions{})
	if err != nil || !moved.DueTime.Equal(later) {
		t.Fatalf("UpdatePromise due: %+v, %v", moved, err)
	}
	want := []string{ps[1].ID, ps[2].ID, ps[0].ID}
	for _, q := range []herken.PromiseQuery{
		{CustomerID: c.ID, PageSize: 10},
		{State: herken.PromiseOpen, PageSize: 10},
		{State: herken.PromiseOpen, Owner: "agent-1", PageSize: 10},
		{State: herken.PromiseOpen, PageSize: 1},
	} {
		if got := promiseIDs(listAll(t, s, q)); !slices.Equal(got, want) {
			t.Fatalf("list %+v = %v, want %v", q, got, want)
		}
	}
	if got, err := s.GetPromise(ctx, c.ID, ps[0].ID); err != nil || !got.DueTime.Equal(later) {
		t.Fatalf("GetPromise after move: %+v, %v", got, err)
	}
	snap, err := s.Match(ctx, []identity.Identifier{Phone("+31612345678")}, herken.MatchOptions{OpenPromiseLimit: 10}, single)
	if err != nil {
		t.Fatal(err)
	}
	if got := promiseIDs(snap.Promises); !slices.Equal(got, want) {
		t.Fatalf("Match open promises %v, want %v", got, want)
	}
	// Only the moved promise is overdue-able before its new due time.
	broken := func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		if !p.Breakable(epoch.Add(5 * time.Hour)) {
			return p, herken.Interaction{}, false
		}
		p.State = herken.PromiseBroken
		return p, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound,
			Outcome: herken.OutcomeFollowUp, OccurTime: epoch, CreateTime: epoch, PromiseID: p.ID}, true
	}
	if n, _, err := s.BreakOverdue(ctx, epoch.Add(5*time.Hour), 10, broken, herken.WriteOptions{}); err != nil || n != 2 {
		t.Fatalf("BreakOverdue = %d, %v; want the two promises still due before the cut", n, err)
	}
	if got, _ := s.GetPromise(ctx, c.ID, ps[0].ID); got.State != herken.PromiseOpen {
		t.Fatalf("moved promise broken at its old due time: %+v", got)
	}
}

// testDuplicateIDRefused: a store never overwrites a record because the
// caller reused an id; the write fails and changes nothing.
func testDuplicateIDRefused(t *testing.T, s herken.Store) {
	c := mustCreate(t, s, NewCustomer("Jan", Phone("+31612345678")))
	first := mustAppend(t, s, c.ID, newInteraction(epoch, "first"))
	again := newInteraction(epoch.Add(time.Minute), "again")
	again.ID = first.ID
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, again, herken.WriteOptions{}); err == nil {
		t.Fatal("AppendInteraction with a used id succeeded")
	}
	list, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: c.ID, PageSize: 10})
	if got := summariesOf(list); got != "first" {
		t.Fatalf("history after refused duplicate: %s", got)
	}
	p := mustPromise(t, s, c.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), ""))
	dup := NewPromise(herken.PromiseVisit, epoch.Add(2*time.Hour), "")
	dup.ID = p.ID
	if _, err := s.CreatePromise(ctx, herken.Target{CustomerID: c.ID}, dup, herken.WriteOptions{}); err == nil {
		t.Fatal("CreatePromise with a used id succeeded")
	}
	if got, err := s.GetPromise(ctx, c.ID, p.ID); err != nil || got.Kind != herken.PromiseCallback {
		t.Fatalf("promise after refused duplicate: %+v, %v", got, err)
	}
	if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err == nil || errors.Is(err, herken.ErrAlreadyLinked) {
		t.Fatalf("CreateCustomer with a used id: %v, want an internal error, not a link conflict", err)
	}
}

func promiseIDs(ps []herken.Promise) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
