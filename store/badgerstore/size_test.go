package badgerstore_test

import (
	"context"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore"
)

// TestSize: the store-size metric's source counts what is on disk: what
// was written, and not the gigabytes of apparent size of Badger's sparse
// value log and write-ahead logs.
func TestSize(t *testing.T) {
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(); err != nil || n > 64<<20 {
		t.Fatalf("Size of an empty store = %d, %v; want the few MB it takes, not its files' apparent size", n, err)
	}
	for i := range 200 {
		c := herken.Customer{ID: herken.NewID(), DisplayName: "Klant", HandoverNote: string(make([]byte, 2000+i))}
		if _, err := s.CreateCustomer(context.Background(), c, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened: what was written is in the tables and the value log.
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Size(); err != nil || n < 200*2000 {
		t.Fatalf("Size = %d, %v; want at least the 400 kB written", n, err)
	}
}
