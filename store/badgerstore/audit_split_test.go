package badgerstore

import (
	"context"
	"errors"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/herken/herken"
)

// TestAppendAuditTxnTooBig: a batch that one transaction cannot hold is
// halved until it fits, and every record is stored once.
func TestAppendAuditTxnTooBig(t *testing.T) {
	ctx := context.Background()
	s := smallTxnStore(t)
	cid := herken.NewID()
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	recs := make([]herken.AuditRecord, 700)
	for i := range recs {
		recs[i] = herken.AuditRecord{ID: herken.NewID(), CustomerID: cid, Time: at.Add(time.Duration(i) * time.Second),
			Actor: "pbx-1", Method: "/herken.v1.RecognitionService/Lookup", Action: herken.AuditRead}
	}
	// Prove the premise: the whole batch does not fit one transaction.
	err := s.update(ctx, func(txn *tx) error {
		for _, r := range recs {
			if err := txn.Set(auditKey(r), nil); err != nil {
				return err
			}
			if err := txn.Set(auditAgeKey(r), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, badger.ErrTxnTooBig) {
		t.Fatalf("premise: %d records in one transaction: %v, want ErrTxnTooBig", len(recs), err)
	}
	if err := s.AppendAudit(ctx, recs); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if err := s.AppendAudit(ctx, recs); err != nil { // a retry stores nothing twice
		t.Fatalf("AppendAudit again: %v", err)
	}
	n := 0
	for tok := ""; ; {
		page, next, err := s.ListAudit(ctx, herken.AuditQuery{CustomerID: cid, PageSize: herken.MaxPageSize, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if tok = next; tok == "" {
			break
		}
	}
	if n != len(recs) {
		t.Fatalf("trail of %d records, want %d", n, len(recs))
	}
}
