package badgerstore_test

import (
	"context"
	"testing"

	"github.com/herken/herken"
	"github.com/herken/herken/store/badgerstore"
)

// TestSize: the store-size metric's source counts what is on disk.
func TestSize(t *testing.T) {
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, Metrics: true})
	if err != nil {
		t.Fatal(err)
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
	// Badger computes the size when it opens.
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Size(); err != nil || n < 200*2000 {
		t.Fatalf("Size = %d, %v; want at least the 400 kB written", n, err)
	}
}
