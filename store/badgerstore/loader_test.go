package badgerstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/synth"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/storetest"
)

func TestLoader(t *testing.T) {
	ctx := context.Background()
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var all []synth.Customer
	err = synth.Generate(synth.Config{Customers: 2000, Seed: 7, Now: now}, func(_ int, c synth.Customer) error {
		all = append(all, c)
		return l.Add(c.Customer, c.Interactions, c.Promises)
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.Finish()
	if err != nil || st.Customers != 2000 || st.Interactions != 20000 {
		t.Fatalf("Finish: %+v %v", st, err)
	}
	shared := 0
	for _, c := range all {
		want := c.Customer
		for _, li := range want.Identifiers {
			snap, err := s.Match(ctx, []identity.Identifier{li.Identifier}, herken.MatchOptions{HistoryLimit: 10, OpenPromiseLimit: 10}, func(h [][]string) string {
				if len(h[0]) == 1 {
					return h[0][0]
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Holders[0]) > 1 {
				shared++
				continue
			}
			if snap.Focus != want.ID || len(snap.History) != 10 || len(snap.Promises) != len(c.Promises) {
				t.Fatalf("customer %s: focus %q, %d interactions, %d promises", want.ID, snap.Focus, len(snap.History), len(snap.Promises))
			}
			for i := 1; i < len(snap.History); i++ {
				if snap.History[i].OccurTime.After(snap.History[i-1].OccurTime) {
					t.Fatal("history not newest first")
				}
			}
			if got := snap.Customers[want.ID]; !got.LastContactTime.Equal(snap.History[0].OccurTime) {
				t.Fatalf("last contact %v, newest interaction %v", got.LastContactTime, snap.History[0].OccurTime)
			}
		}
	}
	if shared == 0 {
		t.Fatal("no shared household lines in the load")
	}
	open, _, err := s.ListPromises(ctx, herken.PromiseQuery{State: herken.PromiseOpen, PageSize: 500})
	if err != nil || len(open) == 0 {
		t.Fatalf("open promises after load: %d %v", len(open), err)
	}
	if _, err := s.NewLoader(ctx); err == nil {
		t.Fatal("a loader started on a non-empty store")
	}
}

func TestLoaderEnforcesRules(t *testing.T) {
	ctx := context.Background()
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(storetest.NewCustomer("A", storetest.External("K-1")), nil, nil); err != nil {
		t.Fatal(err)
	}
	err = l.Add(storetest.NewCustomer("B", storetest.External("K-1")), nil, nil)
	if !errors.Is(err, herken.ErrAlreadyLinked) {
		t.Fatalf("exclusive identifier loaded twice: %v", err)
	}
	if _, err := l.Finish(); err == nil {
		t.Fatal("Finish after a failed Add succeeded")
	}
}

// TestLoaderRefusesReusedIDs: two records of one customer under one id
// would leave one of them unreachable; the load fails instead.
func TestLoaderRefusesReusedIDs(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	in := herken.Interaction{ID: "dup", Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeResolved, OccurTime: at, CreateTime: at}
	later := in
	later.OccurTime = at.Add(time.Hour)
	p := storetest.NewPromise(herken.PromiseCallback, at, "")
	for name, add := range map[string]func(*badgerstore.Loader) error{
		"interactions": func(l *badgerstore.Loader) error {
			return l.Add(storetest.NewCustomer("A"), []herken.Interaction{in, later}, nil)
		},
		"promises": func(l *badgerstore.Loader) error {
			return l.Add(storetest.NewCustomer("A"), nil, []herken.Promise{p, p})
		},
	} {
		s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		l, err := s.NewLoader(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := add(l); err == nil {
			t.Errorf("%s: a reused id was loaded", name)
		}
		l.Cancel()
		s.Close()
	}
	// One id per customer: another customer may use the same one.
	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"A", "B"} {
		if err := l.Add(storetest.NewCustomer(name), []herken.Interaction{in}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
}

// TestLoaderPromiseInteraction: a loaded promise may name an interaction
// of the same load, as CreatePromise allows; the store keeps that
// interaction's time, so the integrity check still tells its purge by
// retention from a loss. A name outside the customer's history fails.
func TestLoaderPromiseInteraction(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	call := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeFollowUp, OccurTime: at.Add(-48 * time.Hour), CreateTime: at}
	later := call
	later.ID, later.OccurTime = herken.NewID(), at
	p := storetest.NewPromise(herken.PromiseCallback, at.Add(time.Hour), "")
	p.InteractionID = call.ID

	s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Jan")
	if err := l.Add(c, []herken.Interaction{call, later}, []herken.Promise{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.PurgeInteractions(ctx, at.Add(-time.Hour), 10, herken.WriteOptions{}); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Fatalf("check after purging the promise's interaction: %v\n%s", err, b.String())
	}

	l2s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l2s.Close()
	l2, err := l2s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Cancel()
	stray := p
	stray.InteractionID = herken.NewID()
	if err := l2.Add(storetest.NewCustomer("Anna"), []herken.Interaction{call}, []herken.Promise{stray}); err == nil {
		t.Fatal("a promise naming an interaction outside the history was loaded")
	}
}
