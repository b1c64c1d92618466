package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/internal/badinput"
	"github.com/herken/herken/server/poplink"
)

// The bad-input suite: malformed requests to every RPC (the table is in
// internal/badinput, which the fuzz corpus is generated from too), each
// answered with the documented code and ErrorInfo reason (and field), and
// none of them writing a byte. Requests go out as raw wire bytes, so the
// suite can send what a generated client refuses to marshal (invalid UTF-8
// in a proto3 string, bytes that are not protobuf at all).
//
// One answer comes from gRPC itself rather than from herken and carries no
// ErrorInfo (rows marked GRPCOwn): a request over the server's
// MaxRecvMsgBytes (1 MiB) is refused with RESOURCE_EXHAUSTED before it is
// read or decoded. Everything else is herken's status with ErrorInfo —
// including a request that does not decode, which gRPC alone would answer
// with INTERNAL and no details: the server's codec (codec.go) makes it
// INVALID_ARGUMENT / INVALID_ARGUMENT, with a BadRequest field violation
// naming the field when it is a string with invalid UTF-8.

// rawCodec sends and receives messages as they are on the wire. Its name is
// "proto", so the request goes out as application/grpc+proto like any other.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// invokeRaw calls method with body as the request's wire bytes.
func invokeRaw(ctx context.Context, conn *grpc.ClientConn, method string, body []byte) error {
	var out []byte
	return conn.Invoke(ctx, method, &body, &out, grpc.ForceCodecV2(rawCodec{}))
}

// seedBadInput seeds the store the table runs against: the shared fixture
// plus promises in every state, feedback in every state, a customer merged
// into another, an erased one and page tokens.
func seedBadInput(t testing.TB, s *testServer) badinput.Fixture {
	t.Helper()
	base := seed(t, s)
	f := badinput.Fixture{Jan: base.jan.GetName(), Anna: base.anna.GetName(), AnnaLast: base.annaLast.GetName()}
	pc := promiseClient(s)
	ctx := ctxT(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("bad-input fixture: %v", err)
		}
	}
	newPromise := func(parent string, p *herkenv1.Promise) *herkenv1.Promise {
		t.Helper()
		resp, err := pc.CreatePromise(ctx, &herkenv1.CreatePromiseRequest{
			Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent}, Promise: p})
		must(err)
		return resp.GetPromise()
	}
	jan := f.Jan
	f.OpenPromise = newPromise(jan, callback(fixedNow.Add(time.Hour), "team-techniek", "terugbellen")).GetName()
	f.KeptPromise = newPromise(jan, &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, DueTime: stamp(fixedNow.Add(2 * time.Hour))}).GetName()
	f.CancelledPromise = newPromise(jan, &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_REFUND, DueTime: stamp(fixedNow.Add(3 * time.Hour))}).GetName()
	newPromise(f.Anna, callback(fixedNow.Add(4*time.Hour), "team-billing", ""))
	_, err := pc.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: f.KeptPromise, Actor: "agent-042"})
	must(err)
	_, err = pc.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: f.CancelledPromise, Actor: "agent-042"})
	must(err)

	f.Answered, f.Submitted, f.NoFeedback = base.janHistory[0].GetName(), base.janHistory[1].GetName(), base.janHistory[2].GetName()
	_, err = s.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.Answered, Score: 2, Comment: "te lang gewacht"})
	must(err)
	_, err = s.Interactions.AnswerFeedback(ctx, &herkenv1.AnswerFeedbackRequest{Name: f.Answered, Answer: "excuses aangeboden", AnsweredBy: "agent-042"})
	must(err)
	_, err = s.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.Submitted, Score: 5})
	must(err)

	f.Survivor = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Karin Bakker"}, email("karin@example.nl")).GetName()
	f.Merged = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Kees Bakker"}, email("kees@example.nl")).GetName()
	_, err = s.Customers.MergeCustomers(ctx, &herkenv1.MergeCustomersRequest{Survivor: f.Survivor, Merged: f.Merged})
	must(err)
	f.Erased = createCustomer(t, s, &herkenv1.Customer{DisplayName: "Piet Smit"}, phone("06-33334444")).GetName()
	_, err = s.Customers.EraseCustomer(ctx, &herkenv1.EraseCustomerRequest{Name: f.Erased})
	must(err)

	li, err := s.Interactions.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2})
	must(err)
	lp, err := pc.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1})
	must(err)
	lc, err := s.Customers.ListCustomers(ctx, &herkenv1.ListCustomersRequest{PageSize: 1})
	must(err)
	f.InteractionsToken, f.PromisesToken, f.CustomersToken = li.GetNextPageToken(), lp.GetNextPageToken(), lc.GetNextPageToken()
	if f.InteractionsToken == "" || f.PromisesToken == "" || f.CustomersToken == "" {
		t.Fatalf("bad-input fixture: no page tokens (%q, %q, %q)", f.InteractionsToken, f.PromisesToken, f.CustomersToken)
	}
	seal := func(number string, exp time.Time) string {
		t.Helper()
		tok, err := s.Links.Seal(poplink.Claims{
			Identifier: identity.Identifier{Kind: identity.KindPhone, Value: number},
			Signer:     herken.AnonymousActor, Expires: exp,
		})
		must(err)
		return tok
	}
	f.JanLink = seal("+31612345678", fixedNow.Add(2*time.Minute))
	f.ExpiredLink = seal("+31612345678", fixedNow.Add(-time.Second))
	f.UnknownLink = seal("+31687654321", fixedNow.Add(2*time.Minute))
	return f
}

// TestBadInput sends every malformed request of the table to a seeded
// store, of every kind: each gets its documented status, and the store is
// byte-for-byte the same afterwards (per row, and over the whole table).
func TestBadInput(t *testing.T) {
	forEachStore(t, testBadInput)
}

func testBadInput(t *testing.T, opts ...testOption) {
	s := newTestServer(t, opts...)
	f := seedBadInput(t, s)
	rows := badinput.Rows(f)

	covered := map[string]int{}
	for _, r := range rows {
		covered[r.Method]++
	}
	for _, m := range herkenMethods(t) {
		if covered[m] == 0 {
			t.Errorf("no bad-input row for %s", m)
		}
	}
	if len(rows) < 100 {
		t.Errorf("%d bad-input rows, want at least 100", len(rows))
	}
	t.Logf("%d bad-input rows over %d RPCs", len(rows), len(covered))

	before := s.digest(t)
	for _, r := range rows {
		t.Run(r.Method[strings.LastIndex(r.Method, "/")+1:]+"/"+r.Name, func(t *testing.T) {
			s.unchanged(t, func() {
				err := invokeRaw(ctxT(t), s.Conn, r.Method, r.Body())
				if r.GRPCOwn {
					st, info, _ := statusDetails(err)
					if st.Code() != r.Want.Code {
						t.Errorf("code = %s, want %s (message %q)", st.Code(), r.Want.Code, st.Message())
					}
					if info != nil {
						t.Errorf("gRPC's own %s now carries ErrorInfo %v: update the row", st.Code(), info)
					}
					return
				}
				info := checkErr(t, err, wantErr{r.Want.Code, r.Want.Reason, r.Want.Field})
				if r.Limit != "" && info.GetMetadata()["limit"] != r.Limit {
					t.Errorf("ErrorInfo.metadata[limit] = %q, want %q", info.GetMetadata()["limit"], r.Limit)
				}
				if got := info.GetMetadata()["customer"]; got != r.Holder {
					t.Errorf("ErrorInfo.metadata[customer] = %q, want %q", got, r.Holder)
				}
				if got := info.GetMetadata()["survivor"]; got != r.Survivor {
					t.Errorf("ErrorInfo.metadata[survivor] = %q, want %q", got, r.Survivor)
				}
			})
		})
	}
	if after := s.digest(t); !bytes.Equal(before, after) {
		t.Errorf("the store changed over the bad-input table")
	}
}
