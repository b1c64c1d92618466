package server_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// sendImport sends reqs as one ImportCustomers stream.
func sendImport(ctx context.Context, s *testServer, reqs ...*herkenv1.ImportCustomersRequest) (*herkenv1.ImportCustomersResponse, error) {
	stream, err := s.Customers.ImportCustomers(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			if err == io.EOF {
				break // the server answered early; CloseAndRecv has its status
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// FuzzImportCustomersRequest sends each input as a stream of one message.
// A refused stream writes nothing (the harness checks the digest); an
// accepted one has one result per record whose counts add up, names a
// customer that can be read for every record it created or updated, and
// sent again changes nothing (the upsert is idempotent).
func FuzzImportCustomersRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ImportCustomersRequest{Records: []*herkenv1.ImportRecord{
			{ExternalId: "K-100001", DisplayName: "Jan de Vries", Tags: []string{"vip"}},
			{ExternalId: "K-777", DisplayName: "Nieuw", Identifiers: []*herkenv1.ImportIdentifier{{Identifier: phone("06-12345678"), Label: "mobiel"}, {Identifier: email("test@test.com")}}},
			{ExternalId: "K-777", DisplayName: "Dubbel"},
			{DisplayName: "Geen sleutel"},
		}},
		&herkenv1.ImportCustomersRequest{Settings: &herkenv1.ImportSettings{ValidateOnly: true}, Records: []*herkenv1.ImportRecord{{ExternalId: "K-1", Identifiers: []*herkenv1.ImportIdentifier{{Identifier: social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_X, "jandevries")}}}}},
		&herkenv1.ImportCustomersRequest{Settings: &herkenv1.ImportSettings{Source: "erp", UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tags", "identifiers"}}}, Records: []*herkenv1.ImportRecord{{ExternalId: "K-100002", Tags: []string{"nieuw"}, Identifiers: []*herkenv1.ImportIdentifier{{Identifier: postal("1234AB", 10, "")}, {}}}}},
		&herkenv1.ImportCustomersRequest{Settings: &herkenv1.ImportSettings{SkipRecordOnBadIdentifier: true}, Records: []*herkenv1.ImportRecord{{ExternalId: "K-2", Identifiers: []*herkenv1.ImportIdentifier{{Identifier: phone("anonymous")}}}}},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ImportCustomersRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := sendImport(ctx, h.s, req)
			if err != nil {
				return err
			}
			n := int64(len(req.GetRecords()))
			if int64(len(resp.GetResults())) != n || resp.GetCreated()+resp.GetUpdated()+resp.GetUnchanged()+resp.GetFailed() != n {
				t.Fatalf("request %v: %d records, response %v", req, n, resp)
			}
			for i, r := range resp.GetResults() {
				switch r.GetOutcome() {
				case herkenv1.ImportResult_OUTCOME_FAILED:
					if r.GetCustomer() != "" || len(r.GetProblems()) == 0 {
						t.Fatalf("record %d failed without a problem or with a customer: %v", i, r)
					}
				case herkenv1.ImportResult_OUTCOME_CREATED, herkenv1.ImportResult_OUTCOME_UPDATED, herkenv1.ImportResult_OUTCOME_UNCHANGED:
					if req.GetSettings().GetValidateOnly() && r.GetOutcome() == herkenv1.ImportResult_OUTCOME_CREATED {
						continue
					}
					if _, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: r.GetCustomer()}); err != nil {
						t.Fatalf("record %d: %v names %q: %v", i, r.GetOutcome(), r.GetCustomer(), err)
					}
				default:
					t.Fatalf("record %d: outcome %v", i, r.GetOutcome())
				}
			}
			if req.GetSettings().GetValidateOnly() {
				if !bytes.Equal(h.s.digest(t), h.last) {
					t.Fatalf("request %v: validate_only wrote", req)
				}
				return nil
			}
			before := h.s.digest(t)
			again, err := sendImport(ctx, h.s, proto.Clone(req).(*herkenv1.ImportCustomersRequest))
			if err != nil {
				t.Fatalf("the same import again: %v", err)
			}
			if again.GetCreated()+again.GetUpdated() != 0 || !bytes.Equal(before, h.s.digest(t)) {
				t.Fatalf("request %v: sent again it changed the store: %v", req, again)
			}
			return nil
		})
	})
}
