package badgerstore_test

import (
	"context"
	"testing"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/identity/badgerstore"
	"github.com/herken/herken/identity/storetest"
)

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) identity.Store {
		s, err := badgerstore.Open(badgerstore.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceOnDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) identity.Store {
		s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestReopen proves data and index survive a close and reopen on disk.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, SyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewCustomer("Jan", storetest.Phone("+31612345678"))
	if _, err := s.CreateCustomer(context.Background(), c, identity.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Digest()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, _ := s.Digest()
	if string(before) != string(after) {
		t.Fatal("digest changed across reopen")
	}
	snap, err := s.Match(context.Background(), []identity.Identifier{storetest.Phone("+31612345678")}, identity.MatchOptions{HistoryLimit: 10}, func(h [][]string) string { return h[0][0] })
	if err != nil || snap.Focus != c.ID {
		t.Fatalf("after reopen: %+v %v", snap, err)
	}
}

func TestOpenRequiresDir(t *testing.T) {
	if _, err := badgerstore.Open(badgerstore.Options{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
}
