package server_test

import (
	"github.com/herken/herken"

	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func importRec(ext, name string, ids ...*herkenv1.Identifier) *herkenv1.ImportRecord {
	r := &herkenv1.ImportRecord{ExternalId: ext, DisplayName: name}
	for _, id := range ids {
		r.Identifiers = append(r.Identifiers, &herkenv1.ImportIdentifier{Identifier: id})
	}
	return r
}

// TestImportCustomers: a stream over several messages creates, a re-run
// changes nothing, a changed record updates, bad identifiers are dropped
// with problems, and the imported customer is recognised.
func TestImportCustomers(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		ctx := ctxT(t)
		first := []*herkenv1.ImportCustomersRequest{
			{Settings: &herkenv1.ImportSettings{Source: "crm"}, Records: []*herkenv1.ImportRecord{
				importRec("K-1", "Jan de Vries", phone("06-12345678"), email("jan@example.nl")),
				importRec("K-2", "Anna", phone("12")),
			}},
			{Records: []*herkenv1.ImportRecord{importRec("", "Zonder nummer"), importRec("K-1", "Dubbel")}},
		}
		resp, err := sendImport(ctx, s, first...)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetCreated() != 2 || resp.GetFailed() != 2 || resp.GetIdentifiersDropped() != 1 || len(resp.GetResults()) != 4 {
			t.Fatalf("first import: %v", resp)
		}
		if p := resp.GetResults()[1].GetProblems(); len(p) != 1 || p[0].GetField() != "identifiers[0].phone_number" || p[0].GetReason() != "PHONE_NUMBER_INVALID" {
			t.Fatalf("dropped phone: %v", p)
		}
		if p := resp.GetResults()[3].GetProblems(); len(p) != 1 || p[0].GetReason() != "EXTERNAL_ID_DUPLICATE" {
			t.Fatalf("duplicate: %v", p)
		}
		jan := resp.GetResults()[0].GetCustomer()
		got, err := s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("+31612345678")})
		if err != nil || got.GetCustomer().GetCustomer().GetName() != jan {
			t.Fatalf("lookup of an imported number: %v %v", got, err)
		}

		before := s.digest(t)
		again, err := sendImport(ctx, s, first...)
		if err != nil || again.GetUnchanged() != 2 || again.GetCreated()+again.GetUpdated() != 0 {
			t.Fatalf("re-run: %v %v", again, err)
		}
		if after := s.digest(t); string(after) != string(before) {
			t.Fatal("a re-run changed the store")
		}

		// The CRM renamed Jan; the mask says it only owns names.
		upd, err := sendImport(ctx, s, &herkenv1.ImportCustomersRequest{
			Settings: &herkenv1.ImportSettings{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}},
			Records:  []*herkenv1.ImportRecord{importRec("K-1", "Jan de Vries-Bakker")},
		})
		if err != nil || upd.GetUpdated() != 1 || upd.GetResults()[0].GetCustomer() != jan {
			t.Fatalf("update: %v %v", upd, err)
		}
		c, err := s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: jan})
		if err != nil || c.GetCustomer().GetDisplayName() != "Jan de Vries-Bakker" || len(c.GetCustomer().GetIdentifiers()) != 3 {
			t.Fatalf("after update: %v %v", c, err)
		}
	})
}

// TestImportCustomersStreamErrors: what fails a whole stream writes
// nothing, including settings on a later message.
func TestImportCustomersStreamErrors(t *testing.T) {
	s := newTestServer(t)
	ctx := ctxT(t)
	s.unchanged(t, func() {
		_, err := sendImport(ctx, s,
			&herkenv1.ImportCustomersRequest{Records: []*herkenv1.ImportRecord{importRec("K-5", "Vijf")}},
			&herkenv1.ImportCustomersRequest{Settings: &herkenv1.ImportSettings{Source: "erp"}},
		)
		checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_INVALID", "settings"})
	})
	s.unchanged(t, func() {
		var reqs []*herkenv1.ImportCustomersRequest
		for range 11 {
			msg := &herkenv1.ImportCustomersRequest{}
			for range 1000 {
				msg.Records = append(msg.Records, importRec("K-6", "Zes"))
			}
			reqs = append(reqs, msg)
		}
		_, err := sendImport(ctx, s, reqs...)
		checkErr(t, err, wantErr{codes.InvalidArgument, "TOO_MANY_VALUES", "records"})
	})
}

// TestImportCustomersAudit: each customer an import created or changed
// gets a CHANGE record; an unchanged one, a failed record and a
// validate_only stream get none.
func TestImportCustomersAudit(t *testing.T) {
	rec := &collect{}
	s := newTestServer(t, withMemory(), func(c *testConfig) { c.cfg.Audit = rec })
	ctx := ctxT(t)
	resp, err := sendImport(ctx, s, &herkenv1.ImportCustomersRequest{Records: []*herkenv1.ImportRecord{
		importRec("K-1", "Een"), importRec("K-2", "Twee"), importRec("", "Geen"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.all()
	if len(got) != 2 || got[0].Action != herken.AuditChange || got[0].Method != herkenv1.CustomerService_ImportCustomers_FullMethodName {
		t.Fatalf("records after import: %+v", got)
	}
	names := map[string]bool{"customers/" + got[0].CustomerID: true, "customers/" + got[1].CustomerID: true}
	if !names[resp.GetResults()[0].GetCustomer()] || !names[resp.GetResults()[1].GetCustomer()] {
		t.Fatalf("audited %v, imported %v", names, resp.GetResults())
	}
	for _, st := range []*herkenv1.ImportSettings{nil, {ValidateOnly: true}} {
		if _, err := sendImport(ctx, s, &herkenv1.ImportCustomersRequest{Settings: st, Records: []*herkenv1.ImportRecord{importRec("K-1", "Een"), importRec("K-3", "Drie")}}); err != nil {
			t.Fatal(err)
		}
	}
	// The first of the two: K-3 created (K-1 unchanged); validate_only none.
	if n := len(rec.all()); n != 3 {
		t.Fatalf("%d records, want 3: %+v", n, rec.all())
	}
}
