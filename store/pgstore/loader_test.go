package pgstore

import (
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/storetest"
)

// TestLoader loads customers with COPY and reads them back as online
// writes would have stored them: Match, history, promises, Check clean.
func TestLoader(t *testing.T) {
	s := newStore(t)
	schema := func() string {
		var out string
		err := s.pool.QueryRow(ctx, `SELECT string_agg(d, E'\n' ORDER BY d) FROM (
			SELECT indexdef AS d FROM pg_indexes WHERE schemaname = current_schema()
			UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace) x`).Scan(&out)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := schema()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	home := storetest.Phone("+31201234567")
	a := storetest.NewCustomer("Jan de Vries", storetest.Phone("+31612345678"), home)
	b := storetest.NewCustomer("Anna de Vries", storetest.Phone("+31623456789"), home)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: at, CreateTime: at, Summary: "belde over factuur"}
	p := herken.Promise{ID: herken.NewID(), Kind: herken.PromiseCallback, DueTime: at.Add(time.Hour), State: herken.PromiseOpen, CreateTime: at}
	if err := l.Add(a, []herken.Interaction{in}, []herken.Promise{p}); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(b, nil, nil); err != nil {
		t.Fatal(err)
	}
	// An exclusive identifier twice fails the load.
	if err := l.Add(storetest.NewCustomer("X", storetest.Phone("+31612345678"), storetest.External("K-1")), nil, nil); err != nil {
		t.Fatalf("a shared phone is fine: %v", err)
	}
	bad := storetest.NewCustomer("Y", storetest.External("K-1"))
	l2, _ := newLoaderCopy(l)
	if err := l2.Add(bad, nil, nil); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("an exclusive identifier loaded twice: %v", err)
	}
	stats, err := l.Finish()
	if err != nil {
		t.Fatal(err)
	}
	// The indexes and foreign keys the load dropped are all back.
	if after := schema(); after != before {
		t.Fatalf("indexes and constraints after the load:\n%s\nbefore:\n%s", after, before)
	}
	if stats.Customers != 3 || stats.Interactions != 1 || stats.Promises != 1 {
		t.Fatalf("stats %+v", stats)
	}
	snap, err := s.Match(ctx, []identity.Identifier{storetest.Phone("+31612345678"), home},
		herken.MatchOptions{HistoryLimit: 10, OpenPromiseLimit: 10}, func(h [][]string) string { return a.ID })
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Holders[0]) != 2 || len(snap.Holders[1]) != 2 || snap.Holders[1][0] != a.ID || snap.Holders[1][1] != b.ID {
		t.Fatalf("holders %v", snap.Holders)
	}
	if len(snap.History) != 1 || snap.History[0].Summary != in.Summary || snap.History[0].CustomerID != a.ID || len(snap.Promises) != 1 {
		t.Fatalf("history %v promises %v", snap.History, snap.Promises)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("Check after a load: %v %v", err, rep.Problems)
	}
	if _, err := s.NewLoader(ctx); err == nil {
		t.Fatal("a second load into a store with customers was allowed")
	}
}

// newLoaderCopy is a loader that shares l's identifier index, to try a
// refused Add without failing l.
func newLoaderCopy(l *Loader) (*Loader, error) {
	return &Loader{s: l.s, ctx: l.ctx, holders: l.holders}, nil
}
