package badgerstore_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore"
	"github.com/herken/herken/store/storetest"
)

// disk is a filesystem whose free space the test sets.
type disk struct {
	free atomic.Uint64
	err  atomic.Pointer[error]
}

func (d *disk) Free() (uint64, error) {
	if e := d.err.Load(); e != nil {
		return 0, *e
	}
	return d.free.Load(), nil
}

func wantSpaceLow(t *testing.T, what string, err error) {
	t.Helper()
	var de *herken.Error
	if !errors.As(err, &de) || de.Code != herken.CodeUnavailable || de.Reason != herken.ReasonStoreUnavailable ||
		de.Metadata["cause"] != badgerstore.CauseDiskSpaceLow {
		t.Fatalf("%s below the reserve: %v, want UNAVAILABLE / STORE_UNAVAILABLE with cause %s", what, err, badgerstore.CauseDiskSpaceLow)
	}
}

// TestFreeSpaceReserve: below the reserve every kind of write is refused
// with STORE_UNAVAILABLE and writes nothing, reads go on, and writes are
// accepted again once the free space is 25% above the reserve (not at the
// reserve itself, so a disk at the line does not flap).
func TestFreeSpaceReserve(t *testing.T) {
	const reserve = 100 << 20
	d := &disk{}
	d.free.Store(10 * reserve)
	s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), MinFreeBytes: reserve, DiskFree: d.Free})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	jan, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan", storetest.Phone("+31612345678")), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Writable(); err != nil {
		t.Fatalf("Writable with room: %v", err)
	}

	d.free.Store(reserve - 1)
	before, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	wantSpaceLow(t, "Writable", s.Writable())
	_, err = s.CreateCustomer(ctx, storetest.NewCustomer("Piet", storetest.Phone("+31687654321")), herken.WriteOptions{})
	wantSpaceLow(t, "CreateCustomer", err)
	in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound,
		Outcome: herken.OutcomeResolved, OccurTime: now, Summary: "x"}
	_, err = s.AppendInteraction(ctx, herken.Target{CustomerID: jan.ID}, in, herken.WriteOptions{})
	wantSpaceLow(t, "AppendInteraction", err)
	_, err = s.CreatePromise(ctx, herken.Target{CustomerID: jan.ID},
		herken.Promise{ID: herken.NewID(), Kind: herken.PromiseCallback, DueTime: now.Add(time.Hour), CreateTime: now}, herken.WriteOptions{})
	wantSpaceLow(t, "CreatePromise", err)
	_, _, err = s.PurgeInteractions(ctx, now, 10, herken.WriteOptions{})
	wantSpaceLow(t, "PurgeInteractions", err)
	after, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("refused writes changed the store")
	}
	// Reads go on.
	if _, err := s.GetCustomer(ctx, jan.ID); err != nil {
		t.Fatalf("GetCustomer below the reserve: %v", err)
	}
	if snap := mustMatchOne(t, s, storetest.Phone("+31612345678")); snap != jan.ID {
		t.Fatalf("Match below the reserve: %q, want %q", snap, jan.ID)
	}

	// At the reserve, but not yet 25% above it: still refused.
	d.free.Store(reserve + reserve/4 - 1)
	wantSpaceLow(t, "Writable just above the reserve", s.Writable())
	d.free.Store(reserve + reserve/4)
	if _, err := s.CreateCustomer(ctx, storetest.NewCustomer("Piet", storetest.Phone("+31687654321")), herken.WriteOptions{}); err != nil {
		t.Fatalf("CreateCustomer with room again: %v", err)
	}
	// Above the reserve the margin does not apply: writes go on until the
	// reserve itself is reached.
	d.free.Store(reserve)
	if err := s.Writable(); err != nil {
		t.Fatalf("Writable at the reserve after recovery: %v", err)
	}

	// Not knowing the free space refuses writes too.
	statErr := errors.New("statfs: input/output error")
	d.err.Store(&statErr)
	wantSpaceLow(t, "Writable when statfs fails", s.Writable())
	d.err.Store(nil)
	d.free.Store(10 * reserve)
	if err := s.Writable(); err != nil {
		t.Fatalf("Writable after statfs works again: %v", err)
	}
}

// TestFreeSpaceReopenFull: a store whose disk is below the reserve still
// opens (opening reads, it does not write) and serves reads; a new store
// cannot be created there.
func TestFreeSpaceReopenFull(t *testing.T) {
	dir := t.TempDir()
	d := &disk{}
	d.free.Store(1 << 30)
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, DiskFree: d.Free})
	if err != nil {
		t.Fatal(err)
	}
	jan, err := s.CreateCustomer(context.Background(), storetest.NewCustomer("Jan"), herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	d.free.Store(badgerstore.DefaultMinFreeBytes - 1)
	s, err = badgerstore.Open(badgerstore.Options{Dir: dir, DiskFree: d.Free})
	if err != nil {
		t.Fatalf("reopen below the reserve: %v", err)
	}
	defer s.Close()
	if _, err := s.GetCustomer(context.Background(), jan.ID); err != nil {
		t.Fatalf("read after reopen below the reserve: %v", err)
	}
	wantSpaceLow(t, "Writable after reopen", s.Writable())

	_, err = badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), DiskFree: d.Free})
	wantSpaceLow(t, "opening a new store", err)
}

// TestFreeSpaceReserveOff: a negative reserve turns the guard off.
func TestFreeSpaceReserveOff(t *testing.T) {
	s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), MinFreeBytes: -1,
		DiskFree: func() (uint64, error) { return 0, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateCustomer(context.Background(), storetest.NewCustomer("Jan"), herken.WriteOptions{}); err != nil {
		t.Fatalf("write with the reserve off: %v", err)
	}
}

// TestFreeSpaceLoader: a bulk load stops at the reserve too.
func TestFreeSpaceLoader(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 30)
	s, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), DiskFree: d.Free})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Cancel()
	d.free.Store(0)
	wantSpaceLow(t, "Loader.Add", l.Add(storetest.NewCustomer("Jan"), nil, nil))
}

func mustMatchOne(t *testing.T, s *badgerstore.Store, id identity.Identifier) string {
	t.Helper()
	var got string
	_, err := s.Match(context.Background(), []identity.Identifier{id}, herken.MatchOptions{}, func(h [][]string) string {
		if len(h) == 1 && len(h[0]) == 1 {
			got = h[0][0]
		}
		return got
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// BenchmarkCreateCustomerReserve measures what the free-space reserve
// (a statfs before every write transaction) adds to a write, on disk
// without fsync so the statfs is not hidden behind it.
func BenchmarkCreateCustomerReserve(b *testing.B) {
	for _, bc := range []struct {
		name    string
		reserve int64
	}{{"off", -1}, {"on", 1 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := badgerstore.Open(badgerstore.Options{Dir: b.TempDir(), MinFreeBytes: bc.reserve})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.CreateCustomer(ctx, storetest.NewCustomer("Jan"), herken.WriteOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
