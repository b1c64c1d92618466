package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/client"
	"github.com/herken/herken/identity"
	"github.com/herken/herken/internal/maintenance"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server"
	"github.com/herken/herken/server/poplink"
	"github.com/herken/herken/store/badgerstore"
)

// serveHerken serves a real herken (in-memory Badger) over bufconn and
// returns a client made by client.New, so the client's own defaults (the
// retry policy, the default deadline) are in force. Extra options go to New.
func serveHerken(t *testing.T, cfg server.Config, opts ...client.Option) (*client.Client, *badgerstore.Store) {
	t.Helper()
	store, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return serveService(t, herken.NewService(store, norm, herken.ServiceConfig{}), cfg, opts...), store
}

// serveService serves svc over bufconn and returns a client made by
// client.New with opts.
func serveService(t *testing.T, svc *herken.Service, cfg server.Config, opts ...client.Option) *client.Client {
	t.Helper()
	srv, err := server.New(svc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	srv.SetServing(true)
	t.Cleanup(srv.Shutdown)
	return dialBufconn(t, lis, opts...)
}

// dialBufconn is client.New of the server behind lis.
func dialBufconn(t *testing.T, lis *bufconn.Listener, opts ...client.Option) *client.Client {
	t.Helper()
	dial := grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
	c, err := client.New(context.Background(), "passthrough:///bufnet", append([]client.Option{client.WithDialOptions(dial)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newClient(t *testing.T) *client.Client {
	t.Helper()
	c, _ := serveHerken(t, server.Config{})
	return c
}

func TestLookupAndTypedErrors(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	_, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Customer:    &herkenv1.Customer{DisplayName: "Jan de Vries"},
		Identifiers: []*herkenv1.Identifier{{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: "06-12345678"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.LookupQuery(ctx, "+31 6 1234 5678", 5)
	if err != nil || resp.Outcome != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || resp.Customer.Customer.DisplayName != "Jan de Vries" {
		t.Fatalf("LookupQuery: %v %v", resp, err)
	}

	_, err = c.LookupPhone(ctx, "12")
	ce := client.AsError(err)
	if ce == nil || ce.Code != codes.InvalidArgument || ce.Reason != "PHONE_NUMBER_INVALID" {
		t.Fatalf("AsError = %+v", ce)
	}
	if len(ce.FieldViolations) != 1 || ce.FieldViolations[0].Field != "identifier.phone_number" {
		t.Fatalf("field violations = %+v", ce.FieldViolations)
	}
	if !errors.Is(ce, &client.Error{Reason: "PHONE_NUMBER_INVALID"}) || client.Reason(err) != "PHONE_NUMBER_INVALID" {
		t.Fatal("reason matching failed")
	}

	_, err = c.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: "customers/0000000000000000"})
	if client.Reason(err) != "CUSTOMER_NOT_FOUND" || client.AsError(err).Code != codes.NotFound {
		t.Fatalf("GetCustomer unknown: %v", err)
	}
	if client.AsError(nil) != nil || client.AsError(errors.New("plain")) != nil {
		t.Fatal("AsError of a non-status error must be nil")
	}
}

// TestClientExposesEveryService: every herken.v1 service the server
// registers has a stub on Client, so a service added later cannot be
// forgotten here.
func TestClientExposesEveryService(t *testing.T) {
	srv, err := server.New(nil, server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	stubs := map[string]bool{}
	ct := reflect.TypeFor[client.Client]()
	for i := range ct.NumField() {
		if f := ct.Field(i); f.IsExported() {
			stubs[f.Type.String()] = true
		}
	}
	n := 0
	for name := range srv.GRPC().GetServiceInfo() {
		svc, ok := strings.CutPrefix(name, "herken.v1.")
		if !ok {
			continue
		}
		n++
		if want := "herkenv1." + svc + "Client"; !stubs[want] {
			t.Errorf("client.Client has no %s field for %s", want, name)
		}
	}
	if n != 8 {
		t.Fatalf("server registers %d herken.v1 services, want 8", n)
	}
}

func TestPromises(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	cust, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}})
	if err != nil {
		t.Fatal(err)
	}
	parent := cust.GetCustomer().GetName()
	callback := func() *herkenv1.Promise {
		return &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK} // due time defaults
	}
	created, err := c.Promises.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent}, Promise: callback()})
	if err != nil {
		t.Fatal(err)
	}
	p := created.GetPromise()
	if !strings.HasPrefix(p.GetName(), parent+"/promises/") || p.GetState() != herkenv1.PromiseState_PROMISE_STATE_OPEN {
		t.Fatalf("CreatePromise: %v", p)
	}
	got, err := c.Promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: p.GetName()})
	if err != nil || !proto.Equal(got.GetPromise(), p) {
		t.Fatalf("GetPromise: %v %v", got, err)
	}
	kept, err := c.Promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: p.GetName(), Actor: "agent-7"})
	if err != nil || kept.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_KEPT {
		t.Fatalf("KeepPromise: %v %v", kept, err)
	}
	other, err := c.Promises.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent}, Promise: callback()})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, err := c.Promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: other.GetPromise().GetName(), Actor: "agent-7"})
	if err != nil || cancelled.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_CANCELLED {
		t.Fatalf("CancelPromise: %v %v", cancelled, err)
	}
	list, err := c.Promises.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: parent})
	if err != nil || len(list.GetPromises()) != 2 {
		t.Fatalf("ListPromises: %v %v", list, err)
	}

	// PromiseService errors come back typed, reason and metadata included.
	_, err = c.Promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: p.GetName(), Actor: "agent-7"})
	ce := client.AsError(err)
	if ce == nil || ce.Code != codes.FailedPrecondition || !errors.Is(ce, &client.Error{Reason: "PROMISE_NOT_OPEN"}) || ce.Metadata["state"] != "KEPT" {
		t.Fatalf("CancelPromise of a KEPT promise: %+v", ce)
	}
	_, err = c.Promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: parent + "/promises/0000000000000000"})
	if client.Reason(err) != "PROMISE_NOT_FOUND" || client.AsError(err).Code != codes.NotFound {
		t.Fatalf("GetPromise unknown: %v", err)
	}
	_, err = c.Promises.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: parent, PageToken: "forged"})
	if ce := client.AsError(err); ce == nil || ce.Reason != "PAGE_TOKEN_INVALID" || len(ce.FieldViolations) != 1 || ce.FieldViolations[0].Field != "page_token" {
		t.Fatalf("ListPromises with a forged token: %+v", ce)
	}
}

func TestMaintenanceStatus(t *testing.T) {
	last := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	c, _ := serveHerken(t, server.Config{Maintenance: func() (maintenance.Status, maintenance.Status, maintenance.Status) {
		return maintenance.Status{Interval: time.Minute, Threshold: time.Hour, LastRun: last, LastCount: 3, Total: 5},
			maintenance.Status{Interval: time.Hour, Threshold: 730 * 24 * time.Hour, FailedRuns: 1},
			maintenance.Status{Interval: 2 * time.Hour, Threshold: 400 * 24 * time.Hour, Total: 9}
	}})
	ms, err := c.Maintenance.GetMaintenanceStatus(context.Background(), &herkenv1.GetMaintenanceStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	p, r := ms.GetPromiseSweeper(), ms.GetRetentionSweeper()
	if p.GetInterval().AsDuration() != time.Minute || p.GetThreshold().AsDuration() != time.Hour ||
		!p.GetLastRunTime().AsTime().Equal(last) || p.GetLastRunCount() != 3 || p.GetTotalCount() != 5 {
		t.Fatalf("promise sweeper: %v", p)
	}
	if r.GetThreshold().AsDuration() != 730*24*time.Hour || r.GetLastRunTime() != nil || r.GetFailedRuns() != 1 {
		t.Fatalf("retention sweeper: %v", r)
	}
	if a := ms.GetAuditSweeper(); a.GetInterval().AsDuration() != 2*time.Hour || a.GetThreshold().AsDuration() != 400*24*time.Hour || a.GetTotalCount() != 9 {
		t.Fatalf("audit sweeper: %v", a)
	}
}

// attempts counts RPC attempts per method; grpc-go tags every attempt,
// retries included.
type attempts struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *attempts) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n[info.FullMethodName]++
	return ctx
}

func (a *attempts) count(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[method]
}

func (*attempts) HandleRPC(context.Context, stats.RPCStats)                         {}
func (*attempts) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (*attempts) HandleConn(context.Context, stats.ConnStats)                       {}

// TestRetries: with the store closed every call is UNAVAILABLE; the client
// retries the reads (three attempts) and never a write (one attempt).
func TestRetries(t *testing.T) {
	a := &attempts{n: map[string]int{}}
	c, store := serveHerken(t, server.Config{}, client.WithDialOptions(grpc.WithStatsHandler(a)))
	ctx := context.Background()
	cust, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}})
	if err != nil {
		t.Fatal(err)
	}
	parent := cust.GetCustomer().GetName()
	created, err := c.Promises.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
		Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent},
		Promise:  &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK}})
	if err != nil {
		t.Fatal(err)
	}
	promise := created.GetPromise().GetName()
	phone := &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: "06-12345678"}}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		method string
		call   func() error
		want   int
	}{
		{herkenv1.RecognitionService_Lookup_FullMethodName, func() error {
			_, err := c.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone})
			return err
		}, 3},
		{herkenv1.RecognitionService_Resolve_FullMethodName, func() error {
			_, err := c.Recognition.Resolve(ctx, &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone}})
			return err
		}, 3},
		{herkenv1.CustomerService_GetCustomer_FullMethodName, func() error {
			_, err := c.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: parent})
			return err
		}, 3},
		{herkenv1.InteractionService_ListInteractions_FullMethodName, func() error {
			_, err := c.Interactions.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: parent})
			return err
		}, 3},
		{herkenv1.PromiseService_GetPromise_FullMethodName, func() error {
			_, err := c.Promises.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: promise})
			return err
		}, 3},
		{herkenv1.PromiseService_ListPromises_FullMethodName, func() error {
			_, err := c.Promises.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: parent})
			return err
		}, 3},
		{herkenv1.CustomerService_ListCustomers_FullMethodName, func() error {
			_, err := c.Customers.ListCustomers(ctx, &herkenv1.ListCustomersRequest{})
			return err
		}, 3},
		{herkenv1.CustomerService_ExportCustomer_FullMethodName, func() error {
			_, err := c.ExportCustomer(ctx, parent)
			return err
		}, 3},
		{herkenv1.AuditService_ListAuditRecords_FullMethodName, func() error {
			_, err := c.Audit.ListAuditRecords(ctx, &herkenv1.ListAuditRecordsRequest{Parent: parent})
			return err
		}, 3},
		{herkenv1.CustomerService_UpdateCustomer_FullMethodName, func() error {
			_, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: parent, DisplayName: "Jan"})
			return err
		}, 1},
		{herkenv1.CustomerService_EraseCustomer_FullMethodName, func() error {
			_, err := c.EraseCustomer(ctx, parent)
			return err
		}, 1},
		{herkenv1.CustomerService_CreateCustomer_FullMethodName, func() error {
			_, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Piet"}})
			return err
		}, 1},
		{herkenv1.PromiseService_KeepPromise_FullMethodName, func() error {
			_, err := c.Promises.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: promise, Actor: "agent-7"})
			return err
		}, 1},
		{herkenv1.PromiseService_CancelPromise_FullMethodName, func() error {
			_, err := c.Promises.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: promise, Actor: "agent-7"})
			return err
		}, 1},
	}
	for _, tc := range tests {
		before := a.count(tc.method)
		err := tc.call()
		if ce := client.AsError(err); ce == nil || ce.Code != codes.Unavailable || ce.Reason != "STORE_UNAVAILABLE" {
			t.Errorf("%s on a closed store: %v", tc.method, err)
		}
		if got := a.count(tc.method) - before; got != tc.want {
			t.Errorf("%s: %d attempts, want %d", tc.method, got, tc.want)
		}
	}
}

// TestCustomerLifecycle goes through every shorthand of customers.go: the
// request each builds reaches the server as meant.
func TestCustomerLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	phone := func(n string) *herkenv1.Identifier {
		return &herkenv1.Identifier{Value: &herkenv1.Identifier_PhoneNumber{PhoneNumber: n}}
	}
	create := func(name, number string) *herkenv1.Customer {
		t.Helper()
		resp, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
			Customer: &herkenv1.Customer{DisplayName: name, Tags: []string{"vip"}}, Identifiers: []*herkenv1.Identifier{phone(number)}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetCustomer()
	}
	jan, kees := create("Jan de Vries", "06-12345678"), create("Kees Bakker", "06-11112222")

	// Only the named paths change; a stale etag is refused.
	upd, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: jan.GetName(), DisplayName: "Jan", HandoverNote: "niet dit"}, "display_name")
	if err != nil || upd.GetDisplayName() != "Jan" || upd.GetHandoverNote() != "" || !slices.Equal(upd.GetTags(), []string{"vip"}) {
		t.Fatalf("UpdateCustomer with a path: %v %v", upd, err)
	}
	all, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: jan.GetName(), DisplayName: "Jan de Vries", Etag: upd.GetEtag()})
	if err != nil || all.GetDisplayName() != "Jan de Vries" || !slices.Equal(all.GetTags(), []string{"vip"}) {
		t.Fatalf("UpdateCustomer without paths (the fields set): %v %v", all, err)
	}
	if _, err := c.UpdateCustomer(ctx, &herkenv1.Customer{Name: jan.GetName(), Etag: upd.GetEtag()}, "tags"); client.Reason(err) != "ETAG_MISMATCH" || client.AsError(err).Code != codes.Aborted {
		t.Fatalf("UpdateCustomer with a stale etag: %v", err)
	}

	// Every page, in order.
	var names []string
	for cust, err := range c.AllCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: 1, PageToken: "ignored"}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, cust.GetName())
	}
	want := []string{jan.GetName(), kees.GetName()}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("AllCustomers: %q, want %q", names, want)
	}
	var errs []error
	for _, err := range c.AllCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: -1}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || client.Reason(errs[0]) != "FIELD_INVALID" {
		t.Fatalf("AllCustomers with a negative page size yields %v, want one FIELD_INVALID", errs)
	}

	linked, err := c.AddIdentifier(ctx, jan.GetName(), phone("06-87654321"), client.Provenance{Source: "crm", Verified: true, Label: "werk"})
	if err != nil {
		t.Fatal(err)
	}
	l := linked.GetIdentifiers()[1]
	if l.GetIdentifier().GetValue() != "+31687654321" || l.GetSource() != "crm" || !l.GetVerified() || l.GetLabel() != "werk" {
		t.Fatalf("AddIdentifier: %v", l)
	}
	unlinked, err := c.RemoveIdentifier(ctx, jan.GetName(), phone("06-87654321"))
	if err != nil || len(unlinked.GetIdentifiers()) != 1 {
		t.Fatalf("RemoveIdentifier: %v %v", unlinked, err)
	}

	survivor, err := c.MergeCustomers(ctx, jan.GetName(), kees.GetName(), "display_name")
	if err != nil || survivor.GetName() != jan.GetName() || survivor.GetDisplayName() != "Kees Bakker" {
		t.Fatalf("MergeCustomers: %v %v", survivor, err)
	}
	if got := survivor.GetIdentifiers()[1].GetMergedFrom(); got != kees.GetName() {
		t.Fatalf("merged_from = %q", got)
	}
	_, err = c.MergeCustomers(ctx, jan.GetName(), kees.GetName())
	if ce := client.AsError(err); ce == nil || ce.Reason != "CUSTOMER_MERGED" || ce.Metadata["survivor"] != jan.GetName() {
		t.Fatalf("merging a merged customer again: %+v", ce)
	}
	back, surv, err := c.UnmergeCustomers(ctx, kees.GetName())
	if err != nil || back.GetName() != kees.GetName() || surv.GetName() != jan.GetName() || surv.GetDisplayName() != "Jan de Vries" {
		t.Fatalf("UnmergeCustomers: %v %v %v", back, surv, err)
	}

	js, err := c.ExportCustomerJSON(ctx, kees.GetName())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Customer struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
		} `json:"customer"`
		ExportTime string `json:"export_time"`
	}
	if err := json.Unmarshal(js, &doc); err != nil || doc.Customer.Name != kees.GetName() || doc.Customer.DisplayName != "Kees Bakker" || doc.ExportTime == "" {
		t.Fatalf("ExportCustomerJSON: %+v %v\n%s", doc, err, js)
	}

	erased, err := c.EraseCustomer(ctx, kees.GetName())
	if err != nil || erased.GetEraseTime() == nil {
		t.Fatalf("EraseCustomer: %v %v", erased, err)
	}
	if _, err := c.ExportCustomer(ctx, kees.GetName()); client.Reason(err) != "CUSTOMER_ERASED" || client.AsError(err).Code != codes.NotFound {
		t.Fatalf("ExportCustomer of an erased customer: %v", err)
	}
}

// TestScreenPopLink: a link for a number opens the caller's screen pop; a
// link cut short is ErrScreenPopLinkInvalid; a server without a screen pop
// says so.
func TestScreenPopLink(t *testing.T) {
	signer, err := poplink.NewSigner([]byte("client test screen pop secret 32"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := serveHerken(t, server.Config{ScreenPop: server.ScreenPop{Signer: signer, PageURL: "https://herken.example.nl"}})
	ctx := context.Background()
	if _, err := c.Customers.CreateCustomer(ctx, &herkenv1.CreateCustomerRequest{
		Customer: &herkenv1.Customer{DisplayName: "Jan de Vries"}, Identifiers: []*herkenv1.Identifier{client.Phone("06-12345678")},
	}); err != nil {
		t.Fatal(err)
	}
	link, err := c.ScreenPopLink(ctx, "+31 6 1234 5678", time.Minute)
	if err != nil || !strings.HasPrefix(link.GetUrl(), "https://herken.example.nl/screen-pop/") {
		t.Fatalf("ScreenPopLink: %v, %v", link, err)
	}
	if d := time.Until(link.GetExpireTime().AsTime()); d > time.Minute || d < 50*time.Second {
		t.Errorf("expires in %v, want a minute", d)
	}
	pop, err := c.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: link.GetToken()})
	if err != nil || pop.GetCustomer().GetCustomer().GetDisplayName() != "Jan de Vries" {
		t.Fatalf("GetScreenPop: %v, %v", pop, err)
	}
	_, err = c.ScreenPop.GetScreenPop(ctx, &herkenv1.GetScreenPopRequest{Token: link.GetToken()[:40]})
	if !errors.Is(err, client.ErrScreenPopLinkInvalid) {
		t.Errorf("a cut link: %v", err)
	}
	if _, err := newClient(t).ScreenPopLink(ctx, "06-12345678", 0); !errors.Is(err, client.ErrScreenPopUnavailable) {
		t.Errorf("no screen pop: %v", err)
	}
}
