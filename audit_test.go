package herken_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func (e *env) trail(id string) []herken.AuditRecord {
	e.t.Helper()
	recs, _, err := e.svc.ListAudit(bg, id, herken.MaxPageSize, "")
	if err != nil {
		e.t.Fatalf("ListAudit(%s): %v", id, err)
	}
	return recs
}

func (e *env) audit(id string, ago time.Duration, method string) herken.AuditRecord {
	e.t.Helper()
	r := herken.AuditRecord{ID: herken.NewID(), CustomerID: id, Time: e.now.Add(-ago), Actor: "pbx-1", Method: method, Action: herken.AuditRead}
	if err := e.svc.AppendAudit(bg, []herken.AuditRecord{r}); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// TestEraseRecordsAudit: an erasure adds an AuditErase record by the
// caller to the trail of every erased id, and keeps what was there.
func TestEraseRecordsAudit(t *testing.T) {
	e := newEnv(t)
	a := e.customer("Anna", e.email("anna@example.nl"))
	b := e.customer("A. Bakker", e.phone("06-12345678"))
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	read := e.audit(a.ID, time.Hour, "/herken.v1.RecognitionService/Lookup")
	e.advance(time.Minute)
	er, err := e.svc.EraseCustomer(bg, a.ID, herken.Write{Actor: "admin-1", RequestID: "req-9"})
	if err != nil || er.AuditErr != nil || !slices.Equal(er.IDs, []string{a.ID, b.ID}) {
		t.Fatalf("EraseCustomer = %+v, %v", er, err)
	}
	for _, id := range er.IDs {
		tr := e.trail(id)
		r := tr[0]
		if r.CustomerID != id || r.Action != herken.AuditErase || r.Actor != "admin-1" || r.RequestID != "req-9" ||
			r.Method != herken.AuditEraseMethod || !r.Time.Equal(er.Time) || r.ID == "" {
			t.Fatalf("erase record of %s: %+v", id, r)
		}
		want := 1
		if id == a.ID {
			want = 2
			if tr[1] != read {
				t.Fatalf("the earlier record of %s: %+v, want %+v", id, tr[1], read)
			}
		}
		if len(tr) != want {
			t.Fatalf("trail of %s has %d records, want %d", id, len(tr), want)
		}
	}
	if herken.AuditEraseMethod != herkenv1.CustomerService_EraseCustomer_FullMethodName {
		t.Fatalf("AuditEraseMethod %q is not the RPC's name", herken.AuditEraseMethod)
	}

	// Without a caller's name: the anonymous actor. A refused erasure
	// records nothing.
	c := e.customer("Cor")
	if _, err := e.svc.EraseCustomer(bg, c.ID, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if tr := e.trail(c.ID); len(tr) != 1 || tr[0].Actor != herken.AnonymousActor {
		t.Fatalf("anonymous erase: %+v", tr)
	}
	if _, err := e.svc.EraseCustomer(bg, c.ID, herken.Write{Actor: "admin-1"}); !errors.Is(err, herken.ErrCustomerErased) {
		t.Fatalf("erasing again: %v", err)
	}
	if tr := e.trail(c.ID); len(tr) != 1 {
		t.Fatalf("a refused erasure was recorded: %+v", tr)
	}
}

// failingAudit is a store whose audit trail cannot be written.
type failingAudit struct{ herken.Store }

func (failingAudit) AppendAudit(context.Context, []herken.AuditRecord) error {
	return herken.ErrUnavailable
}

// TestEraseAuditFailure: an erasure whose audit record cannot be stored
// still succeeded (it happened); the failure comes back beside it.
func TestEraseAuditFailure(t *testing.T) {
	e := newEnv(t)
	c := e.customer("Cor")
	svc := herken.NewService(failingAudit{e.store}, e.norm, herken.ServiceConfig{})
	er, err := svc.EraseCustomer(bg, c.ID, herken.Write{Actor: "admin-1"})
	if err != nil || !slices.Equal(er.IDs, []string{c.ID}) || !errors.Is(er.AuditErr, herken.ErrUnavailable) {
		t.Fatalf("EraseCustomer = %+v, %v", er, err)
	}
	if _, err := e.svc.GetCustomer(bg, c.ID); !errors.Is(err, herken.ErrCustomerErased) {
		t.Fatalf("not erased: %v", err)
	}
}

// TestExportAudit: the export holds the trails of the customer and of the
// customers merged into it, newest first, and none of anyone else's.
func TestExportAudit(t *testing.T) {
	e := newEnv(t)
	a := e.customer("A", e.external("K-1"))
	b := e.customer("B", e.external("K-2"))
	c := e.customer("C", e.external("K-3"))
	other := e.customer("D", e.external("K-4"))
	var want []herken.AuditRecord
	for i, id := range []string{a.ID, c.ID, b.ID, a.ID, c.ID} {
		want = append(want, e.audit(id, time.Duration(i)*time.Minute, fmt.Sprint("/m", i)))
	}
	e.audit(other.ID, 0, "/other")
	if _, err := e.svc.MergeCustomers(bg, b.ID, c.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.svc.ExportCustomer(bg, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ex.Audit, want) {
		t.Fatalf("export audit\n%+v\nwant\n%+v", ex.Audit, want)
	}
}

// TestExportAuditCapped: at most MaxExportAuditRecords, the newest of all
// trails together.
func TestExportAuditCapped(t *testing.T) {
	e := newEnv(t)
	a := e.customer("A", e.external("K-1"))
	b := e.customer("B", e.external("K-2"))
	var recs []herken.AuditRecord
	n := herken.MaxExportAuditRecords + 20
	for i := range n {
		id := a.ID
		if i%2 == 1 {
			id = b.ID
		}
		recs = append(recs, herken.AuditRecord{ID: herken.NewID(), CustomerID: id, Time: t0.Add(-time.Duration(i) * time.Second), Actor: "x", Method: "/m", Action: herken.AuditRead})
	}
	if err := e.svc.AppendAudit(bg, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MergeCustomers(bg, a.ID, b.ID, 0, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.svc.ExportCustomer(bg, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ex.Audit, recs[:herken.MaxExportAuditRecords]) {
		t.Fatalf("export audit: %d records, newest %v, oldest %v", len(ex.Audit), ex.Audit[0].Time, ex.Audit[len(ex.Audit)-1].Time)
	}
}
