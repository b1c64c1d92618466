package badgerstore_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/store/badgerstore"
)

// TestAuditFreeSpaceReserve: below the free-space reserve the audit trail
// takes no writes (appends and purges are refused with STORE_UNAVAILABLE
// and write nothing), and it is still read.
func TestAuditFreeSpaceReserve(t *testing.T) {
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
	rec := func(at time.Time) herken.AuditRecord {
		return herken.AuditRecord{ID: herken.NewID(), CustomerID: "c1", Time: at, Actor: "pbx-1", Method: "/m", Action: herken.AuditRead}
	}
	if err := s.AppendAudit(ctx, []herken.AuditRecord{rec(now)}); err != nil {
		t.Fatal(err)
	}
	d.free.Store(reserve - 1)
	before, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	wantSpaceLow(t, "AppendAudit", s.AppendAudit(ctx, []herken.AuditRecord{rec(now.Add(time.Second))}))
	_, _, err = s.PurgeAudit(ctx, now.Add(time.Hour), 10)
	wantSpaceLow(t, "PurgeAudit", err)
	if after, err := s.Digest(); err != nil || !bytes.Equal(before, after) {
		t.Fatalf("a refused audit write wrote something (%v)", err)
	}
	if got, _, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: "c1", PageSize: 10}); err != nil || len(got) != 1 {
		t.Fatalf("ListAudit below the reserve: %v, %v", got, err)
	}
}
