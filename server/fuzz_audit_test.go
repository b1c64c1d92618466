package server_test

import (
	"context"
	"testing"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Fuzz target of the AuditService (see fuzz_test.go for what every target
// checks). The fixture's erased customer ($E) has a trail: its erasure.

func FuzzListAuditRecordsRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ListAuditRecordsRequest{Parent: "customers/$E"},
		&herkenv1.ListAuditRecordsRequest{Parent: "customers/$J", PageSize: 1},
		&herkenv1.ListAuditRecordsRequest{Parent: "customers/$M", PageSize: 501},
		&herkenv1.ListAuditRecordsRequest{Parent: "customers/$E", PageToken: "$T"},
		&herkenv1.ListAuditRecordsRequest{Parent: "customers/-"},
		&herkenv1.ListAuditRecordsRequest{},
	)
	h := newFuzzHarness(f)
	ac := herkenv1.NewAuditServiceClient(h.s.Conn)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ListAuditRecordsRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := ac.ListAuditRecords(ctx, req)
			if err != nil {
				return err
			}
			recs := resp.GetAuditRecords()
			if len(recs) > pageCap(req.GetPageSize()) {
				t.Fatalf("request %v: %d records on a page", req, len(recs))
			}
			for i, r := range recs {
				if r.GetCustomer() != req.GetParent() {
					t.Fatalf("request %v: a record of %s", req, r.GetCustomer())
				}
				if i > 0 && r.GetTime().AsTime().After(recs[i-1].GetTime().AsTime()) {
					t.Fatalf("request %v: records not newest first: %v", req, recs)
				}
			}
			return nil
		})
	})
}
