package badgerstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"
)

// auditFixture is the lifecycle fixture (Els erased) with an audit trail
// for a live customer and for the erased one.
func auditFixture(t *testing.T) (*lifeFixture, []herken.AuditRecord) {
	t.Helper()
	f := newLifeFixture(t)
	recs := []herken.AuditRecord{
		{ID: herken.NewID(), CustomerID: f.jan.ID, Time: checkEpoch, Actor: "pbx-1", Method: "/herken.v1.RecognitionService/Lookup", Action: herken.AuditRead},
		{ID: herken.NewID(), CustomerID: f.els.ID, Time: checkEpoch.Add(time.Minute), Actor: "crm", Method: "/herken.v1.CustomerService/UpdateCustomer", Action: herken.AuditChange},
		{ID: herken.NewID(), CustomerID: f.els.ID, Time: checkEpoch.Add(time.Hour), Actor: "admin", Method: "/herken.v1.CustomerService/EraseCustomer", Action: herken.AuditErase, RequestID: "r-1"},
	}
	if err := f.s.AppendAudit(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	return f, recs
}

// TestCheckAuditClean: a trail, an erased customer's included, is no
// problem, and is counted.
func TestCheckAuditClean(t *testing.T) {
	f, _ := auditFixture(t)
	rep := mustCheck(t, f.s)
	if !rep.OK() {
		t.Fatalf("problems:\n%s", reportText(t, rep))
	}
	if rep.Counts.AuditRecords != 3 || rep.Counts.AuditTimeIndex != 3 || rep.Counts.Other != 0 {
		t.Fatalf("counts %+v", rep.Counts)
	}
}

// TestCheckAuditFindsDamage breaks the trail one way at a time.
func TestCheckAuditFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(txn *tx, recs []herken.AuditRecord) error
		want   []string
	}{
		{"time entry lost", func(txn *tx, r []herken.AuditRecord) error { return txn.Delete(auditAgeKey(r[0])) },
			[]string{ProblemAuditIndexMismatch}},
		{"record lost", func(txn *tx, r []herken.AuditRecord) error { return txn.Delete(auditKey(r[1])) },
			[]string{ProblemAuditIndexMismatch}},
		{"garbage value", func(txn *tx, r []herken.AuditRecord) error { return txn.Set(auditKey(r[2]), []byte{0xff, 0xff, 0x01}) },
			[]string{ProblemUndecodableRecord}},
		{"id differs from key", func(txn *tx, r []herken.AuditRecord) error {
			other := r[0]
			other.ID = herken.NewID()
			v, err := encodeAudit(other)
			if err != nil {
				return err
			}
			return txn.Set(auditKey(r[0]), v)
		}, []string{ProblemRecordKeyMismatch}},
		{"time differs from key", func(txn *tx, r []herken.AuditRecord) error {
			moved := r[0]
			moved.Time = moved.Time.Add(time.Second)
			v, err := encodeAudit(moved)
			if err != nil {
				return err
			}
			return txn.Set(auditKey(r[0]), v)
		}, []string{ProblemIDTimeMismatch}},
		{"unknown action", func(txn *tx, r []herken.AuditRecord) error {
			bad := r[0]
			bad.Action = 9
			v, err := encodeAudit(bad)
			if err != nil {
				return err
			}
			return txn.Set(auditKey(r[0]), v)
		}, []string{ProblemUndecodableRecord}},
		{"malformed keys", func(txn *tx, r []herken.AuditRecord) error {
			if err := txn.Set([]byte(prefixAudit+"x"), nil); err != nil {
				return err
			}
			return txn.Set([]byte(prefixAuditAge+"not-a-time/x/y"), nil)
		}, []string{ProblemMalformedKey, ProblemMalformedKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, recs := auditFixture(t)
			f.update(t, func(txn *tx) error { return tc.break_(txn, recs) })
			rep := mustCheck(t, f.s)
			if got := kindsOf(rep); !slices.Equal(got, tc.want) {
				t.Fatalf("problems %v, want %v:\n%s", got, tc.want, reportText(t, rep))
			}
		})
	}
}

// TestAuditSurvivesErase: erasing a customer through the store keeps its
// trail's keys, and the check stays clean.
func TestAuditSurvivesErase(t *testing.T) {
	f, recs := auditFixture(t)
	ctx := context.Background()
	if _, err := f.s.EraseCustomer(ctx, f.jan.ID, checkEpoch.Add(3*time.Hour), herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.s.ListAudit(ctx, herken.AuditQuery{CustomerID: f.jan.ID, PageSize: 10})
	if err != nil || len(got) != 1 || got[0].ID != recs[0].ID {
		t.Fatalf("trail after erase: %v, %v", got, err)
	}
	if rep := mustCheck(t, f.s); !rep.OK() {
		t.Fatalf("problems:\n%s", reportText(t, rep))
	}
}
