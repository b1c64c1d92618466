package pgstore

import (
	"strings"
	"sync"
	"testing"

	"github.com/herken/herken/internal/pgtest"
)

// TestMigrate: replicas opening a new database together migrate it once;
// a database migrated by a newer herken is refused.
func TestMigrate(t *testing.T) {
	u := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, Options{URL: u})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s, err := Open(ctx, Options{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rows, version int
	if err := s.pool.QueryRow(ctx, `SELECT count(*), max(version) FROM herken_schema`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != SchemaVersion() || version < 1 {
		t.Fatalf("herken_schema: %d rows, version %d; want 1 row, version %d", rows, version, SchemaVersion())
	}
	// Every replica shares one page-token secret.
	s2, err := Open(ctx, Options{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	if string(s2.secret) != string(s.secret) || len(s.secret) != 32 {
		t.Fatal("two stores on one database have different page-token secrets")
	}
	s2.Close()
	if _, err := s.pool.Exec(ctx, `UPDATE herken_schema SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Options{URL: u}); err == nil || !strings.Contains(err.Error(), "newer than this herken") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}
