package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

// eraseTests cover EraseCustomer and the erasure journal.
var eraseTests = []storeTest{
	{"EraseReadPaths", testEraseReadPaths},
	{"EraseEveryMethod", testEraseEveryMethod},
	{"EraseSurvivor", testEraseSurvivor},
	{"EraseIdempotentCreate", testEraseIdempotentCreate},
	{"Erasures", testErasures},
}

func mustErase(t *testing.T, s herken.Store, id string, at time.Time) []string {
	t.Helper()
	erased, err := s.EraseCustomer(ctx, id, at, herken.WriteOptions{})
	if err != nil {
		t.Fatalf("EraseCustomer(%s): %v", id, err)
	}
	return erased
}

func mustErasures(t *testing.T, s herken.Store, since time.Time, limit int) []herken.Erasure {
	t.Helper()
	list, err := s.Erasures(ctx, since, limit)
	if err != nil {
		t.Fatalf("Erasures: %v", err)
	}
	return list
}

// testEraseReadPaths: once erased, every read answers as if the customer
// never existed; a household line stays with the other holder, and what
// the other holder has is untouched.
func testEraseReadPaths(t *testing.T, s herken.Store) {
	line, mine, ext, mail := Phone("+31201234567"), Phone("+31612345678"), External("K-E"), Email("els@example.nl")
	els := NewCustomer("Els Visser", mine, ext, line, mail)
	els.Tags = []string{"vip"}
	els = mustCreate(t, s, els)
	ko := mustCreate(t, s, NewCustomer("Ko Visser", line))
	e1 := mustAppend(t, s, els.ID, newInteraction(minuteAt(1), "e1"))
	mustAppend(t, s, els.ID, newInteraction(minuteAt(3), "e2"))
	k1 := mustAppend(t, s, ko.ID, newInteraction(minuteAt(2), "k1"))
	submitFeedback(t, s, e1, minuteAt(10))
	submitFeedback(t, s, k1, minuteAt(11))
	ep := NewPromise(herken.PromiseCallback, epoch.Add(-time.Hour), "team-a")
	ep.InteractionID = e1.ID
	mustPromise(t, s, els.ID, ep)
	mustPromise(t, s, els.ID, NewPromise(herken.PromiseVisit, epoch.Add(time.Hour), "team-a"))
	kp := NewPromise(herken.PromiseCallback, epoch.Add(-2*time.Hour), "team-a")
	kp.Description = "kp"
	kp = mustPromise(t, s, ko.ID, kp)
	koRecord, koHist, koProm := mustGet(t, s, ko.ID), historyOf(t, s, ko.ID), promisesOf(t, s, ko.ID)

	erased, err := s.EraseCustomer(ctx, els.ID, dayAt(1), herken.WriteOptions{})
	if err != nil || !slices.Equal(erased, []string{els.ID}) {
		t.Fatalf("EraseCustomer = %v, %v; want [%s]", erased, err, els.ID)
	}

	// Match: found by nothing, no candidate next to the other holder.
	if h := holdersOf(t, s, mine, ext, line, mail); fmt.Sprint(h) != fmt.Sprint([][]string{{}, {}, {ko.ID}, {}}) {
		t.Fatalf("holders after erase: %v", h)
	}
	snap, err := s.Match(ctx, []identity.Identifier{mine, line}, herken.MatchOptions{HistoryLimit: 10, OpenPromiseLimit: 10}, func(h [][]string) string {
		if len(h[0]) > 0 {
			return h[0][0]
		}
		return h[1][0]
	})
	if err != nil || snap.Focus != ko.ID || len(snap.Customers) != 1 || showInteractions(snap.History) != showInteractions(koHist) {
		t.Fatalf("Match after erase: %+v, %v", snap, err)
	}
	// The cross-customer lists.
	if fb, _ := listInteractionPages(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 1}); summariesOf(fb) != "k1" {
		t.Fatalf("unanswered feedback after erase: %s", summariesOf(fb))
	}
	for _, q := range []herken.PromiseQuery{
		{State: herken.PromiseOpen, PageSize: 1},
		{State: herken.PromiseOpen, Owner: "team-a", PageSize: 1},
		{State: herken.PromiseOpen, OverdueAt: epoch, PageSize: 1},
	} {
		if got := ids(listAll(t, s, q)); fmt.Sprint(got) != "[kp]" {
			t.Fatalf("promises %+v after erase: %v", q, got)
		}
	}
	for _, q := range []herken.CustomerQuery{{}, {Tag: "vip"}, {NamePrefix: "els"}, {NamePrefix: "e"}, {UpdatedSince: epoch}, {Tag: "vip", UpdatedSince: epoch}} {
		q.PageSize = 10
		for _, c := range listCustomerPages(t, s, q) {
			if c.ID == els.ID {
				t.Fatalf("erased customer listed by %+v", q)
			}
		}
	}
	// The sweeper never sees the erased customer's overdue promise.
	var seen []string
	broken := func(p herken.Promise) (herken.Promise, herken.Interaction, bool) {
		seen = append(seen, p.CustomerID)
		p.State, p.StateTime = herken.PromiseBroken, dayAt(2)
		return p, herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound,
			Outcome: herken.OutcomeFollowUp, OccurTime: dayAt(2), CreateTime: dayAt(2), PromiseID: p.ID}, true
	}
	if n, more, err := s.BreakOverdue(ctx, dayAt(30), 100, broken, herken.WriteOptions{}); err != nil || n != 1 || more || !slices.Equal(seen, []string{ko.ID}) {
		t.Fatalf("BreakOverdue after erase: %d %v %v, saw %v", n, more, err, seen)
	}
	// The other holder is untouched (but for the promise just broken).
	if got := mustGet(t, s, ko.ID); showCustomer(got, false) != showCustomer(koRecord, false) {
		t.Fatalf("other holder changed:\n got %+v\nwant %+v", got, koRecord)
	}
	if got := historyOf(t, s, ko.ID); showInteractions(got[1:]) != showInteractions(koHist) {
		t.Fatalf("other holder's history:\n%s\nwant\n%s", showInteractions(got), showInteractions(koHist))
	}
	if got := promisesOf(t, s, ko.ID); len(got) != len(koProm) || got[0].ID != kp.ID {
		t.Fatalf("other holder's promises: %+v", got)
	}
	// What was exclusively the erased customer's is free again.
	nieuw := mustCreate(t, s, NewCustomer("Nieuw", ext, mine))
	wantHolders(t, s, ext, nieuw.ID)
	_, err = s.GetCustomer(ctx, els.ID)
	wantErr(t, err, herken.ErrCustomerErased)
}

// testEraseEveryMethod: every method answers ErrCustomerErased for an
// erased customer, and writes nothing.
func testEraseEveryMethod(t *testing.T, s herken.Store) {
	els := mustCreate(t, s, NewCustomer("Els", Phone("+31612345678")))
	live := mustCreate(t, s, NewCustomer("Ko"))
	in := mustAppend(t, s, els.ID, newInteraction(minuteAt(1), "e1"))
	p := mustPromise(t, s, els.ID, NewPromise(herken.PromiseCallback, epoch.Add(time.Hour), ""))
	idem := herken.Idempotency{Key: "call-1", Fingerprint: []byte("a"), TTL: time.Hour}
	retried := newInteraction(minuteAt(2), "idempotent")
	if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: els.ID}, retried, herken.WriteOptions{Idempotency: idem}); err != nil {
		t.Fatal(err)
	}
	mustErase(t, s, els.ID, dayAt(1))
	before := digestOf(t, s)
	id := els.ID
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, herken.ErrCustomerErased) {
			t.Errorf("%s on an erased customer: %v, want ErrCustomerErased", what, err)
		}
	}
	_, err := s.GetCustomer(ctx, id)
	check("GetCustomer", err)
	_, err = s.Resolve(ctx, id)
	check("Resolve", err)
	_, err = s.UpdateCustomer(ctx, id, func(c *herken.Customer) error { c.DisplayName = "x"; return nil }, herken.WriteOptions{})
	check("UpdateCustomer", err)
	_, _, err = s.ListInteractions(ctx, herken.InteractionQuery{CustomerID: id, PageSize: 10})
	check("ListInteractions", err)
	_, _, err = s.ListPromises(ctx, herken.PromiseQuery{CustomerID: id, PageSize: 10})
	check("ListPromises", err)
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: id}, newInteraction(minuteAt(5), "x"), herken.WriteOptions{})
	check("AppendInteraction", err)
	// A retried idempotent write finds no record of the first: the erasure
	// took it, and the erased customer is no target.
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: id}, retried, herken.WriteOptions{Idempotency: idem})
	check("AppendInteraction retried", err)
	_, err = s.CreatePromise(ctx, herken.Target{CustomerID: id}, NewPromise(herken.PromiseCallback, epoch, ""), herken.WriteOptions{})
	check("CreatePromise", err)
	_, err = s.GetPromise(ctx, id, p.ID)
	check("GetPromise", err)
	_, err = s.UpdateInteraction(ctx, id, in.ID, func(x *herken.Interaction) error { x.Summary = "x"; return nil }, herken.WriteOptions{})
	check("UpdateInteraction", err)
	_, err = s.UpdatePromise(ctx, id, p.ID, keep, herken.WriteOptions{})
	check("UpdatePromise", err)
	_, err = s.MergeCustomers(ctx, live.ID, id, planMerge(0, dayAt(2)), herken.WriteOptions{})
	check("MergeCustomers (merged)", err)
	_, err = s.MergeCustomers(ctx, id, live.ID, planMerge(0, dayAt(2)), herken.WriteOptions{})
	check("MergeCustomers (survivor)", err)
	_, _, err = s.UnmergeCustomer(ctx, id, planUnmerge(dayAt(2)), herken.WriteOptions{})
	check("UnmergeCustomer", err)
	_, err = s.Merges(ctx, id)
	check("Merges", err)
	_, err = s.EraseCustomer(ctx, id, dayAt(2), herken.WriteOptions{})
	check("EraseCustomer again", err)
	if digestOf(t, s) != before {
		t.Error("a call on an erased customer wrote something")
	}
	// An unknown customer is not erased, just unknown.
	_, err = s.EraseCustomer(ctx, herken.NewID(), dayAt(2), herken.WriteOptions{})
	wantErr(t, err, herken.ErrCustomerNotFound)
	if got := mustErasures(t, s, time.Time{}, 10); len(got) != 1 {
		t.Fatalf("journal after refused erasures: %+v", got)
	}
}

// testEraseSurvivor: erasing a survivor erases every customer merged into
// it, directly or not; a third customer sharing an identifier keeps it.
func testEraseSurvivor(t *testing.T, s herken.Store) {
	p := newPair(t, s)
	x := mustCreate(t, s, NewCustomer("Xander", Phone("+31655555555"), External("K-X")))
	mustAppend(t, s, x.ID, newInteraction(minuteAt(7), "x1"))
	mustMerge(t, s, p.mg.ID, x.ID, dayAt(1))
	mustMerge(t, s, p.sv.ID, p.mg.ID, dayAt(2))
	thirdRecord, thirdHist, thirdProm := mustGet(t, s, p.third.ID), historyOf(t, s, p.third.ID), promisesOf(t, s, p.third.ID)

	erased := mustErase(t, s, p.sv.ID, dayAt(3))
	if len(erased) != 3 || erased[0] != p.sv.ID || !slices.Equal(slices.Sorted(slices.Values(erased[1:])), slices.Sorted(slices.Values([]string{p.mg.ID, x.ID}))) {
		t.Fatalf("erased %v, want the survivor first, then %s and %s", erased, p.mg.ID, x.ID)
	}
	for _, id := range []string{p.sv.ID, p.mg.ID, x.ID} {
		_, err := s.Resolve(ctx, id)
		wantErr(t, err, herken.ErrCustomerErased)
		_, err = s.GetCustomer(ctx, id)
		wantErr(t, err, herken.ErrCustomerErased)
	}
	// Unmerging what was merged into an erased customer: erased too.
	for _, id := range []string{p.mg.ID, x.ID} {
		_, _, err := s.UnmergeCustomer(ctx, id, planUnmerge(dayAt(4)), herken.WriteOptions{})
		wantErr(t, err, herken.ErrCustomerErased)
	}
	all := append(slices.Clone(p.idents), Phone("+31655555555"), External("K-X"))
	for i, h := range holdersOf(t, s, all...) {
		want := []string{}
		if all[i] == p.hall {
			want = []string{p.third.ID}
		}
		if !slices.Equal(h, want) {
			t.Fatalf("holders of %v after erase: %v, want %v", all[i], h, want)
		}
	}
	if fb, _ := mustListInteractions(t, s, herken.InteractionQuery{UnansweredFeedback: true, PageSize: 10}); summariesOf(fb) != "t1" {
		t.Fatalf("unanswered feedback after erase: %s", summariesOf(fb))
	}
	if got := ids(listAll(t, s, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 10})); fmt.Sprint(got) != "[tp1]" {
		t.Fatalf("open promises after erase: %v", got)
	}
	if got := customerIDs(listCustomerPages(t, s, herken.CustomerQuery{PageSize: 10})); !slices.Equal(got, []string{p.third.ID}) {
		t.Fatalf("customers after erase: %v", got)
	}
	// The third customer: as it was.
	if got := mustGet(t, s, p.third.ID); showCustomer(got, false) != showCustomer(thirdRecord, false) {
		t.Fatalf("third customer changed:\n got %+v\nwant %+v", got, thirdRecord)
	}
	if got := historyOf(t, s, p.third.ID); showInteractions(got) != showInteractions(thirdHist) {
		t.Fatalf("third customer's history:\n%s\nwant\n%s", showInteractions(got), showInteractions(thirdHist))
	}
	if got := promisesOf(t, s, p.third.ID); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", thirdProm) {
		t.Fatalf("third customer's promises:\n got %+v\nwant %+v", got, thirdProm)
	}
	es := mustErasures(t, s, time.Time{}, 10)
	var journal []string
	for _, e := range es {
		journal = append(journal, e.CustomerID)
		if !e.Time.Equal(dayAt(3)) {
			t.Fatalf("journal entry %+v, want time %v", e, dayAt(3))
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(journal)), slices.Sorted(slices.Values(erased))) {
		t.Fatalf("journal %v, want %v", journal, erased)
	}
}

// testEraseIdempotentCreate: a create retried after its customer was
// erased makes a new customer; the erased one stays erased and its id is
// not used again.
func testEraseIdempotentCreate(t *testing.T, s herken.Store) {
	idem := herken.Idempotency{Key: "req-1", Fingerprint: []byte("fp-1"), TTL: time.Hour}
	first, err := s.CreateCustomer(ctx, NewCustomer("Jan", Phone("+31612345678")), herken.WriteOptions{Idempotency: idem})
	if err != nil {
		t.Fatal(err)
	}
	mustErase(t, s, first.ID, dayAt(1))
	retry := NewCustomer("Jan", Phone("+31612345678"))
	got, err := s.CreateCustomer(ctx, retry, herken.WriteOptions{Idempotency: idem})
	if err != nil || got.ID != retry.ID {
		t.Fatalf("retry after erase: %s, %v; want a new customer %s", got.ID, err, retry.ID)
	}
	wantHolders(t, s, Phone("+31612345678"), retry.ID)
	_, err = s.GetCustomer(ctx, first.ID)
	wantErr(t, err, herken.ErrCustomerErased)
	// An erased id stays erased: a create under it is refused.
	again := NewCustomer("Jan")
	again.ID = first.ID
	if _, err := s.CreateCustomer(ctx, again, herken.WriteOptions{}); err == nil {
		t.Fatal("a create under an erased id succeeded")
	}
	_, err = s.Resolve(ctx, first.ID)
	wantErr(t, err, herken.ErrCustomerErased)
}

func testErasures(t *testing.T, s herken.Store) {
	if got := mustErasures(t, s, time.Time{}, 10); len(got) != 0 {
		t.Fatalf("journal of an empty store: %+v", got)
	}
	var cs []herken.Customer
	for i := range 4 {
		cs = append(cs, mustCreate(t, s, NewCustomer(fmt.Sprint("klant ", i))))
	}
	m := mustCreate(t, s, NewCustomer("samengevoegd"))
	mustMerge(t, s, cs[3].ID, m.ID, dayAt(1))
	// Erased out of time order: the journal is by time.
	mustErase(t, s, cs[0].ID, dayAt(3))
	mustErase(t, s, cs[1].ID, dayAt(2))
	mustErase(t, s, cs[2].ID, dayAt(4))
	mustErase(t, s, cs[3].ID, dayAt(5)) // with m
	// show prints entries by time, those erased together (same time) in
	// id order: their order is not the contract.
	show := func(es []herken.Erasure) string {
		if !slices.IsSortedFunc(es, func(a, b herken.Erasure) int { return a.Time.Compare(b.Time) }) {
			return fmt.Sprintf("out of time order: %+v", es)
		}
		es = slices.Clone(es)
		slices.SortStableFunc(es, func(a, b herken.Erasure) int {
			return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.CustomerID, b.CustomerID))
		})
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprint(e.Time.Sub(epoch).Hours()/24, ":", e.CustomerID))
		}
		return fmt.Sprint(out)
	}
	entry := func(c herken.Customer, day int) herken.Erasure {
		return herken.Erasure{CustomerID: c.ID, Time: dayAt(day)}
	}
	together := []herken.Erasure{entry(cs[3], 5), entry(m, 5)}
	all := append([]herken.Erasure{entry(cs[1], 2), entry(cs[0], 3), entry(cs[2], 4)}, together...)
	for _, tc := range []struct {
		since time.Time
		limit int
		want  []herken.Erasure
	}{
		{time.Time{}, 10, all},
		{time.Time{}, 5, all},
		{time.Time{}, 2, all[:2]},
		{dayAt(3), 10, all[1:]},                      // at or after since
		{dayAt(3).Add(time.Nanosecond), 10, all[2:]}, // not before
		{dayAt(3), 1, all[1:2]},
		{dayAt(5), 10, together},
		{dayAt(5).Add(time.Nanosecond), 10, nil},
	} {
		got := mustErasures(t, s, tc.since, tc.limit)
		if show(got) != show(tc.want) {
			t.Errorf("Erasures(%v, %d) = %s, want %s", tc.since, tc.limit, show(got), show(tc.want))
		}
	}
}
