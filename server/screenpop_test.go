package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herken/herken"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/auth"
	"github.com/herken/herken/server/poplink"
)

// linkFor asks for a screen pop link for id and returns its token.
func linkFor(t *testing.T, ctx context.Context, s *testServer, id *herkenv1.Identifier) string {
	t.Helper()
	resp, err := s.ScreenPop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{Identifier: id})
	if err != nil {
		t.Fatalf("CreateScreenPopLink: %v", err)
	}
	return resp.GetToken()
}

func pop(t *testing.T, s *testServer, req *herkenv1.GetScreenPopRequest) *herkenv1.GetScreenPopResponse {
	t.Helper()
	resp, err := s.ScreenPop.GetScreenPop(ctxT(t), req)
	if err != nil {
		t.Fatalf("GetScreenPop: %v", err)
	}
	return resp
}

// TestScreenPopFound: the link of a known caller shows the caller as an
// agent needs them: open promises overdue first, the promise we broke,
// feedback nobody answered, and the link's signer and expiry.
func TestScreenPopFound(t *testing.T) {
	forEachStore(t, testScreenPopFound)
}

func testScreenPopFound(t *testing.T, opts ...testOption) {
	clock := &movableClock{now: fixedNow}
	s := newTestServer(t, append(opts, withClock(clock.Now))...)
	f := seed(t, s)
	ctx := ctxT(t)
	pc := promiseClient(s)
	mk := func(due time.Time, desc string) *herkenv1.Promise {
		resp, err := pc.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
			Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: f.jan.GetName()}, Promise: callback(due, "agent-017", desc)})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetPromise()
	}
	broken := mk(fixedNow.Add(time.Hour), "terugbellen over de storing")
	later := mk(fixedNow.Add(30*time.Hour), "monteur komt")
	clock.Advance(3 * time.Hour)
	if n, _, err := s.Svc.SweepPromises(ctx, time.Hour, 100); err != nil || n != 1 {
		t.Fatalf("SweepPromises = %d, %v", n, err)
	}
	overdue := mk(clock.Now().Add(time.Minute), "factuur nasturen")
	clock.Advance(10 * time.Minute)
	if _, err := s.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.janHistory[3].GetName(), Score: 1, Comment: "niemand belde terug"}); err != nil {
		t.Fatal(err)
	}

	resp, err := s.ScreenPop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06 12 34 56 78")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(resp.GetUrl())
	if err != nil || u.Scheme != "https" || u.Host != "herken.test" || u.Path != "/screen-pop/"+resp.GetToken() {
		t.Fatalf("url %q", resp.GetUrl())
	}
	if want := clock.Now().Add(2 * time.Minute).Truncate(time.Second); !resp.GetExpireTime().AsTime().Equal(want) {
		t.Errorf("expire_time %v, want %v (the default 2 minutes)", resp.GetExpireTime().AsTime(), want)
	}
	if strings.Contains(resp.GetUrl(), "612345678") {
		t.Errorf("the url shows the number: %s", resp.GetUrl())
	}

	got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})
	if got.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || got.GetCustomer().GetCustomer().GetName() != f.jan.GetName() {
		t.Fatalf("outcome %v, customer %v", got.GetOutcome(), got.GetCustomer().GetCustomer().GetName())
	}
	if got.GetCanonicalIdentifier().GetValue() != "+31612345678" || got.GetSignedBy() != herken.AnonymousActor ||
		!got.GetExpireTime().AsTime().Equal(resp.GetExpireTime().AsTime()) {
		t.Errorf("identifier %v, signed_by %q, expire %v", got.GetCanonicalIdentifier(), got.GetSignedBy(), got.GetExpireTime())
	}
	open := got.GetCustomer().GetOpenPromises()
	if len(open) != 2 || open[0].GetName() != overdue.GetName() || !open[0].GetOverdue() || open[1].GetName() != later.GetName() || open[1].GetOverdue() {
		t.Errorf("open promises %v, want the overdue one first", open)
	}
	if b := got.GetBrokenPromises(); len(b) != 1 || b[0].GetName() != broken.GetName() || b[0].GetState() != herkenv1.PromiseState_PROMISE_STATE_BROKEN {
		t.Errorf("broken promises %v", b)
	}
	if fb := got.GetUnansweredFeedback(); len(fb) != 1 || fb[0].GetName() != f.janHistory[3].GetName() {
		t.Errorf("unanswered feedback %v", fb)
	}
	if len(got.GetCustomer().GetRecentInteractions()) != 10 || got.GetCustomer().GetContactSummary().GetOverduePromises() != 1 {
		t.Errorf("recent %d, summary %v", len(got.GetCustomer().GetRecentInteractions()), got.GetCustomer().GetContactSummary())
	}
	// The one holder may be named; nobody else.
	pop(t, s, &herkenv1.GetScreenPopRequest{Token: resp.GetToken(), Customer: f.jan.GetName()})
	_, err = s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: resp.GetToken(), Customer: f.anna.GetName()})
	checkErr(t, err, wantErr{codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", ""})
	// A known caller's link does not search.
	if got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: resp.GetToken(), NamePrefix: "anna"}); len(got.GetSearchResults()) != 0 {
		t.Errorf("a known caller's link searched: %v", got.GetSearchResults())
	}

	// Expiry: open a second before, refused at it.
	clock.Advance(2*time.Minute - time.Second - time.Duration(clock.Now().Nanosecond()))
	pop(t, s, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})
	clock.Advance(time.Second)
	_, err = s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})
	checkErr(t, err, wantErr{codes.Unauthenticated, "SCREEN_POP_LINK_EXPIRED", ""})
}

// TestScreenPopAmbiguous: a household number shows its holders to pick
// from; a pick shows that one, and only a holder may be picked.
func TestScreenPopAmbiguous(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	ctx := ctxT(t)
	other := createCustomer(t, s, &herkenv1.Customer{DisplayName: "Kees Smit"}, email("kees@example.nl"))
	tok := linkFor(t, ctx, s, phone(landline))
	got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok})
	if got.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS || got.GetCustomer() != nil || len(got.GetCandidates()) != 2 {
		t.Fatalf("outcome %v, customer %v, candidates %v", got.GetOutcome(), got.GetCustomer(), got.GetCandidates())
	}
	// Anna called last: she is the first candidate.
	if got.GetCandidates()[0].GetName() != f.anna.GetName() || got.GetCandidates()[1].GetName() != f.jan.GetName() {
		t.Errorf("candidates %v", got.GetCandidates())
	}
	picked := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok, Customer: f.anna.GetName()})
	if picked.GetCustomer().GetCustomer().GetName() != f.anna.GetName() || len(picked.GetCandidates()) != 2 ||
		len(picked.GetCustomer().GetRecentInteractions()) != 1 {
		t.Errorf("picked Anna: %v", picked)
	}
	_, err := s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: tok, Customer: other.GetName()})
	checkErr(t, err, wantErr{codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", ""})
}

// TestScreenPopUnknown: an unknown or withheld caller's link searches by
// name, and shows the customer the agent picks.
func TestScreenPopUnknown(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		s := newTestServer(t, opts...)
		f := seed(t, s)
		ctx := ctxT(t)
		for _, id := range []*herkenv1.Identifier{phone("06-87654321"), phone("anonymous")} {
			tok := linkFor(t, ctx, s, id)
			got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok})
			if got.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND || got.GetCustomer() != nil ||
				got.GetWithheld() != (id.GetPhoneNumber() == "anonymous") {
				t.Fatalf("%v: %v", id, got)
			}
			found := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok, NamePrefix: " vries"})
			if len(found.GetSearchResults()) != 2 {
				t.Errorf("search ' vries' found %v", found.GetSearchResults())
			}
			found = pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok, NamePrefix: "ANNA"})
			if len(found.GetSearchResults()) != 1 || found.GetSearchResults()[0].GetName() != f.anna.GetName() {
				t.Errorf("search ANNA: %v", found.GetSearchResults())
			}
			picked := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok, Customer: f.jan.GetName()})
			if picked.GetCustomer().GetCustomer().GetName() != f.jan.GetName() || len(picked.GetCustomer().GetRecentInteractions()) != 10 {
				t.Errorf("picked Jan: %v", picked.GetCustomer())
			}
			_, err := s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: tok, Customer: "customers/0000000000000000"})
			checkErr(t, err, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""})
		}
	})
}

// TestScreenPopLinks: the TTL a caller asks for, links of another secret
// or tampered with, and a server without a screen pop.
func TestScreenPopLinks(t *testing.T) {
	clock := &movableClock{now: fixedNow}
	s := newTestServer(t, withClock(clock.Now))
	seed(t, s)
	ctx := ctxT(t)
	resp, err := s.ScreenPop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-12345678"), Ttl: durationpb.New(15 * time.Minute)})
	if err != nil || !resp.GetExpireTime().AsTime().Equal(fixedNow.Add(15*time.Minute)) {
		t.Fatalf("15 minutes: %v, %v", resp.GetExpireTime(), err)
	}
	clock.Advance(14 * time.Minute)
	pop(t, s, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})

	other, err := poplink.NewSigner([]byte(strings.Repeat("z", 32)))
	if err != nil {
		t.Fatal(err)
	}
	claims, err := s.Links.Open(resp.GetToken(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := other.Seal(claims)
	tok := []byte(resp.GetToken())
	tok[len(tok)/2] ^= 1
	for _, bad := range []string{forged, string(tok)} {
		_, err := s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: bad})
		checkErr(t, err, wantErr{codes.Unauthenticated, "SCREEN_POP_LINK_INVALID", ""})
	}

	off := newTestServer(t, func(c *testConfig) { c.noScreenPop = true })
	_, err = off.ScreenPop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-12345678")})
	checkErr(t, err, wantErr{codes.FailedPrecondition, "SCREEN_POP_UNAVAILABLE", ""})
	_, err = off.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: resp.GetToken()})
	checkErr(t, err, wantErr{codes.FailedPrecondition, "SCREEN_POP_UNAVAILABLE", ""})
}

// TestScreenPopKeys: asking for a link takes the lookup scope; opening it
// takes no key; the view is audited under the key that signed the link (and
// asking for a link reads nobody's data), and the link dies with its key.
func TestScreenPopKeys(t *testing.T) {
	k := newTestKeys(t)
	rec := &collect{}
	s := newTestServer(t, withKeys(k.ring), func(c *testConfig) { c.cfg.Audit = rec })
	ctx := ctxT(t)
	created, err := s.Customers.CreateCustomer(withBearer(ctx, k.write), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}, Identifiers: []*herkenv1.Identifier{phone("06-12345678")}})
	if err != nil {
		t.Fatal(err)
	}
	jan := created.GetCustomer().GetName()
	_, err = s.ScreenPop.CreateScreenPopLink(withBearer(ctx, k.write), &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-12345678")})
	checkErr(t, err, wantErr{codes.PermissionDenied, "SCOPE_MISSING", ""})
	_, err = s.ScreenPop.CreateScreenPopLink(ctx, &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-12345678")})
	checkErr(t, err, wantErr{codes.Unauthenticated, "API_KEY_MISSING", ""})

	n := len(rec.all())
	tok := linkFor(t, withBearer(ctx, k.lookup), s, phone("06-12345678"))
	if len(rec.all()) != n {
		t.Errorf("asking for a link was audited: %v", rec.all()[n:])
	}
	got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok}) // no key
	if got.GetSignedBy() != "pbx-1" || got.GetCustomer().GetCustomer().GetName() != jan {
		t.Errorf("signed_by %q, customer %v", got.GetSignedBy(), got.GetCustomer())
	}
	recs := rec.all()[n:]
	if len(recs) != 1 || recs[0].Actor != "pbx-1" || recs[0].CustomerID != strings.TrimPrefix(jan, "customers/") ||
		recs[0].Method != herkenv1.ScreenPopService_GetScreenPop_FullMethodName || recs[0].Action != herken.AuditRead {
		t.Errorf("the view's audit records: %+v", recs)
	}
	// A key is no link.
	_, err = s.ScreenPop.GetScreenPop(withBearer(ctx, k.admin), &herkenv1.GetScreenPopRequest{})
	checkErr(t, err, wantErr{codes.Unauthenticated, "SCREEN_POP_LINK_INVALID", ""})

	if err := auth.Revoke(k.path, "pbx-1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: tok})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkErr(t, err, wantErr{codes.Unauthenticated, "SCREEN_POP_LINK_INVALID", ""})
}

// TestScreenPopAuditsEveryoneShown: a household number's view is on the
// trail of both candidates.
func TestScreenPopAuditsEveryoneShown(t *testing.T) {
	rec := &collect{}
	s := newTestServer(t, func(c *testConfig) { c.cfg.Audit = rec })
	f := seed(t, s)
	tok := linkFor(t, ctxT(t), s, phone(landline))
	n := len(rec.all())
	pop(t, s, &herkenv1.GetScreenPopRequest{Token: tok, Customer: f.jan.GetName()})
	var got []string
	for _, r := range rec.all()[n:] {
		got = append(got, "customers/"+r.CustomerID)
	}
	if len(got) != 2 || got[0] != f.jan.GetName() || got[1] != f.anna.GetName() {
		t.Errorf("audited %v, want Jan (shown) then Anna (candidate)", got)
	}
}

// TestScreenPopSearchNeedsWrite: a lookup key's link looks up its number
// and nothing else; searching by name and opening a customer who does not
// hold the number take a key that may read customers (write), as
// ListCustomers and GetCustomer do.
func TestScreenPopSearchNeedsWrite(t *testing.T) {
	k := newTestKeys(t)
	desk, err := auth.Create(k.path, "desk", []auth.Scope{auth.ScopeLookup, auth.ScopeWrite}, false)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, withKeys(k.ring))
	ctx := ctxT(t)
	created, err := s.Customers.CreateCustomer(withBearer(ctx, k.write), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}, Identifiers: []*herkenv1.Identifier{phone("06-12345678")}})
	if err != nil {
		t.Fatal(err)
	}
	jan := created.GetCustomer().GetName()
	var pbxLink, deskLink string
	for deadline := time.Now().Add(5 * time.Second); deskLink == ""; time.Sleep(10 * time.Millisecond) {
		// The keyring picks up the new key within its reload interval.
		resp, err := s.ScreenPop.CreateScreenPopLink(withBearer(ctx, desk), &herkenv1.CreateScreenPopLinkRequest{Identifier: phone("06-11111111")})
		if err == nil {
			deskLink = resp.GetToken()
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	pbxLink = linkFor(t, withBearer(ctx, k.lookup), s, phone("06-11111111"))

	got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: pbxLink})
	if got.GetSearchAllowed() || got.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND {
		t.Errorf("lookup key's link: search_allowed %v, outcome %v", got.GetSearchAllowed(), got.GetOutcome())
	}
	_, err = s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: pbxLink, NamePrefix: "jan"})
	checkErr(t, err, wantErr{codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", ""})
	_, err = s.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: pbxLink, Customer: jan})
	checkErr(t, err, wantErr{codes.PermissionDenied, "SCREEN_POP_CUSTOMER_NOT_ALLOWED", ""})

	got = pop(t, s, &herkenv1.GetScreenPopRequest{Token: deskLink, NamePrefix: "jan"})
	if !got.GetSearchAllowed() || len(got.GetSearchResults()) != 1 || got.GetSearchResults()[0].GetName() != jan {
		t.Errorf("desk key's link: search_allowed %v, results %v", got.GetSearchAllowed(), got.GetSearchResults())
	}
	if got := pop(t, s, &herkenv1.GetScreenPopRequest{Token: deskLink, Customer: jan}); got.GetCustomer().GetCustomer().GetName() != jan {
		t.Errorf("desk key's pick: %v", got.GetCustomer())
	}
}
