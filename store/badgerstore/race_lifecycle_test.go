package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Races of the customer lifecycle (race_test.go's way: through the
// Service, ending with the integrity check): linking one identifier to two
// customers, merges in both directions, erasure against a merge and
// against Lookup.

// lifeCustomer creates a customer with a phone, an external id and a
// little history, and returns it with its identifiers.
func (e *raceEnv) lifeCustomer(t *testing.T, name string, n int) (herken.Customer, []identity.Normalized) {
	t.Helper()
	ctx := context.Background()
	ids := []identity.Normalized{
		e.norm(t, identity.KindPhone, fmt.Sprintf("+3165%07d", 1000000+n)),
		e.norm(t, identity.KindExternalID, fmt.Sprintf("K-%06d", n)),
	}
	c, err := e.svc.CreateCustomer(ctx, herken.NewCustomer{DisplayName: name, Tags: []string{"race"}, Identifiers: ids}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		in := herken.Interaction{Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: raceEpoch.Add(-time.Duration(n*10+i) * time.Minute), Summary: name}
		if _, err := e.svc.RecordInteraction(ctx, herken.InteractionTarget{CustomerID: c.ID}, in, herken.Write{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CreatePromise(ctx, herken.InteractionTarget{CustomerID: c.ID}, herken.NewPromise{
		Kind: herken.PromiseCallback, Owner: "team-race", DueTime: raceEpoch.Add(time.Duration(n+1) * time.Hour)}, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	return c, ids
}

// holdersOf is who Lookup finds for an identifier (nil for nobody).
func (e *raceEnv) holdersOf(t *testing.T, n identity.Normalized) []string {
	t.Helper()
	out, ids := e.lookup(t, n)
	if out == herken.MatchNotFound {
		return nil
	}
	return ids
}

// TestRaceLinkExclusive: one external id added to several customers at
// once — exactly one holds it, the others are told who does.
func TestRaceLinkExclusive(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	const rounds, racers = 10, 4
	for round := range rounds {
		var cs []herken.Customer
		for i := range racers {
			c, _ := e.lifeCustomer(t, fmt.Sprint("linker ", i), round*racers+i)
			cs = append(cs, c)
		}
		crm := e.norm(t, identity.KindExternalID, fmt.Sprintf("SHARED-%03d", round))
		errs := make([]error, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					_, errs[i] = e.svc.AddIdentifier(ctx, c.ID, herken.IdentifierLink{Identifier: crm, Source: "crm"}, herken.Write{})
					if !errors.Is(errs[i], herken.ErrUnavailable) {
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: %d and %d both linked it", round, winner, i)
				}
				winner = i
			case errors.Is(err, herken.ErrAlreadyLinked):
			default:
				t.Fatalf("round %d: racer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody linked it", round)
		}
		if got := e.holdersOf(t, crm); !slices.Equal(got, []string{cs[winner].ID}) {
			t.Fatalf("round %d: holders %v, want %s", round, got, cs[winner].ID)
		}
		for i, c := range cs {
			got, err := e.svc.GetCustomer(ctx, c.ID)
			if err != nil || got.HasIdentifier(crm.Identifier) != (i == winner) {
				t.Fatalf("round %d: racer %d lists it: %v (%v)", round, i, got.HasIdentifier(crm.Identifier), err)
			}
		}
	}
	e.requireClean(t)
}

// TestRaceMergeBothWays: A into B and B into A at once — one merge wins,
// the other is told the customer was merged; every identifier is held
// once, by the winner; both names resolve to it.
func TestRaceMergeBothWays(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	const rounds = 15
	for round := range rounds {
		a, aIDs := e.lifeCustomer(t, "Anna", 2*round)
		b, bIDs := e.lifeCustomer(t, "Bram", 2*round+1)
		var errAB, errBA error
		var wg sync.WaitGroup
		start := make(chan struct{})
		merge := func(survivor, merged string, err *error) {
			defer wg.Done()
			<-start
			for {
				_, *err = e.svc.MergeCustomers(ctx, survivor, merged, 0, herken.Write{})
				if !errors.Is(*err, herken.ErrUnavailable) {
					return
				}
			}
		}
		wg.Add(2)
		go merge(a.ID, b.ID, &errAB)
		go merge(b.ID, a.ID, &errBA)
		close(start)
		wg.Wait()
		var winner, loser string
		var lost error
		switch {
		case errAB == nil && errBA != nil:
			winner, loser, lost = a.ID, b.ID, errBA
		case errBA == nil && errAB != nil:
			winner, loser, lost = b.ID, a.ID, errAB
		default:
			t.Fatalf("round %d: A<-B %v, B<-A %v: want exactly one to win", round, errAB, errBA)
		}
		if !errors.Is(lost, herken.ErrCustomerMerged) {
			t.Fatalf("round %d: the loser got %v, want CUSTOMER_MERGED", round, lost)
		}
		for _, id := range []string{a.ID, b.ID} {
			if got, err := e.store.Resolve(ctx, id); err != nil || got != winner {
				t.Fatalf("round %d: Resolve(%s) = %s, %v; want %s", round, id, got, err, winner)
			}
		}
		survivor, err := e.svc.GetCustomer(ctx, winner)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range append(slices.Clone(aIDs), bIDs...) {
			if got := e.holdersOf(t, n); !slices.Equal(got, []string{winner}) {
				t.Fatalf("round %d: %v held by %v, want the winner %s", round, n.Identifier.Kind, got, winner)
			}
			if i := survivor.IdentifierIndex(n.Identifier); i < 0 || slices.IndexFunc(survivor.Identifiers[i+1:], func(l herken.LinkedIdentifier) bool {
				return l.Identifier == n.Identifier
			}) >= 0 {
				t.Fatalf("round %d: the survivor lists %v %d times", round, n.Identifier.Kind, countOf(survivor, n))
			}
		}
		hist, _, err := e.svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: loser, PageSize: 50})
		if err != nil || len(hist) != 3+3+1 { // both histories and the merge event
			t.Fatalf("round %d: history through the merged name: %d, %v", round, len(hist), err)
		}
	}
	e.requireClean(t)
}

func countOf(c herken.Customer, n identity.Normalized) int {
	k := 0
	for _, l := range c.Identifiers {
		if l.Identifier == n.Identifier {
			k++
		}
	}
	return k
}

// TestRaceEraseDuringMerge: B merged into A while A is erased. Either the
// erasure came first (the merge finds A erased, B stays as it was) or the
// merge did (the erasure takes B with A); nothing of an erased customer is
// left either way (the integrity check), and no identifier of B is lost.
func TestRaceEraseDuringMerge(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	const rounds = 15
	outcomes := map[string]int{}
	for round := range rounds {
		a, aIDs := e.lifeCustomer(t, "Anna", 2*round)
		b, bIDs := e.lifeCustomer(t, "Bram", 2*round+1)
		var mergeErr, eraseErr error
		var erased herken.Erased
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			for {
				_, mergeErr = e.svc.MergeCustomers(ctx, a.ID, b.ID, 0, herken.Write{})
				if !errors.Is(mergeErr, herken.ErrUnavailable) {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			// Staggered, so that both orders happen over the rounds.
			time.Sleep(time.Duration(round%5) * 200 * time.Microsecond)
			for {
				erased, eraseErr = e.svc.EraseCustomer(ctx, a.ID, herken.Write{})
				if !errors.Is(eraseErr, herken.ErrUnavailable) {
					return
				}
			}
		}()
		close(start)
		wg.Wait()
		if eraseErr != nil {
			t.Fatalf("round %d: erase: %v", round, eraseErr)
		}
		switch {
		case mergeErr == nil && slices.Equal(erased.IDs, []string{a.ID, b.ID}):
			outcomes["merge first"]++
			for _, n := range bIDs {
				if got := e.holdersOf(t, n); got != nil {
					t.Fatalf("round %d: B's identifier still held by %v", round, got)
				}
			}
		case errors.Is(mergeErr, herken.ErrCustomerErased) && slices.Equal(erased.IDs, []string{a.ID}):
			outcomes["erase first"]++
			for _, n := range bIDs {
				if got := e.holdersOf(t, n); !slices.Equal(got, []string{b.ID}) {
					t.Fatalf("round %d: B's identifier held by %v, want B", round, got)
				}
			}
		default:
			t.Fatalf("round %d: merge %v, erase %v", round, mergeErr, erased.IDs)
		}
		for _, n := range aIDs {
			if got := e.holdersOf(t, n); got != nil {
				t.Fatalf("round %d: A's identifier still held by %v", round, got)
			}
		}
		if _, err := e.svc.GetCustomer(ctx, a.ID); !errors.Is(err, herken.ErrCustomerErased) {
			t.Fatalf("round %d: GetCustomer(A) = %v, want CUSTOMER_ERASED", round, err)
		}
	}
	t.Logf("outcomes: %v", outcomes)
	e.requireClean(t)
}

// TestRaceEraseDuringLookup: Lookups of a customer's identifiers while it
// is erased answer found or not found — never an error, never a candidate
// that is half gone — and not found from the erasure on.
func TestRaceEraseDuringLookup(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	const rounds = 10
	for round := range rounds {
		c, ids := e.lifeCustomer(t, "Cor", round)
		done := make(chan struct{})
		var wg sync.WaitGroup
		for _, n := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					res, err := e.svc.Lookup(ctx, n, 0)
					switch {
					case err != nil:
						t.Errorf("round %d: Lookup during erase: %v", round, err)
						return
					case res.Outcome == herken.MatchFound && (res.Customer.Customer.ID != c.ID || len(res.Customer.Customer.Identifiers) != len(ids)):
						t.Errorf("round %d: Lookup found a half-erased customer: %+v", round, res.Customer.Customer)
						return
					case res.Outcome != herken.MatchFound && res.Outcome != herken.MatchNotFound:
						t.Errorf("round %d: Lookup outcome %v", round, res.Outcome)
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		if _, err := e.svc.EraseCustomer(ctx, c.ID, herken.Write{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range ids {
			if out, _ := e.lookup(t, n); out != herken.MatchNotFound {
				t.Fatalf("round %d: after the erasure Lookup says %v", round, out)
			}
		}
		close(done)
		wg.Wait()
	}
	e.requireClean(t)
}
