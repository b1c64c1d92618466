package server_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/internal/audit"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
)

// The audit trail: every successful call records, per customer it read or
// changed, who, what, which customer and when; ListAuditRecords reads a
// customer's trail back.

// Every RPC has an audit rule: a new one cannot go unaudited by accident.
func TestAuditRuleForEveryRPC(t *testing.T) {
	for _, m := range herkenMethods(t) {
		if ok, _ := server.AuditRule(m); !ok {
			t.Errorf("no audit rule for %s", m)
		}
	}
	for _, m := range []string{
		herkenv1.RecognitionService_Lookup_FullMethodName,
		herkenv1.CustomerService_ExportCustomer_FullMethodName,
		herkenv1.AuditService_ListAuditRecords_FullMethodName,
	} {
		if _, records := server.AuditRule(m); !records {
			t.Errorf("%s records nothing", m)
		}
	}
}

// lateSink forwards to the Service, which exists only once the test
// server is built (after the recorder it is configured with).
type lateSink struct {
	svc atomic.Pointer[herken.Service]
}

func (l *lateSink) AppendAudit(ctx context.Context, recs []herken.AuditRecord) error {
	return l.svc.Load().AppendAudit(ctx, recs)
}

// stepClock is a server clock the test moves on, so records have distinct
// times.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
}

// auditedServer is a test server with a recorder writing to its store.
type auditedServer struct {
	*testServer
	rec   *audit.Recorder
	clock *stepClock
	audit herkenv1.AuditServiceClient
}

func newAuditedServer(t *testing.T, opts ...testOption) *auditedServer {
	t.Helper()
	sink := &lateSink{}
	rec, err := audit.New(sink, audit.Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{t: fixedNow}
	opts = append(opts, withClock(clock.Now), func(c *testConfig) { c.cfg.Audit = rec })
	s := newTestServer(t, opts...)
	sink.svc.Store(s.Svc)
	// Cleanups run last first: the recorder closes before the store.
	t.Cleanup(func() {
		if err := rec.Close(context.Background()); err != nil {
			t.Errorf("close recorder: %v", err)
		}
	})
	return &auditedServer{testServer: s, rec: rec, clock: clock, audit: herkenv1.NewAuditServiceClient(s.Conn)}
}

// trail flushes the recorder and returns name's whole trail, newest first,
// read with page size 2 (the listing calls themselves are recorded after
// the trail is read).
func (a *auditedServer) trail(t *testing.T, name string) []*herkenv1.AuditRecord {
	t.Helper()
	if err := a.rec.Flush(ctxT(t)); err != nil {
		t.Fatalf("flush: %v", err)
	}
	var out []*herkenv1.AuditRecord
	token := ""
	for {
		resp, err := a.audit.ListAuditRecords(ctxT(t), &herkenv1.ListAuditRecordsRequest{Parent: name, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatalf("ListAuditRecords %s: %v", name, err)
		}
		if len(resp.GetAuditRecords()) > 2 {
			t.Fatalf("page of %d records, want at most 2", len(resp.GetAuditRecords()))
		}
		out = append(out, resp.GetAuditRecords()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// want is the record of a call at the clock's time.
func (a *auditedServer) want(name, method string, action herkenv1.AuditAction, requestID string) *herkenv1.AuditRecord {
	return &herkenv1.AuditRecord{
		Customer: name, Time: stamp(a.clock.Now()), Actor: herken.AnonymousActor,
		Method: method, Action: action, RequestId: requestID,
	}
}

const (
	read   = herkenv1.AuditAction_AUDIT_ACTION_READ
	change = herkenv1.AuditAction_AUDIT_ACTION_CHANGE
	mList  = herkenv1.AuditService_ListAuditRecords_FullMethodName
)

func TestAuditTrail(t *testing.T) {
	forEachStore(t, testAuditTrail)
}

func testAuditTrail(t *testing.T, opts ...testOption) {
	a := newAuditedServer(t, opts...)
	ctx := ctxT(t)

	// A write: CHANGE, with the request's own request_id.
	resp, err := a.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}, Identifiers: []*herkenv1.Identifier{phone("06-12345678"), phone(landline)},
		RequestId: "req-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	jan := resp.GetCustomer().GetName()
	created := a.want(jan, herkenv1.CustomerService_CreateCustomer_FullMethodName, change, "req-1")
	a.clock.advance()
	anna := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Anna de Vries"}, phone("020 123 45 67"))
	annaCreated := a.want(anna.GetName(), herkenv1.CustomerService_CreateCustomer_FullMethodName, change, "")
	a.clock.advance()

	// A Lookup that finds Jan: READ.
	// The caller's x-request-id header is the record's request id.
	withID := metadata.AppendToOutgoingContext(ctx, "x-request-id", "pbx-call-7")
	if _, err := a.Recognition.Lookup(withID, &herkenv1.LookupRequest{Identifier: phone("0612345678")}); err != nil {
		t.Fatal(err)
	}
	lookedUp := a.want(jan, herkenv1.RecognitionService_Lookup_FullMethodName, read, "pbx-call-7")
	a.clock.advance()

	// The shared landline: AMBIGUOUS, both candidates READ.
	amb, err := a.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone(landline)})
	if err != nil || amb.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS {
		t.Fatalf("Lookup of the landline: %v, %v", amb.GetOutcome(), err)
	}
	ambJan := a.want(jan, herkenv1.RecognitionService_Lookup_FullMethodName, read, "")
	ambAnna := a.want(anna.GetName(), herkenv1.RecognitionService_Lookup_FullMethodName, read, "")
	a.clock.advance()

	// Failed calls record nothing: not found, invalid.
	if _, err := a.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("06-87654321")}); err != nil {
		t.Fatal(err) // NOT_FOUND is an outcome, not an error: no customer read
	}
	if _, err := a.Customers.UpdateCustomer(ctx, &herkenv1.UpdateCustomerRequest{Customer: &herkenv1.Customer{Name: jan, Etag: "stale", DisplayName: "X"}}); err == nil {
		t.Fatal("update with a stale etag succeeded")
	}
	if _, err := a.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: "customers/Jan"}); err == nil {
		t.Fatal("malformed name accepted")
	}
	a.clock.advance()

	checkTrail(t, "Jan's trail", []*herkenv1.AuditRecord{ambJan, lookedUp, created}, a.trail(t, jan))
	checkTrail(t, "Anna's trail", []*herkenv1.AuditRecord{ambAnna, annaCreated}, a.trail(t, anna.GetName()))

	// Reading the trail is on the trail, once per call (trail made two
	// calls for Jan's three records with page size 2).
	listed := a.want(jan, mList, read, "")
	got := a.trail(t, jan)
	checkTrail(t, "Jan's trail after listing it", []*herkenv1.AuditRecord{listed, listed, ambJan, lookedUp, created}, got)

	// An unknown customer has an empty trail.
	if got := a.trail(t, "customers/0000000000000000"); len(got) != 0 {
		t.Errorf("unknown customer's trail: %v", got)
	}
}

// Interactions, promises and lists: each customer the response shows.
func TestAuditChildrenAndLists(t *testing.T) {
	a := newAuditedServer(t, withMemory())
	f := seed(t, a.testServer)
	ctx := ctxT(t)
	a.clock.advance()
	jan, anna := f.jan.GetName(), f.anna.GetName()
	since := a.clock.Now()
	a.clock.advance()

	// Feedback on Anna's interaction: CHANGE for Anna.
	if _, err := a.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.annaLast.GetName(), Score: 2}); err != nil {
		t.Fatal(err)
	}
	feedback := a.want(anna, herkenv1.InteractionService_SubmitFeedback_FullMethodName, change, "")
	if _, err := a.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.janHistory[0].GetName(), Score: 1}); err != nil {
		t.Fatal(err)
	}
	feedbackJan := a.want(jan, herkenv1.InteractionService_SubmitFeedback_FullMethodName, change, "")
	a.clock.advance()

	// Unanswered feedback across customers: one READ for each customer on
	// the page, however many of their interactions it holds.
	li, err := a.Interactions.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true})
	if err != nil || len(li.GetInteractions()) != 2 {
		t.Fatalf("unanswered feedback: %v, %v", li, err)
	}
	listAnna := a.want(anna, herkenv1.InteractionService_ListInteractions_FullMethodName, read, "")
	listJan := a.want(jan, herkenv1.InteractionService_ListInteractions_FullMethodName, read, "")
	a.clock.advance()
	// Jan's twelve interactions on one page: one record.
	if _, err := a.Interactions.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: jan}); err != nil {
		t.Fatal(err)
	}
	listJan2 := a.want(jan, herkenv1.InteractionService_ListInteractions_FullMethodName, read, "")
	a.clock.advance()

	// A promise for Jan: CHANGE, with its request_id; read back: READ.
	pc := promiseClient(a.testServer)
	p, err := pc.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: callback(fixedNow.Add(time.Hour), "team", ""), RequestId: "p-1"})
	if err != nil {
		t.Fatal(err)
	}
	promised := a.want(jan, herkenv1.PromiseService_CreatePromise_FullMethodName, change, "p-1")
	a.clock.advance()
	if _, err := pc.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: p.GetPromise().GetName()}); err != nil {
		t.Fatal(err)
	}
	gotPromise := a.want(jan, herkenv1.PromiseService_GetPromise_FullMethodName, read, "")
	a.clock.advance()

	// ListCustomers: every customer returned.
	if _, err := a.Customers.ListCustomers(ctx, &herkenv1.ListCustomersRequest{}); err != nil {
		t.Fatal(err)
	}
	listedJan := a.want(jan, herkenv1.CustomerService_ListCustomers_FullMethodName, read, "")
	listedAnna := a.want(anna, herkenv1.CustomerService_ListCustomers_FullMethodName, read, "")
	a.clock.advance()

	checkTrail(t, "Anna's new records", []*herkenv1.AuditRecord{listedAnna, listAnna, feedback}, after(a.trail(t, anna), since))
	checkTrail(t, "Jan's new records", []*herkenv1.AuditRecord{listedJan, gotPromise, promised, listJan2, listJan, feedbackJan}, after(a.trail(t, jan), since))
}

// checkTrail compares trails; a wanted record without a request id stands
// for one the server minted (any, but not none).
func checkTrail(t *testing.T, what string, want, got []*herkenv1.AuditRecord) {
	t.Helper()
	got = slices.Clone(got)
	for i, w := range want {
		if i < len(got) && w.GetRequestId() == "" {
			if got[i].GetRequestId() == "" {
				t.Errorf("%s[%d]: no request id", what, i)
			}
			got[i] = proto.CloneOf(got[i])
			got[i].RequestId = ""
		}
	}
	checkProtos(t, what, want, got)
}

// after is the records in trail later than since.
func after(trail []*herkenv1.AuditRecord, since time.Time) []*herkenv1.AuditRecord {
	var out []*herkenv1.AuditRecord
	for _, r := range trail {
		if r.GetTime().AsTime().After(since) {
			out = append(out, r)
		}
	}
	return out
}

// A call to a merged name is on the survivor's trail; a merge changes both.
func TestAuditMerged(t *testing.T) {
	a := newAuditedServer(t, withMemory())
	ctx := ctxT(t)
	karin := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Karin"}, email("karin@example.nl")).GetName()
	kees := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Kees"}, email("kees@example.nl")).GetName()
	a.clock.advance()
	if _, err := a.Customers.MergeCustomers(ctx, &herkenv1.MergeCustomersRequest{Survivor: karin, Merged: kees}); err != nil {
		t.Fatal(err)
	}
	mergedKaren := a.want(karin, herkenv1.CustomerService_MergeCustomers_FullMethodName, change, "")
	mergedKees := a.want(kees, herkenv1.CustomerService_MergeCustomers_FullMethodName, change, "")
	a.clock.advance()
	if _, err := a.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: kees}); err != nil {
		t.Fatal(err)
	}
	viaKees := a.want(karin, herkenv1.CustomerService_GetCustomer_FullMethodName, read, "")
	a.clock.advance()
	// Export: the survivor and the customer merged into it.
	if _, err := a.Customers.ExportCustomer(ctx, &herkenv1.ExportCustomerRequest{Name: karin}); err != nil {
		t.Fatal(err)
	}
	exportKarin := a.want(karin, herkenv1.CustomerService_ExportCustomer_FullMethodName, read, "")
	exportKees := a.want(kees, herkenv1.CustomerService_ExportCustomer_FullMethodName, read, "")
	a.clock.advance()

	karinTrail := a.trail(t, karin)
	checkTrail(t, "Karin's trail", []*herkenv1.AuditRecord{exportKarin, viaKees, mergedKaren}, karinTrail[:3])
	checkTrail(t, "Kees's trail", []*herkenv1.AuditRecord{exportKees, mergedKees}, a.trail(t, kees)[:2])

	// The export shows both trails, newest first.
	if err := a.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ex, err := a.Customers.ExportCustomer(ctx, &herkenv1.ExportCustomerRequest{Name: karin})
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, r := range ex.GetAuditRecords() {
		if r.GetMethod() != mList {
			methods = append(methods, r.GetCustomer()+" "+r.GetMethod())
		}
	}
	wantMethods := []string{
		karin + " " + herkenv1.CustomerService_ExportCustomer_FullMethodName, kees + " " + herkenv1.CustomerService_ExportCustomer_FullMethodName,
		karin + " " + herkenv1.CustomerService_GetCustomer_FullMethodName,
		karin + " " + herkenv1.CustomerService_MergeCustomers_FullMethodName, kees + " " + herkenv1.CustomerService_MergeCustomers_FullMethodName,
		karin + " " + herkenv1.CustomerService_CreateCustomer_FullMethodName, kees + " " + herkenv1.CustomerService_CreateCustomer_FullMethodName,
	}
	slices.Sort(methods[:2]) // same time: ties by record id
	slices.Sort(methods[3:5])
	slices.Sort(methods[5:7])
	slices.Sort(wantMethods[:2])
	slices.Sort(wantMethods[3:5])
	slices.Sort(wantMethods[5:7])
	if !slices.Equal(methods, wantMethods) {
		t.Errorf("export's audit records:\n got %q\nwant %q", methods, wantMethods)
	}
}

// The erasure is on the trail (the domain records it), by whom, and the
// trail stays readable for the erased name.
func TestAuditErasure(t *testing.T) {
	forEachStore(t, func(t *testing.T, opts ...testOption) {
		a := newAuditedServer(t, opts...)
		ctx := ctxT(t)
		piet := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Piet"}, phone("06-33334444")).GetName()
		a.clock.advance()
		ectx := metadata.AppendToOutgoingContext(ctx, "x-request-id", "wis-piet-1")
		if _, err := a.Customers.EraseCustomer(ectx, &herkenv1.EraseCustomerRequest{Name: piet}); err != nil {
			t.Fatal(err)
		}
		got := a.trail(t, piet)
		// The erasure's record carries the call's x-request-id, like every
		// other record, so it leads to the call's log line.
		if len(got) != 2 || got[0].GetAction() != herkenv1.AuditAction_AUDIT_ACTION_ERASE || got[0].GetActor() != herken.AnonymousActor ||
			got[0].GetRequestId() != "wis-piet-1" ||
			got[1].GetMethod() != herkenv1.CustomerService_CreateCustomer_FullMethodName {
			t.Errorf("erased customer's trail: %v", got)
		}
	})
}

// The API's and the domain's actions share their numbering.
func TestAuditActionNumbers(t *testing.T) {
	for d, pb := range map[herken.AuditAction]herkenv1.AuditAction{
		herken.AuditRead:   herkenv1.AuditAction_AUDIT_ACTION_READ,
		herken.AuditChange: herkenv1.AuditAction_AUDIT_ACTION_CHANGE,
		herken.AuditErase:  herkenv1.AuditAction_AUDIT_ACTION_ERASE,
	} {
		if int32(d) != int32(pb) {
			t.Errorf("domain action %d is API %s (%d)", d, pb, pb)
		}
	}
}

// A failing handler records nothing; the record comes from the interceptor
// only after the handler succeeded.
func TestAuditNothingOnError(t *testing.T) {
	rec := &collect{}
	s := newTestServer(t, withMemory(), func(c *testConfig) { c.cfg.Audit = rec })
	ctx := ctxT(t)
	for _, name := range []string{"customers/0000000000000000", "customers/BAD", ""} {
		if _, err := s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: name}); err == nil {
			t.Fatalf("GetCustomer %q succeeded", name)
		}
	}
	if _, err := s.Customers.EraseCustomer(ctx, &herkenv1.EraseCustomerRequest{Name: createCustomer(t, s, &herkenv1.Customer{DisplayName: "P"}).GetName()}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.all()); n != 1 { // the create; the erase is the domain's to record
		t.Errorf("%d records, want 1 (the create): %v", n, rec.all())
	}
}

// collect is an AuditRecorder that keeps what it is given.
type collect struct {
	mu   sync.Mutex
	recs []herken.AuditRecord
}

func (c *collect) Record(r herken.AuditRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
}

func (c *collect) all() []herken.AuditRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.recs)
}

// Page tokens belong to their customer; a bad parent is refused.
func TestListAuditRecordsPaging(t *testing.T) {
	a := newAuditedServer(t, withMemory())
	ctx := ctxT(t)
	jan := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Jan"}, phone("06-12345678")).GetName()
	anna := createCustomer(t, a.testServer, &herkenv1.Customer{DisplayName: "Anna"}).GetName()
	for range 5 {
		a.clock.advance()
		if _, err := a.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("0612345678")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.clock.advance()
	p1, err := a.audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: jan, PageSize: 4})
	if err != nil || len(p1.GetAuditRecords()) != 4 || p1.GetNextPageToken() == "" {
		t.Fatalf("first page: %v, %v", p1, err)
	}
	// Records written between pages (this listing's own) do not shift them.
	if err := a.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p2, err := a.audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: jan, PageSize: 4, PageToken: p1.GetNextPageToken()})
	if err != nil || len(p2.GetAuditRecords()) != 2 || p2.GetNextPageToken() != "" {
		t.Fatalf("second page: %v, %v", p2, err)
	}
	all := append(p1.GetAuditRecords(), p2.GetAuditRecords()...)
	for i := 1; i < len(all); i++ {
		if all[i].GetTime().AsTime().After(all[i-1].GetTime().AsTime()) {
			t.Errorf("not newest first: %v", all)
		}
	}
	if m := all[len(all)-1].GetMethod(); m != herkenv1.CustomerService_CreateCustomer_FullMethodName {
		t.Errorf("oldest record is %s, want the create", m)
	}
	_, err = a.audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: anna, PageToken: p1.GetNextPageToken(), PageSize: 4})
	checkErr(t, err, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"})
	_, err = a.audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: jan + "/interactions/x"})
	checkErr(t, err, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"})
}
