package server

import (
	"context"
	"testing"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/store/memstore"
)

type countRecorder struct{ n int }

func (c *countRecorder) Record(herken.AuditRecord) { c.n++ }

// Auditing a Lookup costs no allocation of its own (the recorder's record
// aside): the read path stays as cheap as it was.
func TestAuditLookupAllocatesNothing(t *testing.T) {
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &countRecorder{}
	s := &Server{svc: herken.NewService(memstore.New(memstore.Options{}), norm, herken.ServiceConfig{}), cfg: Config{Audit: rec}}
	method := herkenv1.RecognitionService_Lookup_FullMethodName
	rule := auditRules[method]
	req := &herkenv1.LookupRequest{}
	found := &herkenv1.LookupResponse{Customer: &herkenv1.RecognizedCustomer{Customer: &herkenv1.Customer{Name: "customers/abc"}}}
	ambiguous := &herkenv1.LookupResponse{Candidates: []*herkenv1.CustomerSummary{{Name: "customers/a"}, {Name: "customers/b"}}}
	ctx := context.Background()
	for _, resp := range []*herkenv1.LookupResponse{found, ambiguous} {
		if n := testing.AllocsPerRun(100, func() { s.audit(ctx, method, rule, req, resp) }); n > 0 {
			t.Errorf("audit of a Lookup allocates %v times", n)
		}
	}
	if rec.n != 101+202 {
		t.Errorf("%d records, want %d", rec.n, 101+202)
	}
}

// Lists name a customer once per call, however many of its records the
// page holds, also past the names kept on the stack.
func TestAuditDeduplicates(t *testing.T) {
	var recs []string
	s := &Server{cfg: Config{Audit: recorderFunc(func(r herken.AuditRecord) { recs = append(recs, r.CustomerID) })}}
	s.svc = herken.NewService(memstore.New(memstore.Options{}), nil, herken.ServiceConfig{})
	resp := &herkenv1.ListInteractionsResponse{}
	var want []string
	for i := range 40 {
		id := string(rune('a'+i%20)) + "x"
		if i < 20 {
			want = append(want, id)
		}
		resp.Interactions = append(resp.Interactions, &herkenv1.Interaction{Name: "customers/" + id + "/interactions/i"})
	}
	resp.Interactions = append(resp.Interactions, &herkenv1.Interaction{Name: "customers/-/interactions/i"})
	m := herkenv1.InteractionService_ListInteractions_FullMethodName
	s.audit(context.Background(), m, auditRules[m], &herkenv1.ListInteractionsRequest{}, resp)
	if len(recs) != len(want) {
		t.Fatalf("records for %q, want %q", recs, want)
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Fatalf("records for %q, want %q", recs, want)
		}
	}
}

type recorderFunc func(herken.AuditRecord)

func (f recorderFunc) Record(r herken.AuditRecord) { f(r) }
