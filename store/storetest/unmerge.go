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

// unmergeTests cover UnmergeCustomer with the domain's plan (PlanUnmerge):
// a merge undone leaves everything as it was, but for what happened to
// the survivor since.
var unmergeTests = []storeTest{
	{"UnmergeRoundTrip", testUnmergeRoundTrip},
	{"UnmergeKeepsLaterWrites", testUnmergeKeepsLaterWrites},
	{"UnmergeRefused", testUnmergeRefused},
	{"UnmergeChain", testUnmergeChain},
	{"UnmergeRacingSurvivorWrites", testUnmergeRacingSurvivorWrites},
}

// testUnmergeRacingSurvivorWrites: contacts recorded on the survivor while
// an unmerge runs all stay with the survivor (whichever side of the unmerge
// they land on), the merged customer gets back exactly its own, and nothing
// is lost or doubled.
func testUnmergeRacingSurvivorWrites(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	mgHist := interactionIDs(historyOf(t, s, p.mg.ID))
	svBefore := len(historyOf(t, s, p.sv.ID))
	mustMerge(t, s, p.sv.ID, p.mg.ID, dayAt(1))
	const writers, each = 4, 10
	var wg sync.WaitGroup
	written := make(chan string, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				in := newInteraction(dayAt(1).Add(time.Duration(w*each+i+1)*time.Second), fmt.Sprintf("w%d-%d", w, i))
				got, err := s.AppendInteraction(ctx, herken.Target{CustomerID: p.sv.ID}, in, herken.WriteOptions{})
				if err != nil {
					t.Errorf("append to the survivor during unmerge: %v", err)
					return
				}
				written <- got.ID
			}
		}()
	}
	mustUnmerge(t, s, p.mg.ID, dayAt(2))
	wg.Wait()
	close(written)
	sv := interactionIDs(historyOf(t, s, p.sv.ID))
	for id := range written {
		if !slices.Contains(sv, id) {
			t.Errorf("contact %s recorded on the survivor during the unmerge is not in its history", id)
		}
	}
	if len(sv) != svBefore+writers*each {
		t.Errorf("survivor has %d interactions, want %d before + %d written", len(sv), svBefore, writers*each)
	}
	if got := interactionIDs(historyOf(t, s, p.mg.ID)); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(mgHist))) {
		t.Errorf("merged customer's history after the unmerge: %v, want its own %v", got, mgHist)
	}
}

func testUnmergeRoundTrip(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	queries := []herken.CustomerQuery{{}, {Tag: "vip"}, {NamePrefix: herken.FoldName(p.mg.DisplayName)}, {NamePrefix: "sanne"}}
	all := []string{p.sv.ID, p.mg.ID, p.third.ID}
	loose := []string{p.sv.ID}
	before := readWorld(t, s, all, loose, p.idents, queries)
	// Twice: a customer unmerged can be merged and unmerged again.
	for round := range 2 {
		mergeAt, unmergeAt := dayAt(2*round+1), dayAt(2*round+2)
		mustMerge(t, s, p.sv.ID, p.mg.ID, mergeAt)
		rec := mustMerges(t, s, p.sv.ID)[0]
		stored := mustGet(t, s, p.sv.ID)
		var planned string
		svU, mgU, err := s.UnmergeCustomer(ctx, p.mg.ID, func(r herken.MergeRecord, sv herken.Customer) (herken.Customer, herken.Customer, error) {
			planned = fmt.Sprintf("%+v", r) + showCustomer(sv, false)
			return herken.PlanUnmerge(r, sv, unmergeAt)
		}, herken.WriteOptions{Actor: mergeActor})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if want := fmt.Sprintf("%+v", rec) + showCustomer(stored, false); planned != want {
			t.Fatalf("round %d: plan got\n%s\nwant the record and the survivor as stored\n%s", round, planned, want)
		}
		diffWorld(t, fmt.Sprint("round ", round), readWorld(t, s, all, loose, p.idents, queries), before)
		if back := mustGet(t, s, p.sv.ID); showCustomer(back, false) != showCustomer(svU, false) || !back.UpdateTime.Equal(unmergeAt) {
			t.Fatalf("round %d: survivor returned\n%+v\nstored\n%+v", round, svU, back)
		}
		if back := mustGet(t, s, p.mg.ID); showCustomer(back, false) != showCustomer(mgU, false) || !back.UpdateTime.Equal(unmergeAt) {
			t.Fatalf("round %d: merged customer returned\n%+v\nstored\n%+v", round, mgU, back)
		}
		wantResolve(t, s, p.mg.ID, p.mg.ID)
		if recs := mustMerges(t, s, p.sv.ID); len(recs) != 0 {
			t.Fatalf("round %d: record kept after unmerge: %+v", round, recs)
		}
		snap := mustMatch(t, s, []identity.Identifier{p.ext}, 10)
		if snap.Focus != p.mg.ID || showInteractions(snap.History) != showInteractions(historyOf(t, s, p.mg.ID)) {
			t.Fatalf("round %d: Match on the unmerged customer's identifier: %+v", round, snap)
		}
	}
}

// testUnmergeKeepsLaterWrites: what happened to the survivor after the
// merge stays with it; what happened to the merged customer's things is
// kept when they go back; what is gone stays gone.
func testUnmergeKeepsLaterWrites(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	mgHist, mgProm := historyOf(t, s, p.mg.ID), promisesOf(t, s, p.mg.ID)
	svHist, svProm := historyOf(t, s, p.sv.ID), promisesOf(t, s, p.sv.ID)
	mustMerge(t, s, p.sv.ID, p.mg.ID, dayAt(1))

	// After the merge, on the survivor (writes to the merged name reach it
	// too): a contact, a promise, an edit that adds a number and drops the
	// merged customer's CRM id; a moved promise kept; old history purged.
	late := mustAppend(t, s, p.sv.ID, newInteraction(dayAt(1).Add(time.Hour), "na de samenvoeging"))
	lp := NewPromise(herken.PromiseCallback, dayAt(5), "")
	lp.Description = "lp"
	mustPromise(t, s, p.sv.ID, lp)
	newPhone := Phone("+31699999999")
	mustUpdate(t, s, p.sv.ID, func(c *herken.Customer) {
		c.Tags = append(c.Tags, "terugbellen")
		c.Identifiers = slices.DeleteFunc(c.Identifiers, func(l herken.LinkedIdentifier) bool { return l.Identifier == p.ext })
		c.Identifiers = append(c.Identifiers, linked(newPhone, dayAt(1).Add(2*time.Hour), "agent", ""))
		bump(c, dayAt(1).Add(2*time.Hour))
	})
	if _, err := s.UpdatePromise(ctx, p.sv.ID, p.mp2.ID, keep, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// s1 (minute 1), m1 and t1 (minute 2).
	if n, _, err := s.PurgeInteractions(ctx, minuteAt(2).Add(time.Nanosecond), 100, herken.WriteOptions{}); err != nil || n != 3 {
		t.Fatalf("purge: %d %v", n, err)
	}
	rec := mustMerges(t, s, p.sv.ID)[0]
	stored := mustGet(t, s, p.sv.ID)

	svU, mgU := mustUnmerge(t, s, p.mg.ID, dayAt(2))
	wantSv, wantMg, _ := herken.PlanUnmerge(rec, stored, dayAt(2))
	// The store adds the contacts recorded since: late is newer than what
	// the survivor had before the merge.
	wantSv.LastContactTime, wantSv.LastContactChannel = late.OccurTime, late.Channel
	if showCustomer(svU, false) != showCustomer(wantSv, false) {
		t.Fatalf("survivor:\n got %+v\nwant %+v", svU, wantSv)
	}
	if showCustomer(mgU, false) != showCustomer(wantMg, false) {
		t.Fatalf("merged customer:\n got %+v\nwant %+v", mgU, wantMg)
	}
	// Spelled out: the survivor keeps its edit (it moved on since the
	// merge), the merged customer comes back without the CRM id the
	// survivor dropped, and nobody holds that.
	if !slices.Contains(svU.Tags, "terugbellen") || svU.IdentifierIndex(newPhone) < 0 || svU.IdentifierIndex(p.mgIdents[0]) >= 0 {
		t.Fatalf("survivor after unmerge: %+v", svU)
	}
	if mgU.IdentifierIndex(p.ext) >= 0 || len(mgU.Identifiers) != len(p.mgIdents)-1 {
		t.Fatalf("merged customer's identifiers: %+v", mgU.Identifiers)
	}
	wantHolders(t, s, p.ext)
	wantHolders(t, s, newPhone, p.sv.ID)
	wantHolders(t, s, p.mgIdents[0], p.mg.ID)
	wantHolders(t, s, p.line, p.sv.ID, p.mg.ID)
	wantHolderSet(t, s, p.hall, p.third.ID, p.mg.ID)

	// Histories: the survivor's own and late, no merge event; the merged
	// customer's own less the purged one.
	wantSvHist := append([]herken.Interaction{late}, slices.DeleteFunc(slices.Clone(svHist), func(in herken.Interaction) bool { return in.Summary == "s1" })...)
	if got := historyOf(t, s, p.sv.ID); showInteractions(got) != showInteractions(wantSvHist) {
		t.Fatalf("survivor's history:\n%s\nwant\n%s", showInteractions(got), showInteractions(wantSvHist))
	}
	wantMgHist := slices.DeleteFunc(slices.Clone(mgHist), func(in herken.Interaction) bool { return in.ID == p.m1.ID })
	if got := historyOf(t, s, p.mg.ID); showInteractions(got) != showInteractions(wantMgHist) {
		t.Fatalf("merged customer's history:\n%s\nwant\n%s", showInteractions(got), showInteractions(wantMgHist))
	}
	if fb, _ := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 10}); len(fb) != 0 {
		t.Fatalf("unanswered feedback of purged interactions: %s", summariesOf(fb))
	}
	// Promises: each back where it came from, as it is now.
	if got := ids(promisesOf(t, s, p.sv.ID)); fmt.Sprint(got) != fmt.Sprint(append(ids(svProm), "lp")) {
		t.Fatalf("survivor's promises %v", got)
	}
	got := promisesOf(t, s, p.mg.ID)
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(mgProm)) {
		t.Fatalf("merged customer's promises %v, want %v", ids(got), ids(mgProm))
	}
	for _, pr := range got {
		if pr.CustomerID != p.mg.ID || pr.ID == p.mp2.ID && pr.State != herken.PromiseKept {
			t.Fatalf("promise back: %+v", pr)
		}
	}
}

func testUnmergeRefused(t *testing.T, s herken.Store) {
	a := mustCreate(t, s, NewCustomer("Anna", Phone("+31611111111")))
	b := mustCreate(t, s, NewCustomer("Bram", Phone("+31622222222")))
	c := mustCreate(t, s, NewCustomer("Cor"))
	x := mustCreate(t, s, NewCustomer("Xander", External("K-X")))
	called := false
	plan := func(rec herken.MergeRecord, sv herken.Customer) (herken.Customer, herken.Customer, error) {
		called = true
		return herken.PlanUnmerge(rec, sv, dayAt(9))
	}
	refused := func(id string) error {
		t.Helper()
		before := digestOf(t, s)
		_, _, err := s.UnmergeCustomer(ctx, id, plan, herken.WriteOptions{})
		if digestOf(t, s) != before {
			t.Fatalf("a refused unmerge of %s wrote something", id)
		}
		if called {
			t.Fatalf("plan called for a refused unmerge of %s", id)
		}
		return err
	}
	// Live or unknown: not merged.
	for _, id := range []string{a.ID, herken.NewID(), "bogus"} {
		wantErr(t, refused(id), herken.ErrCustomerNotMerged)
	}
	// Twice.
	mustMerge(t, s, b.ID, a.ID, dayAt(1))
	mustUnmerge(t, s, a.ID, dayAt(2))
	wantErr(t, refused(a.ID), herken.ErrCustomerNotMerged)

	mustMerge(t, s, b.ID, a.ID, dayAt(3))
	before := digestOf(t, s)
	// plan's error aborts.
	sentinel := errors.New("refused")
	_, _, err := s.UnmergeCustomer(ctx, a.ID, func(herken.MergeRecord, herken.Customer) (herken.Customer, herken.Customer, error) {
		return herken.Customer{}, herken.Customer{}, sentinel
	}, herken.WriteOptions{})
	if !errors.Is(err, sentinel) {
		t.Fatalf("plan's error not returned: %v", err)
	}
	// An exclusive identifier a third customer holds fails the whole
	// unmerge with the *IdentifierError (index: its place in the merged
	// customer's list).
	index := -1
	_, _, err = s.UnmergeCustomer(ctx, a.ID, func(rec herken.MergeRecord, sv herken.Customer) (herken.Customer, herken.Customer, error) {
		sv, mg, err := herken.PlanUnmerge(rec, sv, dayAt(4))
		mg.Identifiers = append(mg.Identifiers, linked(External("K-X"), dayAt(4), "", ""))
		index = len(mg.Identifiers) - 1
		return sv, mg, err
	}, herken.WriteOptions{})
	wantErr(t, err, herken.ErrAlreadyLinked)
	if ie := new(herken.IdentifierError); !errors.As(err, &ie) || ie.Index != index || ie.Holder != x.ID {
		t.Fatalf("error detail %#v, want IdentifierError{Index: %d, Holder: %s}", ie, index, x.ID)
	}
	if digestOf(t, s) != before {
		t.Fatal("a refused unmerge wrote something")
	}
	wantResolve(t, s, a.ID, b.ID)
	wantHolders(t, s, Phone("+31611111111"), b.ID)
	if recs := mustMerges(t, s, b.ID); len(recs) != 1 {
		t.Fatalf("record after refused unmerges: %+v", recs)
	}

	// The survivor merged away since: the error names where it went.
	mustMerge(t, s, c.ID, b.ID, dayAt(5))
	wantMerged(t, refused(a.ID), c.ID)
	// Erased, with every name merged into it.
	mustErase(t, s, c.ID, dayAt(6))
	for _, id := range []string{a.ID, b.ID, c.ID} {
		wantErr(t, refused(id), herken.ErrCustomerErased)
	}
}

// testUnmergeChain: unmerging a name that had others merged into it brings
// those names back to it; undoing every merge restores everything.
func testUnmergeChain(t *testing.T, s herken.Store) {
	var cs []herken.Customer
	var idents []identity.Identifier
	for i, name := range []string{"Anna", "Bram", "Cor", "Dirk"} {
		mine := []identity.Identifier{Phone(fmt.Sprintf("+3161111111%d", i)), External(fmt.Sprint("K-", name))}
		idents = append(idents, mine...)
		c := NewCustomer(name, mine...)
		c.Tags = []string{"demo", fmt.Sprint("t", i)}
		c = mustCreate(t, s, c)
		in := mustAppend(t, s, c.ID, newInteraction(minuteAt(i+1), name))
		submitFeedback(t, s, in, minuteAt(10+i))
		pr := NewPromise(herken.PromiseCallback, epoch.Add(time.Duration(i+1)*time.Hour), "team-a")
		pr.InteractionID = in.ID
		mustPromise(t, s, c.ID, pr)
		cs = append(cs, mustGet(t, s, c.ID))
	}
	a, b, c, d := cs[0], cs[1], cs[2], cs[3]
	all := []string{a.ID, b.ID, c.ID, d.ID}
	// c's fields (and so the tag lists) are not compared: PlanUnmerge
	// leaves a survivor's fields alone once its revision moved on, and a
	// second merge into it moves it.
	queries := []herken.CustomerQuery{{}, {NamePrefix: "anna"}, {NamePrefix: "bram"}, {NamePrefix: "dirk"}}
	before := readWorld(t, s, all, []string{b.ID, c.ID}, idents, queries)
	delete(before.records, c.ID)

	mustMerge(t, s, b.ID, a.ID, dayAt(1))
	mustMerge(t, s, c.ID, b.ID, dayAt(2))
	mustMerge(t, s, c.ID, d.ID, dayAt(3))
	mustUnmerge(t, s, b.ID, dayAt(4))
	wantResolve(t, s, a.ID, b.ID)
	wantResolve(t, s, b.ID, b.ID)
	wantResolve(t, s, d.ID, c.ID)
	if got := mergedIDs(mustMerges(t, s, c.ID)); !slices.Equal(got, []string{d.ID}) {
		t.Fatalf("Merges(c) = %v, want [d]", got)
	}
	if got := mergedIDs(mustMerges(t, s, b.ID)); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("Merges(b) = %v, want [a]", got)
	}
	if h := holdersOf(t, s, idents...); fmt.Sprint(h) != fmt.Sprint([][]string{{b.ID}, {b.ID}, {b.ID}, {b.ID}, {c.ID}, {c.ID}, {c.ID}, {c.ID}}) {
		t.Fatalf("holders after unmerging b: %v", h)
	}
	if hb, hc := historyOf(t, s, b.ID), historyOf(t, s, c.ID); !containsSummary(hb, "Anna") || !containsSummary(hb, "Bram") || containsSummary(hc, "Anna") || !containsSummary(hc, "Dirk") {
		t.Fatalf("after unmerging b: b has %s, c has %s", summariesOf(hb), summariesOf(hc))
	}
	// The merged name's record went back: a can be unmerged from b.
	mustUnmerge(t, s, a.ID, dayAt(5))
	mustUnmerge(t, s, d.ID, dayAt(6))
	after := readWorld(t, s, all, []string{b.ID, c.ID}, idents, queries)
	delete(after.records, c.ID)
	diffWorld(t, "every merge undone", after, before)
	for _, id := range all {
		wantResolve(t, s, id, id)
	}
}

func containsSummary(list []herken.Interaction, summary string) bool {
	return slices.ContainsFunc(list, func(in herken.Interaction) bool { return in.Summary == summary })
}
