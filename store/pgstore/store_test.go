package pgstore

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/internal/pgtest"
	"github.com/herken/herken/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var ctx = context.Background()

// newStore opens a store on a fresh database of the test PostgreSQL.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(ctx, Options{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the whole suite on PostgreSQL, nothing skipped,
// and after every test checks the database's invariants (Check).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herken.Store {
		u := pgtest.NewDatabase(t)
		s, err := Open(ctx, Options{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		// Registered before Run's Close, so it runs after it, on a
		// store of its own.
		t.Cleanup(func() { checkClean(t, u) })
		return s
	})
}

// checkClean fails t when Check finds a problem in the database at u.
func checkClean(t *testing.T, u string) {
	t.Helper()
	s, err := Open(ctx, Options{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !rep.OK() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Errorf("after the test, Check found:\n%s", b.String())
	}
}

// TestCheckFindsProblems breaks each kind of row behind the store's back
// and requires Check to name it.
func TestCheckFindsProblems(t *testing.T) {
	breaks := []struct {
		kind string
		sql  string
	}{
		{"holders-missing", `DELETE FROM holders`},
		{"holders-stale", `UPDATE holders SET holders = holders || 'someone-else'::text`},
		{"tag-index", `DELETE FROM customer_tags`},
		{"name-index", `DELETE FROM customer_names`},
		{"customer-columns", `UPDATE customers SET update_ns = update_ns + 1`},
		{"interaction-orphan", `UPDATE interactions SET customer_id = 'gone'`},
		{"name-survivor", `INSERT INTO names (id, survivor) VALUES ('x', 'nobody')`},
		{"erasure-tombstone", `INSERT INTO erasures (customer_id, time_ns) VALUES ('nobody', 1)`},
	}
	for _, b := range breaks {
		t.Run(b.kind, func(t *testing.T) {
			u := pgtest.NewDatabase(t)
			s, err := Open(ctx, Options{URL: u})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := storetest.NewCustomer("Jan de Vries", storetest.Phone("+31612345678"), storetest.External("K-1"))
			if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, OccurTime: c.CreateTime, CreateTime: c.CreateTime}
			if _, err := s.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if rep, err := s.Check(ctx); err != nil || !rep.OK() {
				t.Fatalf("before: %v %v", err, rep.Problems)
			}
			if _, err := s.Pool().Exec(ctx, b.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.ProblemCounts[b.kind] == 0 {
				t.Fatalf("Check did not find %s: %v", b.kind, rep.Problems)
			}
		})
	}
}
