package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// mergeTests cover MergeCustomers and Merges, with the domain's own plan
// (PlanMerge) as the Service passes it; unmerge.go covers UnmergeCustomer.
var mergeTests = []storeTest{
	{"MergeMovesEverything", testMergeMovesEverything},
	{"MergeCrossCustomerLists", testMergeCrossCustomerLists},
	{"MergeChain", testMergeChain},
	{"MergeRefused", testMergeRefused},
	{"MergesOldestFirst", testMergesOldestFirst},
	{"MergeConcurrentBothWays", testMergeConcurrentBothWays},
}

const mergeActor = "agent-7"

// planMerge is the Service's merge plan at time at.
func planMerge(take herken.CustomerField, at time.Time) func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error) {
	return func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.PlanMerge(survivor, merged, take, at)
	}
}

// planUnmerge is the Service's unmerge plan at time at.
func planUnmerge(at time.Time) func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
	return func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error) {
		return herken.PlanUnmerge(rec, survivor, at)
	}
}

func mustMerge(t *testing.T, s herken.Store, survivorID, mergedID string, at time.Time) herken.Customer {
	t.Helper()
	got, err := s.MergeCustomers(ctx, survivorID, mergedID, planMerge(0, at), herken.WriteOptions{Actor: mergeActor})
	if err != nil {
		t.Fatalf("MergeCustomers(%s ← %s): %v", survivorID, mergedID, err)
	}
	return got
}

func mustUnmerge(t *testing.T, s herken.Store, mergedID string, at time.Time) (survivor, merged herken.Customer) {
	t.Helper()
	survivor, merged, err := s.UnmergeCustomer(ctx, mergedID, planUnmerge(at), herken.WriteOptions{Actor: mergeActor})
	if err != nil {
		t.Fatalf("UnmergeCustomer(%s): %v", mergedID, err)
	}
	return survivor, merged
}

func mustMerges(t *testing.T, s herken.Store, id string) []herken.MergeRecord {
	t.Helper()
	recs, err := s.Merges(ctx, id)
	if err != nil {
		t.Fatalf("Merges(%s): %v", id, err)
	}
	return recs
}

// mergedIDs is who each record says was merged.
func mergedIDs(recs []herken.MergeRecord) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.Merged.ID)
	}
	return out
}

func interactionIDs(list []herken.Interaction) []string {
	out := []string{}
	for _, in := range list {
		out = append(out, in.ID)
	}
	return out
}

// wantNoCustomer checks that every method addressing a customer by id
// answers ErrCustomerNotFound for the merged name id, and writes nothing:
// the Service resolves names first, and that error is what tells it a
// merge landed in between (followMerges).
func wantNoCustomer(t *testing.T, s herken.Store, id, interactionID, promiseID string) {
	t.Helper()
	before := digestOf(t, s)
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, herken.ErrCustomerNotFound) {
			t.Errorf("%s on a merged name: %v, want ErrCustomerNotFound", what, err)
		}
	}
	_, err := s.GetCustomer(ctx, id)
	check("GetCustomer", err)
	_, err = s.UpdateCustomer(ctx, id, func(c *herken.Customer) error { c.DisplayName = "x"; return nil }, herken.WriteOptions{})
	check("UpdateCustomer", err)
	_, _, err = s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: id, PageSize: 10})
	check("ListInteractions", err)
	_, _, err = s.ListPromises(ctx, herken.PromiseQuery{CustomerID: id, PageSize: 10})
	check("ListPromises", err)
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: id}, newInteraction(minuteAt(5), "x"), herken.WriteOptions{})
	check("AppendInteraction", err)
	_, err = s.CreatePromise(ctx, herken.Target{CustomerID: id}, NewPromise(herken.PromiseCallback, epoch, ""), herken.WriteOptions{})
	check("CreatePromise", err)
	_, err = s.GetPromise(ctx, id, promiseID)
	check("GetPromise", err)
	_, err = s.UpdatePromise(ctx, id, promiseID, keep, herken.WriteOptions{})
	check("UpdatePromise", err)
	_, err = s.UpdateInteraction(ctx, id, interactionID, func(x *herken.Interaction) error { x.Summary = "x"; return nil }, herken.WriteOptions{})
	check("UpdateInteraction", err)
	_, err = s.EraseCustomer(ctx, id, dayAt(30), herken.WriteOptions{})
	check("EraseCustomer", err)
	if digestOf(t, s) != before {
		t.Error("a call on a merged name wrote something")
	}
}

// pair is a survivor and the customer to merge into it, with everything a
// merge moves: identifiers (one both hold, one the merged customer shares
// with a third), interactions with unanswered and answered feedback, and
// promises open, overdue, kept and tied to an interaction.
type pair struct {
	sv, mg, third herken.Customer
	idents        []identity.Identifier // every identifier of the three
	svIdents      []identity.Identifier
	mgIdents      []identity.Identifier
	line, hall    identity.Identifier // held by sv and mg; by mg and third
	ext           identity.Identifier // mg's exclusive CRM id
	m1, m3        herken.Interaction  // mg's: unanswered feedback; newest contact
	mp1, mp2      herken.Promise      // mg's: overdue, tied to m1; open, due later
}

func newPair(t *testing.T, s herken.Store) pair {
	t.Helper()
	var p pair
	p.line, p.hall, p.ext = Phone("+31201234567"), Email("familie@example.nl"), External("K-7")
	p.svIdents = []identity.Identifier{Phone("+31611111111"), p.line}
	p.mgIdents = []identity.Identifier{Phone("+31622222222"), p.ext, p.line, p.hall, Social(identity.PlatformX, "x:sjansen")}
	sv := NewCustomer("Sanne Jansen", p.svIdents...)
	sv.HandoverNote = "" // the merged customer's is taken
	mg := NewCustomer("S. Jansen-de Boer", p.mgIdents...)
	mg.Tags, mg.PreferredLanguage, mg.HandoverNote = []string{"vip", "demo"}, "en", "spreekt Engels"
	mg.Identifiers[0].Label = "mobiel"
	mg.Identifiers[1].Source, mg.Identifiers[1].Verified, mg.Identifiers[1].Label = "crm", true, "klantnummer"
	// Created in this order: line is held by [sv mg], hall by [mg third].
	p.sv, p.mg = mustCreate(t, s, sv), mustCreate(t, s, mg)
	p.third = mustCreate(t, s, NewCustomer("Huisgenoot", p.hall))
	p.idents = append(slices.Clone(p.svIdents), p.mgIdents[0], p.mgIdents[1], p.mgIdents[3], p.mgIdents[4])

	s1 := mustAppend(t, s, p.sv.ID, newInteraction(minuteAt(1), "s1"))
	mustAppend(t, s, p.sv.ID, newInteraction(minuteAt(4), "s2"))
	p.m1 = mustAppend(t, s, p.mg.ID, onChannel(newInteraction(minuteAt(2), "m1"), herken.ChannelEmail))
	m2 := mustAppend(t, s, p.mg.ID, newInteraction(minuteAt(3), "m2"))
	p.m3 = mustAppend(t, s, p.mg.ID, onChannel(newInteraction(minuteAt(6), "m3"), herken.ChannelWhatsApp))
	t1 := mustAppend(t, s, p.third.ID, newInteraction(minuteAt(2), "t1"))
	submitFeedback(t, s, t1, minuteAt(9))
	submitFeedback(t, s, p.m1, minuteAt(10))
	submitFeedback(t, s, m2, minuteAt(11))
	answerFeedback(t, s, m2, minuteAt(12))
	submitFeedback(t, s, s1, minuteAt(13))

	promise := func(cid, desc string, kind herken.PromiseKind, due time.Time, owner, interaction string) herken.Promise {
		pr := NewPromise(kind, due, owner)
		pr.Description, pr.InteractionID = desc, interaction
		return mustPromise(t, s, cid, pr)
	}
	p.mp1 = promise(p.mg.ID, "mp1", herken.PromiseCallback, epoch.Add(-time.Hour), "team-a", p.m1.ID)
	p.mp2 = promise(p.mg.ID, "mp2", herken.PromiseDelivery, epoch.Add(5*time.Hour), "team-a", "")
	mp3 := promise(p.mg.ID, "mp3", herken.PromiseRefund, epoch.Add(2*time.Hour), "", "")
	if _, err := s.UpdatePromise(ctx, p.mg.ID, mp3.ID, keep, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	promise(p.sv.ID, "sp1", herken.PromiseCallback, epoch.Add(3*time.Hour), "team-a", "")
	promise(p.third.ID, "tp1", herken.PromiseVisit, epoch.Add(-2*time.Hour), "team-a", t1.ID)
	p.sv, p.mg, p.third = mustGet(t, s, p.sv.ID), mustGet(t, s, p.mg.ID), mustGet(t, s, p.third.ID)
	return p
}

func testMergeMovesEverything(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	svHist, mgHist := historyOf(t, s, p.sv.ID), historyOf(t, s, p.mg.ID)
	svProm, mgProm := promisesOf(t, s, p.sv.ID), promisesOf(t, s, p.mg.ID)
	var planned []string
	got, err := s.MergeCustomers(ctx, p.sv.ID, p.mg.ID, func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
		planned = []string{showCustomer(sv, false), showCustomer(mg, false)}
		return herken.PlanMerge(sv, mg, 0, dayAt(1))
	}, herken.WriteOptions{Actor: mergeActor})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{showCustomer(p.sv, false), showCustomer(p.mg, false)}; !slices.Equal(planned, want) {
		t.Fatalf("plan got:\n%s\nwant both records as stored:\n%s", planned, want)
	}
	want, _, _ := herken.PlanMerge(p.sv, p.mg, 0, dayAt(1))
	if showCustomer(got, false) != showCustomer(want, false) {
		t.Fatalf("survivor returned:\n got %+v\nwant %+v", got, want)
	}
	if back := mustGet(t, s, p.sv.ID); showCustomer(back, false) != showCustomer(want, false) {
		t.Fatalf("survivor stored:\n got %+v\nwant %+v", back, want)
	}
	// PlanMerge took the merged customer's newer last contact.
	if !got.LastContactTime.Equal(p.m3.OccurTime) || got.LastContactChannel != herken.ChannelWhatsApp {
		t.Fatalf("survivor's last contact %v %v", got.LastContactTime, got.LastContactChannel)
	}

	// The merged name resolves to the survivor and is no customer itself.
	wantResolve(t, s, p.mg.ID, p.sv.ID)
	wantNoCustomer(t, s, p.mg.ID, p.m1.ID, p.mp1.ID)

	// Every identifier is the survivor's: one holder where both held it,
	// and the survivor in the merged customer's place where it was shared.
	for _, id := range p.idents {
		want := []string{p.sv.ID}
		if id == p.hall {
			want = []string{p.sv.ID, p.third.ID}
		}
		wantHolders(t, s, id, want...)
	}

	// History: both customers' and the merge event, ids and feedback kept.
	hist := historyOf(t, s, p.sv.ID)
	var event herken.Interaction
	known := append(interactionIDs(svHist), interactionIDs(mgHist)...)
	for _, in := range hist {
		if !slices.Contains(known, in.ID) {
			if event.ID != "" {
				t.Fatalf("two new interactions: %+v and %+v", event, in)
			}
			event = in
		}
	}
	if event.Channel != herken.ChannelSystem || !event.OccurTime.Equal(dayAt(1)) || event.CustomerID != p.sv.ID {
		t.Fatalf("merge event %+v", event)
	}
	wantHist := slices.Clone(svHist)
	for _, in := range mgHist {
		in.CustomerID = p.sv.ID
		wantHist = append(wantHist, in)
	}
	wantHist = append(wantHist, event)
	slices.SortFunc(wantHist, herken.NewestFirst)
	if showInteractions(hist) != showInteractions(wantHist) {
		t.Fatalf("survivor's history:\n%s\nwant\n%s", showInteractions(hist), showInteractions(wantHist))
	}
	// Match on a merged identifier finds the survivor, and what it reads
	// (a store may answer from copies it keeps) agrees with the lists.
	snap, err := s.Match(ctx, []identity.Identifier{p.ext}, herken.MatchOptions{HistoryLimit: 3, CountSince: epoch, CountMax: 100, OpenPromiseLimit: 10}, single)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Focus != p.sv.ID || showInteractions(snap.History) != showInteractions(hist[:3]) || snap.Counted != 5 {
		t.Fatalf("Match on a merged identifier: focus %q, counted %d (want 5 contacts), history\n%s", snap.Focus, snap.Counted, showInteractions(snap.History))
	}
	if got := ids(snap.Promises); fmt.Sprint(got) != "[mp1 sp1 mp2]" {
		t.Fatalf("Match open promises %v, want [mp1 sp1 mp2]", got)
	}

	// Promises: both customers', ids kept, the survivor's now.
	wantProm := slices.Clone(svProm)
	for _, pr := range mgProm {
		pr.CustomerID = p.sv.ID
		wantProm = append(wantProm, pr)
	}
	slices.SortFunc(wantProm, herken.ByDue)
	if got := promisesOf(t, s, p.sv.ID); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", wantProm) {
		t.Fatalf("survivor's promises:\n got %+v\nwant %+v", got, wantProm)
	}
	if pr, err := s.GetPromise(ctx, p.sv.ID, p.mp1.ID); err != nil || pr.InteractionID != p.m1.ID || pr.CustomerID != p.sv.ID {
		t.Fatalf("moved promise: %+v, %v", pr, err)
	}

	// The record of the merge: enough to undo it exactly.
	recs := mustMerges(t, s, p.sv.ID)
	if len(recs) != 1 {
		t.Fatalf("Merges = %d records, want 1", len(recs))
	}
	rec := recs[0]
	switch {
	case showCustomer(rec.Merged, false) != showCustomer(p.mg, false):
		t.Fatalf("record's merged customer:\n got %+v\nwant %+v", rec.Merged, p.mg)
	case showCustomer(rec.SurvivorBefore, false) != showCustomer(p.sv, false):
		t.Fatalf("record's survivor before:\n got %+v\nwant %+v", rec.SurvivorBefore, p.sv)
	case rec.SurvivorID != p.sv.ID || rec.SurvivorRevision != got.Revision || rec.EventID != event.ID:
		t.Fatalf("record: survivor %s revision %d event %s; want %s %d %s", rec.SurvivorID, rec.SurvivorRevision, rec.EventID, p.sv.ID, got.Revision, event.ID)
	case !slices.Equal(slices.Sorted(slices.Values(rec.Interactions)), slices.Sorted(slices.Values(interactionIDs(mgHist)))):
		t.Fatalf("record's interactions %v, want the merged customer's %v", rec.Interactions, interactionIDs(mgHist))
	case !slices.Equal(slices.Sorted(slices.Values(rec.Promises)), slices.Sorted(slices.Values(promiseIDs(mgProm)))):
		t.Fatalf("record's promises %v, want %v", rec.Promises, promiseIDs(mgProm))
	case !rec.Time.Equal(dayAt(1)):
		t.Fatalf("record's time %v, want the event's %v", rec.Time, dayAt(1))
	case rec.Actor != mergeActor:
		t.Fatalf("record's actor %q, want the write's %q", rec.Actor, mergeActor)
	}
	if recs := mustMerges(t, s, p.third.ID); len(recs) != 0 {
		t.Fatalf("Merges of a customer nothing was merged into: %+v", recs)
	}
}

func testMergeCrossCustomerLists(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	sv := mustMerge(t, s, p.sv.ID, p.mg.ID, dayAt(1))
	// Unanswered feedback: the moved item under the survivor, still in
	// submission order.
	fb, _ := listInteractionPages(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 1})
	if got := summariesOf(fb); got != "t1,m1,s1" {
		t.Fatalf("unanswered feedback %s, want t1,m1,s1", got)
	}
	if fb[1].CustomerID != p.sv.ID || fb[1].ID != p.m1.ID {
		t.Fatalf("moved feedback listed as %+v", fb[1])
	}
	mine, _ := mustListInteractions(t, s, herken.InteractionQuery{CustomerID: p.sv.ID, UnansweredFeedback: true, PageSize: 10})
	if got := summariesOf(mine); got != "m1,s1" {
		t.Fatalf("survivor's unanswered feedback %s, want m1,s1", got)
	}
	// Promise lists across customers: the moved ones under the survivor,
	// with its name.
	for _, q := range []herken.PromiseQuery{
		{State: herken.PromiseOpen, PageSize: 2},
		{State: herken.PromiseOpen, Owner: "team-a", PageSize: 1},
		{State: herken.PromiseOpen, OverdueAt: epoch, PageSize: 1},
	} {
		want := "[tp1 mp1 sp1 mp2]"
		if !q.OverdueAt.IsZero() {
			want = "[tp1 mp1]"
		}
		list := listAll(t, s, q)
		if got := ids(list); fmt.Sprint(got) != want {
			t.Fatalf("list %+v: %v, want %s", q, got, want)
		}
		for _, pr := range list[1:] {
			if pr.CustomerID != p.sv.ID || pr.CustomerDisplayName != sv.DisplayName {
				t.Fatalf("list %+v: %s under %s %q, want the survivor", q, pr.Description, pr.CustomerID, pr.CustomerDisplayName)
			}
		}
	}
	// The sweeper breaks the moved overdue promise as the survivor's.
	var seen []string
	broken := func(pr herken.Promise) (herken.Promise, herken.Interaction, bool) {
		seen = append(seen, pr.Description+"@"+pr.CustomerID)
		pr.State, pr.StateActor, pr.StateTime = herken.PromiseBroken, herken.SystemActor, dayAt(1)
		return pr, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound,
			Outcome: herken.OutcomeFollowUp, OccurTime: dayAt(2), CreateTime: dayAt(2), Agent: herken.SystemActor, Summary: "broken", PromiseID: pr.ID}, true
	}
	if n, more, err := s.BreakOverdue(ctx, epoch, 10, broken, herken.WriteOptions{}); err != nil || n != 2 || more {
		t.Fatalf("BreakOverdue = %d %v %v, want 2", n, more, err)
	}
	if want := []string{"tp1@" + p.third.ID, "mp1@" + p.sv.ID}; !slices.Equal(seen, want) {
		t.Fatalf("broken saw %v, want %v", seen, want)
	}
	if pr, err := s.GetPromise(ctx, p.sv.ID, p.mp1.ID); err != nil || pr.State != herken.PromiseBroken {
		t.Fatalf("moved promise after the sweep: %+v %v", pr, err)
	}
	if hist := historyOf(t, s, p.sv.ID); hist[0].PromiseID != p.mp1.ID {
		t.Fatalf("break event not in the survivor's history: %+v", hist[0])
	}
}

func testMergeChain(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("Anna", Phone("+31611111111"), External("K-A")))
	b := mustCreate(t, s, NewCustomer("Bram", Phone("+31622222222")))
	c := mustCreate(t, s, NewCustomer("Cor", Phone("+31633333333")))
	d := mustCreate(t, s, NewCustomer("Dirk", Phone("+31644444444")))
	ia := mustAppend(t, s, a.ID, newInteraction(minuteAt(1), "a"))
	ib := mustAppend(t, s, b.ID, newInteraction(minuteAt(2), "b"))
	pa := mustPromise(t, s, a.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), ""))
	mustMerge(t, s, c.ID, d.ID, dayAt(1))
	mustMerge(t, s, b.ID, a.ID, dayAt(2))
	mustMerge(t, s, c.ID, b.ID, dayAt(3))
	for _, id := range []string{a.ID, b.ID, c.ID, d.ID} {
		wantResolve(t, s, id, c.ID)
	}
	if h := holdersOf(t, s, Phone("+31611111111"), External("K-A"), Phone("+31622222222"), Phone("+31644444444")); fmt.Sprint(h) != fmt.Sprint([][]string{{c.ID}, {c.ID}, {c.ID}, {c.ID}}) {
		t.Fatalf("holders after the chain: %v", h)
	}
	if snap := mustMatch(t, s, []identity.Identifier{External("K-A")}, 10); snap.Focus != c.ID || len(snap.History) != 5 {
		t.Fatalf("Match on the first merged name's identifier: focus %q, %d interactions (want a, b and three merge events)", snap.Focus, len(snap.History))
	}
	hist := historyOf(t, s, c.ID)
	if !slices.Contains(interactionIDs(hist), ia.ID) || !slices.Contains(interactionIDs(hist), ib.ID) {
		t.Fatalf("c's history lacks a's or b's: %s", summariesOf(hist))
	}
	if pr, err := s.GetPromise(ctx, c.ID, pa.ID); err != nil || pr.CustomerID != c.ID {
		t.Fatalf("a's promise after the chain: %+v %v", pr, err)
	}
	// Records stay with the survivor each name was merged into directly:
	// unmerging b later needs a's.
	recs := mustMerges(t, s, c.ID)
	if got := mergedIDs(recs); !slices.Equal(got, []string{d.ID, b.ID}) {
		t.Fatalf("Merges(c) = %v, want [d b]", got)
	}
	if !slices.Contains(recs[1].Interactions, ia.ID) || !slices.Contains(recs[1].Interactions, ib.ID) || !slices.Contains(recs[1].Promises, pa.ID) {
		t.Fatalf("b's record lacks what b held of a: %+v", recs[1])
	}
	// b is merged away: its records are not lost (unmerging b brings a
	// back to it, UnmergeChain), whether Merges shows them for the merged
	// name or answers that b is no customer.
	if recs, err := s.Merges(ctx, b.ID); err != nil && !errors.Is(err, herken.ErrCustomerNotFound) || err == nil && !slices.Equal(mergedIDs(recs), []string{a.ID}) {
		t.Fatalf("Merges(b) = %v, %v; want [a] or ErrCustomerNotFound", mergedIDs(recs), err)
	}
	// No cycle: a name merged away is no survivor.
	for _, id := range []string{a.ID, b.ID} {
		_, err := s.MergeCustomers(ctx, id, c.ID, planMerge(0, dayAt(4)), herken.WriteOptions{})
		wantMerged(t, err, c.ID)
	}
}

func testMergeRefused(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("Anna", Phone("+31611111111")))
	c := mustCreate(t, s, NewCustomer("Cor"))
	m := mustCreate(t, s, NewCustomer("Mies"))
	x := mustCreate(t, s, NewCustomer("Xander"))
	mustMerge(t, s, c.ID, m.ID, dayAt(1))
	mustErase(t, s, x.ID, dayAt(2))
	before := digestOf(t, s)
	called := false
	plan := func(sv, mg herken.Customer) (herken.Customer, herken.Interaction, error) {
		called = true
		return herken.PlanMerge(sv, mg, 0, dayAt(3))
	}
	unknown := herken.NewID()
	for _, tc := range []struct {
		survivor, merged string
		want             error
		via              string // CustomerMerged's survivor
	}{
		{a.ID, m.ID, herken.ErrCustomerMerged, c.ID},
		{m.ID, a.ID, herken.ErrCustomerMerged, c.ID},
		{m.ID, c.ID, herken.ErrCustomerMerged, c.ID}, // would be a cycle
		{a.ID, x.ID, herken.ErrCustomerErased, ""},
		{x.ID, a.ID, herken.ErrCustomerErased, ""},
		{a.ID, unknown, herken.ErrCustomerNotFound, ""},
		{unknown, a.ID, herken.ErrCustomerNotFound, ""},
		{a.ID, "bogus", herken.ErrCustomerNotFound, ""},
	} {
		_, err := s.MergeCustomers(ctx, tc.survivor, tc.merged, plan, herken.WriteOptions{})
		if tc.via != "" {
			wantMerged(t, err, tc.via)
		} else {
			wantErr(t, err, tc.want)
		}
	}
	if called {
		t.Fatal("plan called for a merge that cannot be")
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused merge wrote something")
	}

	// plan's error aborts the merge: PlanMerge's own, past the identifier
	// cap, and any other.
	var many, more []identity.Identifier
	for i := range herken.MaxIdentifiers - 10 {
		many = append(many, Phone(fmt.Sprintf("+316100000%02d", i)))
	}
	for i := range 11 {
		more = append(more, Phone(fmt.Sprintf("+316200000%02d", i)))
	}
	big := mustCreate(t, s, NewCustomer("Groot", many...))
	other := mustCreate(t, s, NewCustomer("Ander", more...))
	mustAppend(t, s, other.ID, newInteraction(minuteAt(1), "o"))
	before = digestOf(t, s)
	_, err := s.MergeCustomers(ctx, big.ID, other.ID, planMerge(0, dayAt(3)), herken.WriteOptions{})
	wantErr(t, err, herken.ErrIdentifierLimit)
	sentinel := errors.New("refused")
	_, err = s.MergeCustomers(ctx, a.ID, other.ID, func(herken.Customer, herken.Customer) (herken.Customer, herken.Interaction, error) {
		return herken.Customer{}, herken.Interaction{}, sentinel
	}, herken.WriteOptions{})
	if !errors.Is(err, sentinel) {
		t.Fatalf("plan's error not returned: %v", err)
	}
	if digestOf(t, s) != before {
		t.Fatal("a merge its plan refused wrote something")
	}
	wantResolve(t, s, other.ID, other.ID)
	wantHolders(t, s, more[0], other.ID)
	if h := historyOf(t, s, other.ID); len(h) != 1 {
		t.Fatalf("history after a refused merge: %s", summariesOf(h))
	}
	if recs := mustMerges(t, s, big.ID); len(recs) != 0 {
		t.Fatalf("a refused merge left a record: %+v", recs)
	}
}

func testMergesOldestFirst(t *testing.T, s herken.Store) {
	sv := mustCreate(t, s, NewCustomer("Sanne"))
	var merged []string
	// Ids against the time order.
	for i, id := range []string{"zzzz0001", "aaaa0002", "mmmm0003"} {
		c := NewCustomer(fmt.Sprint("klant ", i))
		c.ID = id
		mustCreate(t, s, c)
		mustMerge(t, s, sv.ID, id, dayAt(i+1))
		merged = append(merged, id)
	}
	if got := mergedIDs(mustMerges(t, s, sv.ID)); !slices.Equal(got, merged) {
		t.Fatalf("Merges = %v, want %v (oldest merge first)", got, merged)
	}
	mustUnmerge(t, s, merged[1], dayAt(5))
	if got := mergedIDs(mustMerges(t, s, sv.ID)); !slices.Equal(got, []string{merged[0], merged[2]}) {
		t.Fatalf("Merges after an unmerge = %v", got)
	}
	if recs := mustMerges(t, s, merged[1]); len(recs) != 0 {
		t.Fatalf("Merges of the unmerged customer: %+v", recs)
	}
}

// testMergeConcurrentBothWays: A into B racing B into A: one wins, and no
// identifier or interaction is lost or duplicated.
func testMergeConcurrentBothWays(t *testing.T, s herken.Store) {
	aIDs := []identity.Identifier{Phone("+31611111111"), External("K-A")}
	bIDs := []identity.Identifier{Phone("+31622222222"), External("K-B")}
	a := mustCreate(t, s, NewCustomer("Anna", aIDs...))
	b := mustCreate(t, s, NewCustomer("Bram", bIDs...))
	mustAppend(t, s, a.ID, newInteraction(minuteAt(1), "a"))
	mustAppend(t, s, b.ID, newInteraction(minuteAt(2), "b"))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]string{{a.ID, b.ID}, {b.ID, a.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.MergeCustomers(ctx, pair[0], pair[1], planMerge(0, dayAt(1)), herken.WriteOptions{})
		}()
	}
	wg.Wait()
	survivor := ""
	switch {
	case errs[0] == nil && errors.Is(errs[1], herken.ErrCustomerMerged):
		survivor = a.ID
	case errs[1] == nil && errors.Is(errs[0], herken.ErrCustomerMerged):
		survivor = b.ID
	default:
		t.Fatalf("merges both ways: %v, %v; want one to win and the other CUSTOMER_MERGED", errs[0], errs[1])
	}
	for _, id := range append(aIDs, bIDs...) {
		wantHolders(t, s, id, survivor)
	}
	if got := mustGet(t, s, survivor); len(got.Identifiers) != 4 {
		t.Fatalf("survivor's identifiers: %+v", got.Identifiers)
	}
	if hist := historyOf(t, s, survivor); len(hist) != 3 || !containsSummary(hist, "a") || !containsSummary(hist, "b") {
		t.Fatalf("survivor's history: %s, want a, b and the merge event", summariesOf(hist))
	}
	wantResolve(t, s, a.ID, survivor)
	wantResolve(t, s, b.ID, survivor)
}
