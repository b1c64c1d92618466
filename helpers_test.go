package herken_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/memstore"
)

// The domain's unit tests run the Service on the in-memory store (the
// reference implementation), without gRPC, with a clock the test moves.

var (
	bg = context.Background()
	t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
)

// env is a Service over a fresh memory store; store and service share the
// clock now, so request ids expire as the test moves it.
type env struct {
	t     *testing.T
	svc   *herken.Service
	store *spyStore
	norm  *identity.Normalizer
	now   time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, now: t0}
	clock := func() time.Time { return e.now }
	e.store = &spyStore{Store: memstore.New(memstore.Options{Now: clock})}
	t.Cleanup(func() { e.store.Close() })
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	e.norm = norm
	e.svc = herken.NewService(e.store, norm, herken.ServiceConfig{Now: clock})
	return e
}

func (e *env) advance(d time.Duration) { e.now = e.now.Add(d) }

// spyStore is the memory store, recording the identifiers Match was asked
// for and letting a test stand between BreakOverdue and its callback.
type spyStore struct {
	*memstore.Store
	matched [][]identity.Identifier
	// onBreak, if set, sees each promise BreakOverdue hands the callback
	// and may change it (as another writer could have meanwhile).
	onBreak func(p herken.Promise) herken.Promise
}

func (s *spyStore) Match(ctx context.Context, ids []identity.Identifier, opts herken.MatchOptions, focus func([][]string) string) (herken.Snapshot, error) {
	s.matched = append(s.matched, slices.Clone(ids))
	return s.Store.Match(ctx, ids, opts, focus)
}

func (s *spyStore) BreakOverdue(ctx context.Context, dueBefore time.Time, limit int, broken func(herken.Promise) (herken.Promise, herken.Interaction, bool), w herken.WriteOptions) (int, bool, error) {
	if s.onBreak != nil {
		inner := broken
		broken = func(p herken.Promise) (herken.Promise, herken.Interaction, bool) { return inner(s.onBreak(p)) }
	}
	return s.Store.BreakOverdue(ctx, dueBefore, limit, broken, w)
}

// phone, email and external normalise input as a client would send it.
func (e *env) phone(raw string) identity.Normalized {
	return e.normalize(identity.Input{Kind: identity.KindPhone, Value: raw})
}

func (e *env) email(raw string) identity.Normalized {
	return e.normalize(identity.Input{Kind: identity.KindEmail, Value: raw})
}

func (e *env) external(raw string) identity.Normalized {
	return e.normalize(identity.Input{Kind: identity.KindExternalID, Value: raw})
}

func (e *env) normalize(in identity.Input) identity.Normalized {
	e.t.Helper()
	n, err := e.norm.Normalize(in)
	if err != nil {
		e.t.Fatalf("normalize %+v: %v", in, err)
	}
	return n
}

// customer creates a customer through the Service.
func (e *env) customer(name string, ids ...identity.Normalized) herken.Customer {
	e.t.Helper()
	c, err := e.svc.CreateCustomer(bg, herken.NewCustomer{DisplayName: name, Identifiers: ids}, herken.Write{})
	if err != nil {
		e.t.Fatalf("CreateCustomer %s: %v", name, err)
	}
	return c
}

// contact records a contact ago before now through the Service.
func (e *env) contact(customerID string, ago time.Duration, ch herken.Channel, outcome herken.Outcome, summary string) herken.Interaction {
	e.t.Helper()
	in, err := e.svc.RecordInteraction(bg, herken.InteractionTarget{CustomerID: customerID}, herken.Interaction{
		Channel: ch, Direction: herken.DirectionInbound, Outcome: outcome, OccurTime: e.now.Add(-ago), Agent: "agent-042", Summary: summary,
	}, herken.Write{})
	if err != nil {
		e.t.Fatalf("RecordInteraction: %v", err)
	}
	return in
}

// promise creates a promise through the Service.
func (e *env) promise(customerID string, kind herken.PromiseKind, due time.Time, owner string) herken.Promise {
	e.t.Helper()
	p, err := e.svc.CreatePromise(bg, herken.InteractionTarget{CustomerID: customerID},
		herken.NewPromise{Kind: kind, DueTime: due, Owner: owner, Description: "terugbellen over factuur"}, herken.Write{})
	if err != nil {
		e.t.Fatalf("CreatePromise: %v", err)
	}
	return p
}

// wantError checks err's reason and field (the service's, before the
// server prefixes it).
func wantError(t *testing.T, err error, reason, field string) *herken.Error {
	t.Helper()
	de, ok := herken.AsError(err)
	if !ok || de.Reason != reason || de.Field != field {
		t.Fatalf("error %v, want %s on %q", err, reason, field)
	}
	return de
}

func customerIDs(cs []herken.Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func summaries(list []herken.Interaction) string {
	out := make([]string, len(list))
	for i, in := range list {
		out[i] = in.Summary
	}
	return fmt.Sprint(out)
}
