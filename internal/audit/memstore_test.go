package audit

import (
	"context"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/store/memstore"
)

// flaky fails every other write after the store took it: the retried
// batch must not duplicate (the store skips ids it holds).
type flaky struct {
	*memstore.Store
	n int
}

func (f *flaky) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	err := f.Store.AppendAudit(ctx, recs)
	f.n++
	if err == nil && f.n%2 == 1 {
		return herken.ErrUnavailable
	}
	return err
}

func TestRecorderWithMemstore(t *testing.T) {
	store := memstore.New(memstore.Options{})
	r := newRecorder(t, &flaky{Store: store}, Options{FlushInterval: 5 * time.Millisecond, BatchSize: 7, RetryMin: time.Millisecond})
	for i := range 50 {
		x := rec(i)
		x.CustomerID = "cust"
		r.Record(x)
	}
	if err := r.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	recs, next, err := store.ListAudit(ctxT(t), herken.AuditQuery{CustomerID: "cust", PageSize: 500})
	if err != nil || next != "" || len(recs) != 50 {
		t.Fatalf("trail: %d records, %q, %v; want 50", len(recs), next, err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Time.After(recs[i-1].Time) {
			t.Fatal("not newest first")
		}
	}
	if st := r.Stats(); st.Failures == 0 || st.Written != 50 {
		t.Errorf("stats %+v", st)
	}
}
