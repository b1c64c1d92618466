package server_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herken/herken"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// ---- ScreenPopService ----

func FuzzCreateScreenPopLinkRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-12345678")},
		&herkenv1.CreateScreenPopLinkRequest{Identifier: phone("anonymous"), Ttl: durationpb.New(60e9)},
		&herkenv1.CreateScreenPopLinkRequest{Identifier: email("Jan@Example.NL"), Ttl: &durationpb.Duration{Seconds: 900}},
		&herkenv1.CreateScreenPopLinkRequest{Identifier: query("06 12 34 56 78")},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.CreateScreenPopLinkRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.ScreenPop.CreateScreenPopLink(ctx, req)
			if err != nil {
				return err
			}
			// Whatever was asked, the link opens and shows the identifier
			// the request normalises to.
			view, err := h.s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})
			if err != nil {
				t.Fatalf("request %v: its link does not open: %v", req, err)
			}
			lookup, err := h.s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: req.GetIdentifier()})
			if err != nil {
				t.Fatalf("request %v: Lookup of a linked identifier: %v", req, err)
			}
			if view.GetOutcome() != lookup.GetOutcome() || view.GetWithheld() != lookup.GetWithheld() ||
				view.GetCanonicalIdentifier().GetValue() != lookup.GetCanonicalIdentifier().GetValue() ||
				view.GetSignedBy() != herken.AnonymousActor {
				t.Fatalf("request %v: screen pop %v, Lookup %v", req, view, lookup)
			}
			return nil
		})
	})
}

func FuzzGetScreenPopRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.GetScreenPopRequest{Token: "$Q"},
		&herkenv1.GetScreenPopRequest{Token: "$Q", Customer: "customers/$J", InteractionLimit: 3},
		&herkenv1.GetScreenPopRequest{Token: "$W", NamePrefix: "jan"},
		&herkenv1.GetScreenPopRequest{Token: "$W", Customer: "customers/$A"},
		&herkenv1.GetScreenPopRequest{Token: "$X"},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.GetScreenPopRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.ScreenPop.GetScreenPop(ctx, req)
			if err != nil {
				return err
			}
			c := resp.GetCustomer().GetCustomer()
			switch {
			case resp.GetOutcome() == herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND && c == nil:
				t.Fatalf("request %v: FOUND without a customer", req)
			case req.GetCustomer() != "" && c.GetName() != req.GetCustomer():
				// Only a merged customer's survivor may stand in for it.
				got, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: req.GetCustomer()})
				if err != nil || got.GetCustomer().GetName() != c.GetName() {
					t.Fatalf("request %v: shows %s", req, c.GetName())
				}
			case resp.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND && len(resp.GetSearchResults()) > 0:
				t.Fatalf("request %v: a known caller's link searched", req)
			}
			return nil
		})
	})
}
