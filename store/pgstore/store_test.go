package pgstore

import (
	"context"
	"os"
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

// TestConformance runs the whole suite on PostgreSQL, nothing skipped.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herken.Store { return newStore(t) })
}
