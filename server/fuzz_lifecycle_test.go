package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Fuzz targets of the CustomerService calls of a customer's life after
// creation (see fuzz_test.go for what every target checks). The fixture
// has a merged customer ($M, merged into $V) and an erased one ($E).

func paths(p ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: p} }

// holds reports whether Lookup of id finds name: as the one holder, or
// among the candidates of a shared identifier.
func holds(ctx context.Context, t *testing.T, s *testServer, id *herkenv1.Identifier, name string) bool {
	t.Helper()
	resp, err := s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: id})
	if err != nil {
		t.Fatalf("Lookup of %v: %v", id, err)
	}
	if resp.GetCustomer().GetCustomer().GetName() == name {
		return true
	}
	return slices.ContainsFunc(resp.GetCandidates(), func(c *herkenv1.CustomerSummary) bool { return c.GetName() == name })
}

// readBack fails unless GetCustomer of name answers with c (for a merged
// name: its survivor).
func readBack(ctx context.Context, t *testing.T, s *testServer, req proto.Message, name string, c *herkenv1.Customer) {
	t.Helper()
	got, err := s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: name})
	if err != nil {
		t.Fatalf("request %v: GetCustomer %s afterwards: %v", req, name, err)
	}
	if !proto.Equal(got.GetCustomer(), c) {
		t.Fatalf("request %v: answered %v, read back %v", req, c, got.GetCustomer())
	}
}

func FuzzUpdateCustomerRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$J", DisplayName: "Jan de Vries-Bakker"}, UpdateMask: paths("display_name")},
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$A", Tags: []string{"VIP", "klacht-open"}, Etag: "1"}, UpdateMask: paths("tags")},
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$J", DisplayName: "Jan", PreferredLanguage: "EN", HandoverNote: "liever Engels"}},
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$M", HandoverNote: "via Kees"}, UpdateMask: paths("*")},
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$E", DisplayName: "Piet"}},
		&herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: "customers/$J"}, UpdateMask: paths("etag", "display_name")},
		&herkenv1.UpdateCustomerRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.UpdateCustomerRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.UpdateCustomer(ctx, req)
			if err != nil {
				return err
			}
			if !customerNameRE.MatchString(resp.GetCustomer().GetName()) {
				t.Fatalf("request %v: updated %q", req, resp.GetCustomer().GetName())
			}
			readBack(ctx, t, h.s, req, req.GetCustomer().GetName(), resp.GetCustomer())
			return nil
		})
	})
}

func FuzzListCustomersRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ListCustomersRequest{},
		&herkenv1.ListCustomersRequest{PageSize: 1, PageToken: "$U"},
		&herkenv1.ListCustomersRequest{Tag: "VIP"},
		&herkenv1.ListCustomersRequest{DisplayNamePrefix: "de  VRIES"},
		&herkenv1.ListCustomersRequest{DisplayNamePrefix: "bakker"},
		&herkenv1.ListCustomersRequest{UpdatedSince: stamp(fixedNow.Add(-time.Hour)), PageSize: 2},
		&herkenv1.ListCustomersRequest{PageSize: -1},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ListCustomersRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.ListCustomers(ctx, req)
			if err != nil {
				return err
			}
			cs := resp.GetCustomers()
			if len(cs) > pageCap(req.GetPageSize()) {
				t.Fatalf("request %v: %d customers on a page", req, len(cs))
			}
			// The documented order: by update time (then name) for a sync
			// (updated_since without a name prefix), by name otherwise.
			byTime := req.GetUpdatedSince() != nil && req.GetDisplayNamePrefix() == ""
			for i, c := range cs {
				if !customerNameRE.MatchString(c.GetName()) {
					t.Fatalf("request %v: listed %q", req, c.GetName())
				}
				if req.GetUpdatedSince() != nil && c.GetUpdateTime().AsTime().Before(req.GetUpdatedSince().AsTime()) {
					t.Fatalf("request %v: %s updated %v, before updated_since", req, c.GetName(), c.GetUpdateTime().AsTime())
				}
				if tag := strings.ToLower(strings.TrimSpace(req.GetTag())); tag != "" && !slices.Contains(c.GetTags(), tag) {
					t.Fatalf("request %v: %s lacks the tag (%q)", req, c.GetName(), c.GetTags())
				}
				if i == 0 {
					continue
				}
				prev := cs[i-1]
				after := c.GetName() > prev.GetName()
				if byTime {
					pt, ct := prev.GetUpdateTime().AsTime(), c.GetUpdateTime().AsTime()
					after = ct.After(pt) || ct.Equal(pt) && after
				}
				if !after {
					t.Fatalf("request %v: out of order: %s after %s", req, c.GetName(), prev.GetName())
				}
			}
			return nil
		})
	})
}

func FuzzAddIdentifierRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.AddIdentifierRequest{Customer: "customers/$J", Identifier: phone("06-87654321"), Source: "crm", Verified: true, Label: "werk"},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$A", Identifier: phone("06-12345678"), Source: "phone"},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$J", Identifier: email("jan@example.nl"), Label: "privé"},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$A", Identifier: extID("K-100001")},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$M", Identifier: query("x:@keesbakker")},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$J", Identifier: email("test@test.com")},
		&herkenv1.AddIdentifierRequest{Customer: "customers/$J", Identifier: phone("anonymous")},
		&herkenv1.AddIdentifierRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.AddIdentifierRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.AddIdentifier(ctx, req)
			if err != nil {
				return err
			}
			c := resp.GetCustomer()
			if n := len(c.GetIdentifiers()); n > 32 {
				t.Fatalf("request %v: %d identifiers", req, n)
			}
			if !holds(ctx, t, h.s, req.GetIdentifier(), c.GetName()) {
				t.Fatalf("request %v: Lookup does not find %s by the identifier it linked", req, c.GetName())
			}
			return nil
		})
	})
}

func FuzzRemoveIdentifierRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.RemoveIdentifierRequest{Customer: "customers/$J", Identifier: email("Jan@Example.NL")},
		&herkenv1.RemoveIdentifierRequest{Customer: "customers/$A", Identifier: phone(landline)},
		&herkenv1.RemoveIdentifierRequest{Customer: "customers/$V", Identifier: email("kees@example.nl")},
		&herkenv1.RemoveIdentifierRequest{Customer: "customers/$J", Identifier: extID("K-100002")},
		&herkenv1.RemoveIdentifierRequest{Customer: "customers/$J", Identifier: phone("private")},
		&herkenv1.RemoveIdentifierRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.RemoveIdentifierRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.RemoveIdentifier(ctx, req)
			if err != nil {
				return err
			}
			if name := resp.GetCustomer().GetName(); holds(ctx, t, h.s, req.GetIdentifier(), name) {
				t.Fatalf("request %v: Lookup still finds %s by the identifier it unlinked", req, name)
			}
			return nil
		})
	})
}

func FuzzMergeCustomersRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$J", Merged: "customers/$A"},
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$A", Merged: "customers/$V", TakeFromMerged: paths("display_name", "tags")},
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$J", Merged: "customers/$M"},
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$J", Merged: "customers/$J"},
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$E", Merged: "customers/$A"},
		&herkenv1.MergeCustomersRequest{Survivor: "customers/$J", Merged: "customers/$A", TakeFromMerged: paths("*")},
		&herkenv1.MergeCustomersRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.MergeCustomersRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.MergeCustomers(ctx, req)
			if err != nil {
				return err
			}
			if resp.GetSurvivor().GetName() != req.GetSurvivor() {
				t.Fatalf("request %v: survivor %q", req, resp.GetSurvivor().GetName())
			}
			got, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: req.GetMerged()})
			if err != nil || got.GetCustomer().GetName() != req.GetSurvivor() || got.GetMergedName() != req.GetMerged() {
				t.Fatalf("request %v: GetCustomer of the merged name: %v %v", req, got, err)
			}
			return nil
		})
	})
}

func FuzzUnmergeCustomersRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.UnmergeCustomersRequest{Merged: "customers/$M"},
		&herkenv1.UnmergeCustomersRequest{Merged: "customers/$V"},
		&herkenv1.UnmergeCustomersRequest{Merged: "customers/$E"},
		&herkenv1.UnmergeCustomersRequest{Merged: "customers/$J"},
		&herkenv1.UnmergeCustomersRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.UnmergeCustomersRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.UnmergeCustomers(ctx, req)
			if err != nil {
				return err
			}
			if resp.GetMerged().GetName() != req.GetMerged() || resp.GetSurvivor().GetName() == req.GetMerged() {
				t.Fatalf("request %v: got %v", req, resp)
			}
			got, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: req.GetMerged()})
			if err != nil || got.GetMergedName() != "" || !proto.Equal(got.GetCustomer(), resp.GetMerged()) {
				t.Fatalf("request %v: GetCustomer of the unmerged name: %v %v", req, got, err)
			}
			return nil
		})
	})
}

func FuzzEraseCustomerRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.EraseCustomerRequest{Name: "customers/$V"},
		&herkenv1.EraseCustomerRequest{Name: "customers/$M"},
		&herkenv1.EraseCustomerRequest{Name: "customers/$A"},
		&herkenv1.EraseCustomerRequest{Name: "customers/$E"},
		&herkenv1.EraseCustomerRequest{Name: "customers/-"},
		&herkenv1.EraseCustomerRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.EraseCustomerRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.EraseCustomer(ctx, req)
			if err != nil {
				return err
			}
			for _, name := range append([]string{req.GetName()}, resp.GetAlsoErased()...) {
				_, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: name})
				if st, info, _ := statusDetails(err); st.Code() != codes.NotFound || info.GetReason() != "CUSTOMER_ERASED" {
					t.Fatalf("request %v: GetCustomer %s after the erasure: %v", req, name, err)
				}
			}
			return nil
		})
	})
}

func FuzzExportCustomerRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ExportCustomerRequest{Name: "customers/$J"},
		&herkenv1.ExportCustomerRequest{Name: "customers/$V"},
		&herkenv1.ExportCustomerRequest{Name: "customers/$M"},
		&herkenv1.ExportCustomerRequest{Name: "customers/$E"},
		&herkenv1.ExportCustomerRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ExportCustomerRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.ExportCustomer(ctx, req)
			if err != nil {
				return err
			}
			if !customerNameRE.MatchString(resp.GetCustomer().GetName()) || resp.GetExportTime() == nil {
				t.Fatalf("request %v: exported %v", req, resp)
			}
			ins := resp.GetInteractions()
			for i := 1; i < len(ins); i++ {
				if ins[i].GetOccurTime().AsTime().After(ins[i-1].GetOccurTime().AsTime()) {
					t.Fatalf("request %v: history not newest first", req)
				}
			}
			if _, err := protojson.Marshal(resp); err != nil {
				t.Fatalf("request %v: export does not render as JSON: %v", req, err)
			}
			return nil
		})
	})
}
