package pgstore

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/storetest"
)

// TestUpdatedSinceFarAway: an updated_since past what nanoseconds hold
// reads nothing (it once overflowed and read every customer).
func TestUpdatedSinceFarAway(t *testing.T) {
	s := newStore(t)
	for i := 0; i < 5; i++ {
		c := storetest.NewCustomer(fmt.Sprintf("Klant %d", i), storetest.External(fmt.Sprintf("K-%d", i)))
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	q := herken.CustomerQuery{UpdatedSince: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), PageSize: 10}
	plan := customerPlanFor(q)
	from, err := plan.start(s, q, q.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	sql, args := plan.query(">=", from, 100)
	rows, _ := s.pool.Query(ctx, sql, args...)
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	out, _, err := s.ListCustomers(ctx, q)
	if err != nil || len(out) != 0 || n != 0 {
		t.Fatalf("updated_since 2300: the statement read %d rows, page %d, %v; want none", n, len(out), err)
	}
}

// TestMatchFocusMovesBetweenReads: with more than four candidates Match
// reads twice; writes landing in between move focus, and Match answers
// from one snapshot instead of failing INTERNAL.
func TestMatchFocusMovesBetweenReads(t *testing.T) {
	s := newStore(t)
	P, E := storetest.Phone("+31201234567"), storetest.Email("gezin@example.nl")
	var ids []string
	for i, name := range []string{"A", "B", "C", "D", "F"} {
		var li []identity.Identifier
		if name != "F" {
			li = append(li, P)
		}
		if name == "A" || name == "F" {
			li = append(li, E)
		}
		c := storetest.NewCustomer(name, li...)
		if _, err := s.CreateCustomer(ctx, c, herken.WriteOptions{}); err != nil {
			t.Fatal(i, err)
		}
		ids = append(ids, c.ID)
	}
	a, b := ids[0], ids[1]
	calls := 0
	focus := func(h [][]string) string {
		calls++
		if calls == 1 { // a concurrent writer between Match's two reads
			if _, err := s.UpdateCustomer(ctx, a, func(c *herken.Customer) error {
				c.Identifiers = slices.DeleteFunc(c.Identifiers, func(l herken.LinkedIdentifier) bool { return l.Identifier == E })
				return nil
			}, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateCustomer(ctx, b, func(c *herken.Customer) error {
				c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: E})
				return nil
			}, herken.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var common []string
		for i, hs := range h {
			if i == 0 {
				common = slices.Clone(hs)
				continue
			}
			common = slices.DeleteFunc(common, func(id string) bool { return !slices.Contains(hs, id) })
		}
		if len(common) == 1 {
			return common[0]
		}
		return ""
	}
	snap, err := s.Match(ctx, []identity.Identifier{P, E}, herken.MatchOptions{HistoryLimit: 5}, focus)
	if err != nil || snap.Focus != b {
		t.Fatalf("Match: focus %q, %v; want %s (the one holder of both now)", snap.Focus, err, b)
	}
}

// TestConnectTimeoutIsUnavailable: a database host that accepts and never
// answers is UNAVAILABLE, not the caller's deadline.
func TestConnectTimeoutIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // a database host that accepts and never answers
		}
	}()
	_, err = Open(ctx, Options{URL: "postgres://herken@" + l.Addr().String() + "/herken?sslmode=disable&connect_timeout=1"})
	if e, ok := herken.AsError(err); !ok || e.Code != herken.CodeUnavailable {
		t.Fatalf("Open against a silent host: %v; want ErrUnavailable", err)
	}
}

// TestConcurrentImports: imports from several streams at once (herken
// import sends 4, the server runs 2 batches of each at a time) all
// commit. Side by side, chunks of hundreds of records failed each other
// under SERIALIZABLE until a chunk gave up after its retries.
func TestConcurrentImports(t *testing.T) {
	s := newStore(t)
	const streams, calls, batch = 8, 3, 256
	var wg sync.WaitGroup
	errs := make(chan error, streams*calls)
	for g := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				ops := make([]herken.ImportOp, batch)
				for i := range ops {
					n := (g*calls+c)*batch + i
					cu := storetest.NewCustomer(fmt.Sprintf("Klant %d", n), storetest.External(fmt.Sprintf("K-%d", n)),
						storetest.Phone(fmt.Sprintf("+3161%07d", n)), storetest.Phone(fmt.Sprintf("+31201%06d", n%1000)))
					ops[i] = herken.ImportOp{Key: cu.Identifiers[0].Identifier, New: cu,
						Update: func(*herken.Customer) (bool, error) { return false, nil }}
				}
				res, err := s.ImportCustomers(ctx, ops, herken.WriteOptions{})
				if err != nil {
					errs <- err
					return
				}
				for _, r := range res {
					if r.Err != nil || !r.Created {
						errs <- fmt.Errorf("op: %+v", r)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("an import failed: %v", err)
	}
}
