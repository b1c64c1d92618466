package server_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// movableClock is a test clock the test moves forward; no sleeping.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movableClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func promiseClient(s *testServer) herkenv1.PromiseServiceClient {
	return herkenv1.NewPromiseServiceClient(s.Conn)
}

func callback(due time.Time, owner, desc string) *herkenv1.Promise {
	p := &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK, Owner: owner, Description: desc}
	if !due.IsZero() {
		p.DueTime = stamp(due)
	}
	return p
}

func createPromise(t *testing.T, s *testServer, parent string, p *herkenv1.Promise) *herkenv1.Promise {
	t.Helper()
	resp, err := promiseClient(s).CreatePromise(ctxT(t), &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent}, Promise: p})
	if err != nil {
		t.Fatalf("CreatePromise: %v", err)
	}
	return resp.GetPromise()
}

// TestOverduePromiseScenario is the "done when": record a call with
// a callback promise due in the past, look the caller up and see it overdue
// with how late, the handover note in the summary, and the team lead's
// list of overdue promises across customers in one call.
func TestOverduePromiseScenario(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	pc := promiseClient(s)
	in := record(t, s, byIdentifier(phone("06-12345678"), &herkenv1.Interaction{
		Channel: herkenv1.Channel_CHANNEL_PHONE, Direction: herkenv1.Direction_DIRECTION_INBOUND,
		Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP, Agent: "agent-042",
		OccurTime: stamp(fixedNow.Add(-3 * time.Hour)),
		Summary:   "Storing internet; klant wordt vandaag nog teruggebeld door team-techniek.",
	}))
	p := callback(fixedNow.Add(-2*time.Hour), "team-techniek", "terugbellen over storing")
	p.Interaction = in.GetName()
	created := createPromise(t, s, f.jan.GetName(), p)
	if !created.GetOverdue() || created.GetOverdueBy().AsDuration() != 2*time.Hour || created.GetState() != herkenv1.PromiseState_PROMISE_STATE_OPEN {
		t.Fatalf("created: %v", created)
	}
	// A second, not yet due promise to another customer.
	createPromise(t, s, f.anna.GetName(), callback(fixedNow.Add(time.Hour), "team-techniek", "later"))

	resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("+31 6 12345678")})
	if err != nil {
		t.Fatal(err)
	}
	rc := resp.GetCustomer()
	if len(rc.GetOpenPromises()) != 1 || rc.GetOpenPromises()[0].GetName() != created.GetName() || !rc.GetOpenPromises()[0].GetOverdue() {
		t.Fatalf("open promises: %v", rc.GetOpenPromises())
	}
	if got := rc.GetOpenPromises()[0].GetOverdueBy().AsDuration(); got != 2*time.Hour {
		t.Fatalf("overdue by %v", got)
	}
	sum := rc.GetContactSummary()
	if sum.GetLastContact().GetName() != in.GetName() || !strings.Contains(sum.GetLastContact().GetSummary(), "teruggebeld") {
		t.Fatalf("last contact: %v", sum.GetLastContact())
	}
	// Jan: 12 seeded contacts within 48h plus this call; the call is an
	// open follow-up (no RESOLVED contact after it).
	if sum.GetContactsLast_30Days() != 13 || sum.GetOpenFollowUps() != 1 || sum.GetOpenPromises() != 1 || sum.GetOverduePromises() != 1 {
		t.Fatalf("summary: %v", sum)
	}

	list, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", OverdueOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetPromises()) != 1 || list.GetPromises()[0].GetName() != created.GetName() ||
		list.GetPromises()[0].GetCustomerDisplayName() != "Jan de Vries" || list.GetNextPageToken() != "" {
		t.Fatalf("overdue list: %v", list)
	}
}

// TestIVRCallback: the queue is full, the caller leaves their number; that
// is a CALLBACK promise created with nothing but the number.
func TestIVRCallback(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	resp, err := promiseClient(s).CreatePromise(ctxT(t), &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone("0612345678")},
		Promise:  &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.GetPromise()
	if !strings.HasPrefix(p.GetName(), f.jan.GetName()+"/promises/") || p.GetChannel() != herkenv1.Channel_CHANNEL_PHONE ||
		!p.GetDueTime().AsTime().Equal(fixedNow.Add(4*time.Hour)) || p.GetContactIdentifier().GetValue() != "+31612345678" || p.GetOverdue() {
		t.Fatalf("IVR callback: %v", p)
	}
	// The household line has two holders: herken does not guess.
	s.unchanged(t, func() {
		_, err := promiseClient(s).CreatePromise(ctxT(t), &herkenv1.CreatePromiseRequest{
			Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone(landline)},
			Promise:  &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK},
		})
		checkErr(t, err, wantErr{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", "identifier"})
	})
}

func TestPromiseLifecycle(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	pc := promiseClient(s)
	p := createPromise(t, s, f.jan.GetName(), callback(fixedNow.Add(time.Hour), "", ""))
	kept, err := pc.KeepPromise(ctxT(t), &herkenv1.KeepPromiseRequest{Name: p.GetName(), Actor: "agent-7", Note: "teruggebeld"})
	if err != nil || kept.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_KEPT ||
		kept.GetPromise().GetStateActor() != "agent-7" || !kept.GetPromise().GetStateTime().AsTime().Equal(fixedNow) {
		t.Fatalf("keep: %v %v", kept, err)
	}
	again, err := pc.KeepPromise(ctxT(t), &herkenv1.KeepPromiseRequest{Name: p.GetName(), Actor: "agent-8"})
	if err != nil || again.GetPromise().GetStateActor() != "agent-7" {
		t.Fatalf("keep retry must be a no-op: %v %v", again, err)
	}
	s.unchanged(t, func() {
		_, err = pc.CancelPromise(ctxT(t), &herkenv1.CancelPromiseRequest{Name: p.GetName(), Actor: "agent-8"})
		info := checkErr(t, err, wantErr{codes.FailedPrecondition, "PROMISE_NOT_OPEN", ""})
		if info.GetMetadata()["state"] != "KEPT" {
			t.Fatalf("metadata %v", info.GetMetadata())
		}
	})
	q := createPromise(t, s, f.jan.GetName(), callback(fixedNow.Add(time.Hour), "", ""))
	c, err := pc.CancelPromise(ctxT(t), &herkenv1.CancelPromiseRequest{Name: q.GetName(), Actor: "agent-8", Note: "klant heeft zelf opgelost"})
	if err != nil || c.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_CANCELLED || c.GetPromise().GetStateNote() != "klant heeft zelf opgelost" {
		t.Fatalf("cancel: %v %v", c, err)
	}
	got, err := pc.GetPromise(ctxT(t), &herkenv1.GetPromiseRequest{Name: q.GetName()})
	if err != nil || got.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_CANCELLED {
		t.Fatalf("get: %v %v", got, err)
	}
	list, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: f.jan.GetName()})
	if err != nil || len(list.GetPromises()) != 2 {
		t.Fatalf("customer list: %v %v", list, err)
	}
	open, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-"})
	if err != nil || len(open.GetPromises()) != 0 {
		t.Fatalf("open list after keep and cancel: %v %v", open, err)
	}
}

// TestPromiseSweeper: past due plus grace, an OPEN promise becomes BROKEN
// and the broken promise shows in the customer's history for the next agent.
func TestPromiseSweeper(t *testing.T) {
	clock := &movableClock{now: fixedNow}
	s := newTestServer(t, withClock(clock.Now))
	f := seed(t, s)
	p := createPromise(t, s, f.jan.GetName(), callback(fixedNow.Add(time.Hour), "team-a", "bellen over factuur"))
	createPromise(t, s, f.jan.GetName(), callback(fixedNow.Add(5*time.Hour), "team-a", "later"))

	clock.Advance(90 * time.Minute) // overdue by 30m, within the 1h grace
	if n, _, err := s.Svc.SweepPromises(ctxT(t), time.Hour, 100); err != nil || n != 0 {
		t.Fatalf("sweep within grace broke %d (%v)", n, err)
	}
	got, _ := promiseClient(s).GetPromise(ctxT(t), &herkenv1.GetPromiseRequest{Name: p.GetName()})
	if !got.GetPromise().GetOverdue() || got.GetPromise().GetOverdueBy().AsDuration() != 30*time.Minute {
		t.Fatalf("overdue at read time: %v", got)
	}
	clock.Advance(time.Hour) // now 1h30m past due
	if n, more, err := s.Svc.SweepPromises(ctxT(t), time.Hour, 100); err != nil || n != 1 || more {
		t.Fatalf("sweep: %d %v %v", n, more, err)
	}
	got, _ = promiseClient(s).GetPromise(ctxT(t), &herkenv1.GetPromiseRequest{Name: p.GetName()})
	if got.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_BROKEN || got.GetPromise().GetStateActor() != "herken" || got.GetPromise().GetOverdue() {
		t.Fatalf("after sweep: %v", got)
	}
	resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	if err != nil {
		t.Fatal(err)
	}
	event := resp.GetCustomer().GetRecentInteractions()[0]
	if event.GetChannel() != herkenv1.Channel_CHANNEL_SYSTEM || event.GetPromise() != p.GetName() || !strings.Contains(event.GetSummary(), "niet nagekomen") {
		t.Fatalf("history event: %v", event)
	}
	sum := resp.GetCustomer().GetContactSummary()
	if sum.GetLastContact().GetChannel() == herkenv1.Channel_CHANNEL_SYSTEM || sum.GetOpenPromises() != 1 || sum.GetContactsLast_30Days() != 12 {
		t.Fatalf("summary counts a system event as contact: %v", sum)
	}
	if !resp.GetCustomer().GetCustomer().GetLastContactTime().AsTime().Equal(janLast()) {
		t.Fatal("a system event moved the last contact")
	}
}

func TestListPromisesAcrossCustomers(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	pc := promiseClient(s)
	for i := 0; i < 7; i++ {
		owner := "team-a"
		if i%2 == 1 {
			owner = "team-b"
		}
		parent := f.jan.GetName()
		if i%3 == 0 {
			parent = f.anna.GetName()
		}
		createPromise(t, s, parent, callback(fixedNow.Add(time.Duration(i-3)*time.Hour), owner, ""))
	}
	var names []string
	req := &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 2}
	for {
		resp, err := pc.ListPromises(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.GetPromises() {
			names = append(names, p.GetName())
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if len(names) != 7 {
		t.Fatalf("paged %d of 7", len(names))
	}
	byOwner, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: "team-b"})
	if err != nil || len(byOwner.GetPromises()) != 3 {
		t.Fatalf("by owner: %d %v", len(byOwner.GetPromises()), err)
	}
	overdue, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", OverdueOnly: true})
	if err != nil || len(overdue.GetPromises()) != 3 {
		t.Fatalf("overdue: %d %v", len(overdue.GetPromises()), err)
	}
	before, err := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", DueBefore: stamp(fixedNow.Add(90 * time.Minute))})
	if err != nil || len(before.GetPromises()) != 5 {
		t.Fatalf("due before: %d %v", len(before.GetPromises()), err)
	}
	first, _ := pc.ListPromises(ctxT(t), &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1})
	bad := []struct {
		name string
		req  *herkenv1.ListPromisesRequest
		want wantErr
	}{
		{"bad parent", &herkenv1.ListPromisesRequest{Parent: "klanten/-"}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"no parent", &herkenv1.ListPromisesRequest{}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "parent"}},
		{"negative page size", &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: -1}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "page_size"}},
		{"kept across customers", &herkenv1.ListPromisesRequest{Parent: "customers/-", State: herkenv1.PromiseState_PROMISE_STATE_KEPT}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "state"}},
		{"unknown state", &herkenv1.ListPromisesRequest{Parent: f.jan.GetName(), State: 42}, wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "state"}},
		{"forged token", &herkenv1.ListPromisesRequest{Parent: "customers/-", PageToken: "abc"}, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"token of other filters", &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: "team-a", PageToken: first.GetNextPageToken()}, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"owner with slash", &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: "team/a"}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "owner"}},
		{"unknown customer", &herkenv1.ListPromisesRequest{Parent: "customers/0000000000000000"}, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pc.ListPromises(ctxT(t), tc.req)
			checkErr(t, err, tc.want)
		})
	}
}

func TestCreatePromiseInvalid(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	pc := promiseClient(s)
	annaCall := f.annaLast.GetName()
	withP := func(p *herkenv1.Promise) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: f.jan.GetName()}, Promise: p}
	}
	tests := []struct {
		name string
		req  *herkenv1.CreatePromiseRequest
		want wantErr
	}{
		{"no customer", &herkenv1.CreatePromiseRequest{Promise: callback(time.Time{}, "", "")}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "parent"}},
		{"bad parent", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/X"}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"parent with a slash inside", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/x/y"}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"unknown short parent", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/x"}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"no promise", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: f.jan.GetName()}}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "promise"}},
		{"no kind", withP(&herkenv1.Promise{DueTime: stamp(fixedNow)}), wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "promise.kind"}},
		{"unknown kind", withP(&herkenv1.Promise{Kind: 99, DueTime: stamp(fixedNow)}), wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "promise.kind"}},
		{"system channel", withP(&herkenv1.Promise{Kind: 1, Channel: herkenv1.Channel_CHANNEL_SYSTEM}), wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "promise.channel"}},
		{"delivery without due", withP(&herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY}), wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "promise.due_time"}},
		{"due in 3 years", withP(callback(fixedNow.Add(3*365*24*time.Hour), "", "")), wantErr{codes.InvalidArgument, "TIME_INVALID", "promise.due_time"}},
		{"due year 1", withP(&herkenv1.Promise{Kind: 1, DueTime: stamp(time.Time{})}), wantErr{codes.InvalidArgument, "TIME_INVALID", "promise.due_time"}},
		{"window after due", withP(&herkenv1.Promise{Kind: 1, DueTime: stamp(fixedNow), WindowStartTime: stamp(fixedNow.Add(time.Hour))}), wantErr{codes.InvalidArgument, "TIME_INVALID", "promise.window_start_time"}},
		{"description too long", withP(callback(time.Time{}, "", strings.Repeat("x", 1001))), wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "promise.description"}},
		{"owner with space", withP(callback(time.Time{}, "team a", "")), wantErr{codes.InvalidArgument, "FIELD_INVALID", "promise.owner"}},
		{"owner too long", withP(callback(time.Time{}, strings.Repeat("a", 129), "")), wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "promise.owner"}},
		{"interaction of another customer", withP(&herkenv1.Promise{Kind: 1, Interaction: annaCall}), wantErr{codes.InvalidArgument, "FIELD_INVALID", "promise.interaction"}},
		{"malformed interaction", withP(&herkenv1.Promise{Kind: 1, Interaction: "calls/1"}), wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "promise.interaction"}},
		{"unknown interaction", withP(&herkenv1.Promise{Kind: 1, Interaction: f.jan.GetName() + "/interactions/000000000000000000000000"}), wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", "promise.interaction"}},
		{"withheld caller", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone("anonymous")}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifier"}},
		{"unknown caller", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone("06-11111111")}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.NotFound, "IDENTIFIER_NOT_LINKED", "identifier"}},
		{"unknown customer", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: "customers/0000000000000000"}, Promise: callback(time.Time{}, "", "")}, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"bad request id", &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: f.jan.GetName()}, Promise: callback(time.Time{}, "", ""), RequestId: "a b"}, wantErr{codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := pc.CreatePromise(ctxT(t), tc.req)
				checkErr(t, err, tc.want)
			})
		})
	}
	for _, name := range []string{"", "customers/x/promises/y", f.jan.GetName() + "/promises/000000000000000000000000"} {
		s.unchanged(t, func() {
			_, err := pc.KeepPromise(ctxT(t), &herkenv1.KeepPromiseRequest{Name: name, Actor: "a"})
			if err == nil {
				t.Fatalf("KeepPromise(%q) succeeded", name)
			}
		})
	}
	p := createPromise(t, s, f.jan.GetName(), callback(time.Time{}, "", ""))
	s.unchanged(t, func() {
		_, err := pc.KeepPromise(ctxT(t), &herkenv1.KeepPromiseRequest{Name: p.GetName()})
		checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "actor"})
	})
}

// TestOpenFollowUpsIgnoreLimit: open follow-ups are counted among the 10
// most recent interactions (as the proto says), whatever interaction_limit
// the caller asks for.
func TestOpenFollowUpsIgnoreLimit(t *testing.T) {
	s := newTestServer(t)
	if _, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Kees"}, Identifiers: []*herkenv1.Identifier{phone("06-87654321")}}); err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		record(t, s, byIdentifier(phone("06-87654321"), &herkenv1.Interaction{
			Channel: herkenv1.Channel_CHANNEL_PHONE, Direction: herkenv1.Direction_DIRECTION_INBOUND,
			Outcome:   herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP,
			OccurTime: stamp(fixedNow.Add(-time.Duration(i+1) * time.Hour)), Summary: "nog niet opgelost",
		}))
	}
	for _, limit := range []int32{0, 10, 50} {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-87654321"), InteractionLimit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.GetCustomer().GetContactSummary().GetOpenFollowUps(); got != 10 {
			t.Errorf("interaction_limit %d: open follow-ups %d, want 10", limit, got)
		}
	}
}
