package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore"
)

// Races on one store through herken.Service, the way concurrent RPCs
// meet: every test ends with the integrity check. Run them with -race
// (make test does). The races of the customer lifecycle (link, merge,
// erase) are in race_lifecycle_test.go.

type raceEnv struct {
	store *badgerstore.Store
	svc   *herken.Service
	now   atomic.Pointer[time.Time]
}

var raceEpoch = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func newRaceEnv(t *testing.T) *raceEnv {
	t.Helper()
	s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	e := &raceEnv{store: s}
	e.setNow(raceEpoch)
	e.svc = herken.NewService(s, norm, herken.ServiceConfig{Now: func() time.Time { return *e.now.Load() }})
	return e
}

func (e *raceEnv) setNow(t time.Time) { e.now.Store(&t) }

func (e *raceEnv) norm(t *testing.T, kind identity.Kind, v string) identity.Normalized {
	t.Helper()
	n, err := e.svc.Normalize(identity.Input{Kind: kind, Value: v})
	if err != nil {
		t.Fatalf("normalise %v: %v", kind, err)
	}
	return n
}

// requireClean runs the integrity check on the store.
func (e *raceEnv) requireClean(t *testing.T) badgerstore.Report {
	t.Helper()
	rep, err := e.store.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			t.Errorf("integrity: %s", p)
		}
		t.FailNow()
	}
	return rep
}

// lookup returns the outcome and the customer ids an identifier matches.
func (e *raceEnv) lookup(t *testing.T, n identity.Normalized) (herken.MatchOutcome, []string) {
	t.Helper()
	res, err := e.svc.Lookup(context.Background(), n, 0)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	var ids []string
	if res.Customer != nil {
		ids = append(ids, res.Customer.Customer.ID)
	}
	for _, c := range res.Candidates {
		ids = append(ids, c.ID)
	}
	return res.Outcome, ids
}

// createRetrying creates a customer, retrying (with the same request id)
// when the store reports contention, as a client is told to.
func (e *raceEnv) createRetrying(nc herken.NewCustomer, requestID string) (herken.Customer, int, error) {
	for retries := 0; ; retries++ {
		c, err := e.svc.CreateCustomer(context.Background(), nc, herken.Write{RequestID: requestID})
		if !errors.Is(err, herken.ErrUnavailable) || retries == 20 {
			return c, retries, err
		}
	}
}

// TestRaceExclusiveIdentifier: two (and more) customers created at once
// with the same external id — exactly one wins, and a loser leaves nothing
// behind (its other identifiers stay unlinked).
func TestRaceExclusiveIdentifier(t *testing.T) {
	e := newRaceEnv(t)
	const rounds, racers = 20, 6
	for round := range rounds {
		crm := e.norm(t, identity.KindExternalID, fmt.Sprintf("K-%06d", round))
		var wg sync.WaitGroup
		errs := make([]error, racers)
		phones := make([]identity.Normalized, racers)
		for i := range racers {
			phones[i] = e.norm(t, identity.KindPhone, fmt.Sprintf("+316%02d%02d%04d", 10+round, i, 1234))
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc := herken.NewCustomer{DisplayName: fmt.Sprint("racer ", i), Identifiers: []identity.Normalized{crm, phones[i]}}
				_, _, errs[i] = e.createRetrying(nc, fmt.Sprintf("r%d-%d", round, i))
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: racers %d and %d both won", round, winner, i)
				}
				winner = i
			case errors.Is(err, herken.ErrAlreadyLinked):
				if out, _ := e.lookup(t, phones[i]); out != herken.MatchNotFound {
					t.Fatalf("round %d: loser %d's phone is linked (%v)", round, i, out)
				}
			default:
				t.Fatalf("round %d: racer %d: %v", round, i, err)
			}
		}
		out, holders := e.lookup(t, crm)
		if winner < 0 || out != herken.MatchFound || len(holders) != 1 {
			t.Fatalf("round %d: winner %d, lookup %v %v", round, winner, out, holders)
		}
		if _, byPhone := e.lookup(t, phones[winner]); !slices.Equal(byPhone, holders) {
			t.Fatalf("round %d: winner's phone names %v, external id %v", round, byPhone, holders)
		}
	}
	e.requireClean(t)
}

// TestRaceShareLimit: 25 customers link one landline at once — exactly
// MaxHoldersPerIdentity (20) win, the rest fail with the share limit and
// leave nothing behind.
func TestRaceShareLimit(t *testing.T) {
	e := newRaceEnv(t)
	const racers = 25
	landline := e.norm(t, identity.KindPhone, "020-1234567")
	var wg sync.WaitGroup
	errs := make([]error, racers)
	emails := make([]identity.Normalized, racers)
	var retries atomic.Int64
	for i := range racers {
		emails[i] = e.norm(t, identity.KindEmail, fmt.Sprintf("huisgenoot%d@example.nl", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc := herken.NewCustomer{DisplayName: fmt.Sprint("huisgenoot ", i), Identifiers: []identity.Normalized{emails[i], landline}}
			var n int
			_, n, errs[i] = e.createRetrying(nc, fmt.Sprint("h", i))
			retries.Add(int64(n))
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, herken.ErrShareLimit):
			if out, _ := e.lookup(t, emails[i]); out != herken.MatchNotFound {
				t.Fatalf("loser %d's email is linked (%v)", i, out)
			}
		default:
			t.Fatalf("racer %d: %v", i, err)
		}
	}
	out, holders := e.lookup(t, landline)
	if won != herken.MaxHoldersPerIdentity || out != herken.MatchAmbiguous || len(holders) != herken.MaxHoldersPerIdentity {
		t.Fatalf("%d won, lookup %v with %d holders; want %d", won, out, len(holders), herken.MaxHoldersPerIdentity)
	}
	t.Logf("%d winners; %d retries after contention (UNAVAILABLE)", won, retries.Load())
	rep := e.requireClean(t)
	if rep.Counts.Customers != herken.MaxHoldersPerIdentity || rep.Counts.IdentifierIndex != herken.MaxHoldersPerIdentity+1 {
		t.Fatalf("counts %+v", rep.Counts)
	}
}

// TestRacePromiseClose: on each of many overdue promises an agent keeps it,
// another cancels it, the sweeper breaks it and a call is recorded, all at
// once. Exactly one close wins; the losers get PROMISE_NOT_OPEN; the
// history holds the sweeper's event exactly when it won; the open indexes
// agree (integrity check).
func TestRacePromiseClose(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	phone := e.norm(t, identity.KindPhone, "06-12345678")
	c, err := e.svc.CreateCustomer(ctx, herken.NewCustomer{DisplayName: "Jan", Identifiers: []identity.Normalized{phone}}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	const promises = 40
	var ps []herken.Promise
	for i := range promises {
		p, err := e.svc.CreatePromise(ctx, herken.InteractionTarget{CustomerID: c.ID}, herken.NewPromise{
			Kind: herken.PromiseCallback, Owner: "team-techniek",
			DueTime: raceEpoch.Add(-2*time.Hour + time.Duration(i)*time.Second),
		}, herken.Write{})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	const grace = time.Hour
	type result struct{ keep, cancel error }
	results := make([]result, promises)
	var wg sync.WaitGroup
	var swept, recordUnavailable atomic.Int64
	start := make(chan struct{})
	wg.Add(1)
	go func() { // the sweeper, in small batches so it interleaves
		defer wg.Done()
		<-start
		for {
			n, more, err := e.svc.SweepPromises(ctx, grace, 3)
			if err != nil && !errors.Is(err, herken.ErrUnavailable) {
				t.Errorf("sweep: %v", err)
				return
			}
			swept.Add(int64(n))
			if !more && err == nil {
				return
			}
		}
	}()
	for i, p := range ps {
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			_, results[i].keep = e.svc.KeepPromise(ctx, p.CustomerID, p.ID, "agent-042", "", herken.Write{})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, results[i].cancel = e.svc.CancelPromise(ctx, p.CustomerID, p.ID, "agent-007", "", herken.Write{})
		}()
		go func() {
			defer wg.Done()
			<-start
			if _, err := e.svc.RecordInteraction(ctx, herken.InteractionTarget{Identifier: &phone}, herken.Interaction{
				Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeFollowUp,
				OccurTime: raceEpoch.Add(-time.Duration(i) * time.Minute), Summary: "belt over de belofte",
			}, herken.Write{}); errors.Is(err, herken.ErrUnavailable) {
				recordUnavailable.Add(1)
			} else if err != nil {
				t.Errorf("record %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()

	history, _, err := e.svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelSystem}, PageSize: herken.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]int{}
	for _, in := range history {
		events[in.PromiseID]++
	}
	var kept, cancelled, broken, unavailable int
	for i, p := range ps {
		got, err := e.svc.GetPromise(ctx, p.CustomerID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := results[i]
		for _, err := range []error{r.keep, r.cancel} {
			switch {
			case errors.Is(err, herken.ErrUnavailable):
				unavailable++ // contention: the client retries; nothing was written
			case err != nil && !errors.Is(err, herken.ErrPromiseNotOpen):
				t.Fatalf("promise %d: %v", i, err)
			}
		}
		wantEvents := 0
		switch got.State {
		case herken.PromiseKept:
			kept++
			if r.keep != nil || r.cancel == nil {
				t.Fatalf("promise %d KEPT, keep: %v, cancel: %v", i, r.keep, r.cancel)
			}
		case herken.PromiseCancelled:
			cancelled++
			if r.cancel != nil || r.keep == nil {
				t.Fatalf("promise %d CANCELLED, keep: %v, cancel: %v", i, r.keep, r.cancel)
			}
		case herken.PromiseBroken:
			broken++
			wantEvents = 1
			if r.keep == nil || r.cancel == nil {
				t.Fatalf("promise %d BROKEN, keep: %v, cancel: %v", i, r.keep, r.cancel)
			}
		default:
			// OPEN: every close lost to contention; the sweeper would break it
			// on its next run. Acceptable only with UNAVAILABLE answers.
			if !errors.Is(r.keep, herken.ErrUnavailable) || !errors.Is(r.cancel, herken.ErrUnavailable) {
				t.Fatalf("promise %d still %v: keep %v, cancel %v", i, got.State, r.keep, r.cancel)
			}
		}
		if events[p.ID] != wantEvents {
			t.Fatalf("promise %d is %v with %d broken-promise events", i, got.State, events[p.ID])
		}
	}
	if int(swept.Load()) != broken {
		t.Fatalf("sweeper reported %d broken, store holds %d", swept.Load(), broken)
	}
	open, _, err := e.svc.ListPromises(ctx, herken.ListPromisesRequest{PromiseQuery: herken.PromiseQuery{PageSize: herken.MaxPageSize}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range open {
		if p.State != herken.PromiseOpen {
			t.Fatalf("open list holds a %v promise", p.State)
		}
	}
	t.Logf("kept %d, cancelled %d, broken %d, open %d; UNAVAILABLE (contention on the customer record): %d of %d closes, %d of %d recorded calls",
		kept, cancelled, broken, len(open), unavailable, 2*promises, recordUnavailable.Load(), promises)
	e.requireClean(t)
}

// TestRaceLookupDuringCreates: Lookups of shared and unique identifiers
// while customers holding them are created never fail and never see a
// holder without its customer record (Match reads one snapshot).
func TestRaceLookupDuringCreates(t *testing.T) {
	e := newRaceEnv(t)
	ctx := context.Background()
	const writersN, perWriter, readersN = 4, 30, 4
	var lines []identity.Normalized
	for i := range 5 {
		lines = append(lines, e.norm(t, identity.KindPhone, fmt.Sprintf("020-55500%02d", i)))
	}
	phones := make([][]identity.Normalized, writersN)
	for w := range writersN {
		for i := range perWriter {
			phones[w] = append(phones[w], e.norm(t, identity.KindPhone, fmt.Sprintf("+3162%02d%05d", w+10, i)))
		}
	}
	var created atomic.Int64
	var done atomic.Bool
	var wg, readers sync.WaitGroup
	for w := range writersN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				nc := herken.NewCustomer{DisplayName: "klant", Identifiers: []identity.Normalized{phones[w][i], lines[(w+i)%len(lines)]}}
				_, _, err := e.createRetrying(nc, "")
				switch {
				case err == nil:
					created.Add(1)
				case errors.Is(err, herken.ErrShareLimit):
				default:
					t.Errorf("create: %v", err)
				}
			}
		}()
	}
	var lookups atomic.Int64
	for r := range readersN {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; !done.Load(); i++ {
				n := lines[(r+i)%len(lines)]
				if i%2 == 1 {
					n = phones[i%writersN][i%perWriter]
				}
				res, err := e.svc.Lookup(ctx, n, 5)
				lookups.Add(1)
				if err != nil {
					t.Errorf("Lookup during creates: %v", err)
					return
				}
				switch res.Outcome {
				case herken.MatchFound:
					if res.Customer.Customer.ID == "" || !res.Customer.Customer.HasIdentifier(n.Identifier) {
						t.Errorf("FOUND a customer that does not hold the identifier")
					}
				case herken.MatchAmbiguous:
					for _, c := range res.Candidates {
						if c.ID == "" || !c.HasIdentifier(n.Identifier) {
							t.Errorf("a candidate does not hold the identifier")
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	t.Logf("%d customers created during %d lookups", created.Load(), lookups.Load())
	rep := e.requireClean(t)
	if rep.Counts.Customers != created.Load() {
		t.Fatalf("store holds %d customers, %d were acknowledged", rep.Counts.Customers, created.Load())
	}
}
