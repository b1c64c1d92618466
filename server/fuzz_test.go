package server_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// Fuzz targets feed arbitrary wire bytes, decoded as a request, to the real
// handlers over bufconn. Seeds live in testdata/fuzz/<target>/ (and a few
// below, so `go test` without -fuzz runs them too).

func fuzzCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// checkFuzzStatus: an error is a status with an ErrorInfo reason in the
// herken.v1 domain, and never INTERNAL or UNKNOWN (a bug).
func checkFuzzStatus(t *testing.T, req proto.Message, err error) codes.Code {
	t.Helper()
	st, info, _ := statusDetails(err)
	switch st.Code() {
	case codes.OK:
		return codes.OK
	case codes.Internal, codes.Unknown:
		t.Fatalf("request %v: %s %q", req, st.Code(), st.Message())
	}
	if info.GetReason() == "" || info.GetDomain() != "herken.v1" {
		t.Fatalf("request %v: %s %q without an ErrorInfo reason", req, st.Code(), st.Message())
	}
	return st.Code()
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzLookupRequest(f *testing.F) {
	for _, req := range []*herkenv1.LookupRequest{
		{Identifier: phone("06-12345678")},
		{Identifier: phone(landline), InteractionLimit: 3},
		{Identifier: phone("anonymous")},
		{Identifier: email("Jan@Example.NL")},
		{Identifier: social(platformX, "@JanDeVries")},
		{Identifier: extID("K-100001"), InteractionLimit: 1000},
		{Identifier: postal("1234 AB", 10, "")},
		{Identifier: query("https://twitter.com/JanDeVries")},
		{Identifier: query("1234ab 10")},
		{Identifier: phone("12"), InteractionLimit: -1},
		{},
	} {
		f.Add(mustMarshal(req))
	}
	s := newTestServer(f)
	seed(f, s)

	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.LookupRequest)
		if err := proto.Unmarshal(data, req); err != nil {
			t.Skip()
		}
		ctx, cancel := fuzzCtx()
		defer cancel()
		resp, err := s.Recognition.Lookup(ctx, req)
		if checkFuzzStatus(t, req, err) != codes.OK {
			return
		}
		switch resp.GetOutcome() {
		case herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
			if resp.GetCustomer() == nil || resp.GetCanonicalIdentifier() == nil || resp.GetWithheld() {
				t.Fatalf("request %v: inconsistent FOUND %v", req, resp)
			}
			if n := len(resp.GetCustomer().GetRecentInteractions()); n > 100 {
				t.Fatalf("request %v: %d interactions, more than the cap", req, n)
			}
		case herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
			if resp.GetCustomer() != nil || len(resp.GetCandidates()) < 2 {
				t.Fatalf("request %v: inconsistent AMBIGUOUS %v", req, resp)
			}
		case herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND:
			if resp.GetCustomer() != nil || len(resp.GetCandidates()) != 0 || resp.GetWithheld() == (resp.GetCanonicalIdentifier() != nil) {
				t.Fatalf("request %v: inconsistent NOT_FOUND %v", req, resp)
			}
		default:
			t.Fatalf("request %v: outcome %s", req, resp.GetOutcome())
		}
	})
}

func FuzzCreateCustomerRequest(f *testing.F) {
	for _, req := range []*herkenv1.CreateCustomerRequest{
		{Customer: &herkenv1.Customer{DisplayName: "Jan", PreferredLanguage: "NL", Tags: []string{"VIP", "vip"}},
			Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl")}},
		{Identifiers: []*herkenv1.Identifier{extID("K-100001")}}, // already linked
		{Identifiers: []*herkenv1.Identifier{phone("anonymous")}},
		{Identifiers: []*herkenv1.Identifier{social(herkenv1.SocialPlatform(99), "jan")}},
		{Customer: &herkenv1.Customer{PreferredLanguage: "not a language"}},
		{Customer: &herkenv1.Customer{HandoverNote: "let op"}, RequestId: "seed-1"},
		{RequestId: "bad id!"},
		{Identifiers: []*herkenv1.Identifier{postal("1234AB", 10, "a"), query("x:@jan")}},
		{},
	} {
		f.Add(mustMarshal(req))
	}
	s := newTestServer(f)
	seed(f, s)

	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.CreateCustomerRequest)
		if err := proto.Unmarshal(data, req); err != nil {
			t.Skip()
		}
		before := s.digest(t)
		ctx, cancel := fuzzCtx()
		defer cancel()
		resp, err := s.Customers.CreateCustomer(ctx, req)
		code := checkFuzzStatus(t, req, err)
		after := s.digest(t)
		if code != codes.OK {
			if !bytes.Equal(before, after) {
				t.Fatalf("request %v: failed with %s but wrote to the store", req, code)
			}
			return
		}
		if !customerNameRE.MatchString(resp.GetCustomer().GetName()) {
			t.Fatalf("request %v: created %q", req, resp.GetCustomer().GetName())
		}
		// What was created can be read back unchanged.
		got, err := s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: resp.GetCustomer().GetName()})
		if err != nil {
			t.Fatalf("GetCustomer of a created customer: %v", err)
		}
		if !proto.Equal(got.GetCustomer(), resp.GetCustomer()) {
			t.Fatalf("created %v, read back %v", resp.GetCustomer(), got.GetCustomer())
		}
	})
}
