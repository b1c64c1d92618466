package herken_test

import (
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// TestResolve: several identifiers of one contact agree on a customer
// (MATCHED, or PARTIAL when some are unknown), on several (AMBIGUOUS), on
// none (CONFLICT), or are all unknown (NOT_FOUND).
func TestResolve(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"), e.email("jan@example.nl"))
	kees := e.customer("Kees", e.phone("06-22222222"))
	line := e.phone("020-1234567")
	anna := e.customer("Anna", line, e.email("anna@example.nl"))
	piet := e.customer("Piet", line, e.email("piet@example.nl"))
	e.contact(piet.ID, time.Hour, herken.ChannelPhone, herken.OutcomeResolved, "piet") // Piet ranks first
	e.contact(kees.ID, 2*time.Hour, herken.ChannelPhone, herken.OutcomeResolved, "kees")
	withheld := identity.Normalized{Withheld: true}
	unknown := e.email("nobody@example.nl")

	const (
		found     = herken.MatchFound
		ambiguous = herken.MatchAmbiguous
		notFound  = herken.MatchNotFound
	)
	tests := []struct {
		name       string
		ids        []identity.Normalized
		outcome    herken.ResolveOutcome
		customer   string   // the recognised customer
		candidates []string // ranked
		matches    []herken.MatchOutcome
	}{
		{"matched", []identity.Normalized{e.phone("06-12345678"), e.email("Jan@Example.NL")}, herken.ResolveMatched, jan.ID, nil,
			[]herken.MatchOutcome{found, found}},
		{"partial: one unknown", []identity.Normalized{e.phone("06-12345678"), unknown}, herken.ResolvePartial, jan.ID, nil,
			[]herken.MatchOutcome{found, notFound}},
		{"partial: one withheld", []identity.Normalized{withheld, e.email("jan@example.nl")}, herken.ResolvePartial, jan.ID, nil,
			[]herken.MatchOutcome{notFound, found}},
		{"shared line narrowed to one", []identity.Normalized{line, e.email("anna@example.nl")}, herken.ResolveMatched, anna.ID, nil,
			[]herken.MatchOutcome{ambiguous, found}},
		{"ambiguous", []identity.Normalized{line}, herken.ResolveAmbiguous, "", []string{piet.ID, anna.ID},
			[]herken.MatchOutcome{ambiguous}},
		{"ambiguous with an unknown", []identity.Normalized{unknown, line}, herken.ResolveAmbiguous, "", []string{piet.ID, anna.ID},
			[]herken.MatchOutcome{notFound, ambiguous}},
		{"conflict", []identity.Normalized{e.phone("06-12345678"), e.phone("06-22222222")}, herken.ResolveConflict, "", []string{kees.ID, jan.ID},
			[]herken.MatchOutcome{found, found}},
		{"conflict lists every holder", []identity.Normalized{line, e.phone("06-22222222")}, herken.ResolveConflict, "", []string{piet.ID, kees.ID, anna.ID},
			[]herken.MatchOutcome{ambiguous, found}},
		{"not found", []identity.Normalized{unknown}, herken.ResolveNotFound, "", nil, []herken.MatchOutcome{notFound}},
		{"only withheld", []identity.Normalized{withheld}, herken.ResolveNotFound, "", nil, []herken.MatchOutcome{notFound}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.svc.Resolve(bg, tc.ids, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome %v, want %v", res.Outcome, tc.outcome)
			}
			switch {
			case tc.customer == "" && res.Customer != nil:
				t.Fatalf("recognised %s", res.Customer.Customer.ID)
			case tc.customer != "" && (res.Customer == nil || res.Customer.Customer.ID != tc.customer):
				t.Fatalf("recognised %+v, want %s", res.Customer, tc.customer)
			}
			if got := customerIDs(res.Candidates); !slices.Equal(got, tc.candidates) && (len(got) > 0 || len(tc.candidates) > 0) {
				t.Fatalf("candidates %v, want %v", got, tc.candidates)
			}
			var got []herken.MatchOutcome
			for i, m := range res.Matches {
				got = append(got, m.Outcome)
				if m.Input != tc.ids[i] {
					t.Errorf("match %d is for %+v, want %+v", i, m.Input, tc.ids[i])
				}
			}
			if !slices.Equal(got, tc.matches) {
				t.Fatalf("matches %v, want %v", got, tc.matches)
			}
		})
	}
}

// TestResolveDuplicates: an identifier given twice is matched once and
// answered for both positions.
func TestResolveDuplicates(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"), e.email("jan@example.nl"))
	ids := []identity.Normalized{e.phone("06-12345678"), e.email("jan@example.nl"), e.phone("+31612345678"), {Withheld: true}}
	res, err := e.svc.Resolve(bg, ids, 0)
	if err != nil || res.Outcome != herken.ResolvePartial || res.Customer.Customer.ID != jan.ID || len(res.Matches) != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	if m := res.Matches[2]; m.Outcome != herken.MatchFound || !slices.Equal(m.Customers, []string{jan.ID}) {
		t.Fatalf("repeated identifier: %+v", m)
	}
	last := e.store.matched[len(e.store.matched)-1]
	if len(last) != 2 || last[0] != ids[0].Identifier || last[1] != ids[1].Identifier {
		t.Fatalf("matched %v, want each distinct identifier once", last)
	}
}

// TestResolveLimit: Resolve takes 1 to MaxResolveIdentifiers identifiers.
func TestResolveLimit(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	ids := slices.Repeat([]identity.Normalized{e.phone("06-12345678")}, herken.MaxResolveIdentifiers)
	if res, err := e.svc.Resolve(bg, ids, 0); err != nil || res.Customer == nil || res.Customer.Customer.ID != jan.ID {
		t.Fatalf("%d identifiers: %+v %v", len(ids), res, err)
	}
	_, err := e.svc.Resolve(bg, append(ids, ids[0]), 0)
	wantError(t, err, herken.ReasonTooManyValues, "identifiers")
	_, err = e.svc.Resolve(bg, nil, 0)
	wantError(t, err, herken.ReasonFieldRequired, "identifiers")
}
