package maintenance

import (
	"context"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/memstore"
)

// TestAuditSweeperPurges: the audit sweeper deletes audit records older
// than the audit retention, keeps younger ones, and reports it.
func TestAuditSweeperPurges(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	st := memstore.New(memstore.Options{})
	t.Cleanup(func() { st.Close() })
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	svc := herken.NewService(st, norm, herken.ServiceConfig{Now: func() time.Time { return now }})
	ctx := context.Background()
	id := herken.NewID()
	rec := func(age time.Duration) herken.AuditRecord {
		return herken.AuditRecord{ID: herken.NewID(), CustomerID: id, Time: now.Add(-age), Actor: "pbx-1", Method: "/m", Action: herken.AuditRead}
	}
	old, older, young := rec(401*24*time.Hour), rec(900*24*time.Hour), rec(399*24*time.Hour)
	if err := svc.AppendAudit(ctx, []herken.AuditRecord{old, young, older}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchLimit: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := New(svc, cfg, nil) // the service's clock says now
	if !r.PurgeAudit(ctx) { // one of two: more waiting
		t.Fatal("the first run of one did not report more waiting")
	}
	if r.PurgeAudit(ctx) {
		t.Fatal("the second run reported more waiting")
	}
	left, _, err := svc.ListAudit(ctx, id, 10, "")
	if err != nil || len(left) != 1 || left[0].ID != young.ID {
		t.Fatalf("left after the sweeps: %+v, %v", left, err)
	}
	_, _, a := r.Status()
	if a.Total != 2 || a.Threshold != herken.DefaultAuditRetention || a.Interval != DefaultAuditInterval || a.FailedRuns != 0 {
		t.Fatalf("audit status %+v", a)
	}
}
