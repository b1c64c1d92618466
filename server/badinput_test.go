package server_test

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// The bad-input suite: malformed requests to every RPC, each answered with
// the documented code and ErrorInfo reason (and field), and none of them
// writing a byte. Requests go out as raw wire bytes, so the suite can send
// what a generated client refuses to marshal (invalid UTF-8 in a proto3
// string, bytes that are not protobuf at all).
//
// One answer comes from gRPC itself rather than from herken and carries no
// ErrorInfo (rows marked grpcOwn): a request over the server's
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

// badPlaceholder marks where badUTF8 puts invalid UTF-8.
const badPlaceholder = "@@BAD@@"

// badUTF8 marshals m and replaces every badPlaceholder by as many bytes that
// are not UTF-8, so every length prefix stays right.
func badUTF8(m proto.Message) []byte {
	b := mustMarshal(m)
	bad := "ab\xff\xfecd\xc0"
	if len(bad) != len(badPlaceholder) || !bytes.Contains(b, []byte(badPlaceholder)) {
		panic("badUTF8: placeholder")
	}
	return bytes.ReplaceAll(b, []byte(badPlaceholder), []byte(bad))
}

type badRow struct {
	name   string
	method string
	req    proto.Message // the request, unless raw is set
	raw    []byte        // the request's wire bytes
	want   wantErr
	limit  string // ErrorInfo metadata "limit", when the rule has one
	// grpcOwn: gRPC itself answers (code only, no ErrorInfo); see above.
	grpcOwn bool
}

// The methods of every herken.v1 RPC, so the suite can prove it covers all.
const (
	mLookup          = herkenv1.RecognitionService_Lookup_FullMethodName
	mResolve         = herkenv1.RecognitionService_Resolve_FullMethodName
	mCreateCustomer  = herkenv1.CustomerService_CreateCustomer_FullMethodName
	mGetCustomer     = herkenv1.CustomerService_GetCustomer_FullMethodName
	mRecord          = herkenv1.InteractionService_RecordInteraction_FullMethodName
	mListInteraction = herkenv1.InteractionService_ListInteractions_FullMethodName
	mSubmitFeedback  = herkenv1.InteractionService_SubmitFeedback_FullMethodName
	mAnswerFeedback  = herkenv1.InteractionService_AnswerFeedback_FullMethodName
	mCreatePromise   = herkenv1.PromiseService_CreatePromise_FullMethodName
	mGetPromise      = herkenv1.PromiseService_GetPromise_FullMethodName
	mKeepPromise     = herkenv1.PromiseService_KeepPromise_FullMethodName
	mCancelPromise   = herkenv1.PromiseService_CancelPromise_FullMethodName
	mListPromises    = herkenv1.PromiseService_ListPromises_FullMethodName
	mMaintenance     = herkenv1.MaintenanceService_GetMaintenanceStatus_FullMethodName
)

var allMethods = []string{mLookup, mResolve, mCreateCustomer, mGetCustomer, mRecord, mListInteraction,
	mSubmitFeedback, mAnswerFeedback, mCreatePromise, mGetPromise, mKeepPromise, mCancelPromise, mListPromises, mMaintenance}

// badFixture is the seeded store the suite runs against: the shared fixture
// plus promises in every state, feedback in every state and page tokens.
type badFixture struct {
	fixture
	openPromise, keptPromise, cancelledPromise *herkenv1.Promise
	// answered has answered feedback, submitted unanswered feedback,
	// noFeedback none.
	answered, submitted, noFeedback string
	liToken, lpToken                string // a ListInteractions and a ListPromises next_page_token
}

func seedBadInput(t testing.TB, s *testServer) badFixture {
	t.Helper()
	f := badFixture{fixture: seed(t, s)}
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
	jan := f.jan.GetName()
	f.openPromise = newPromise(jan, callback(fixedNow.Add(time.Hour), "team-techniek", "terugbellen"))
	f.keptPromise = newPromise(jan, &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, DueTime: stamp(fixedNow.Add(2 * time.Hour))})
	f.cancelledPromise = newPromise(jan, &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_REFUND, DueTime: stamp(fixedNow.Add(3 * time.Hour))})
	newPromise(f.anna.GetName(), callback(fixedNow.Add(4*time.Hour), "team-billing", ""))
	_, err := pc.KeepPromise(ctx, &herkenv1.KeepPromiseRequest{Name: f.keptPromise.GetName(), Actor: "agent-042"})
	must(err)
	_, err = pc.CancelPromise(ctx, &herkenv1.CancelPromiseRequest{Name: f.cancelledPromise.GetName(), Actor: "agent-042"})
	must(err)

	f.answered, f.submitted, f.noFeedback = f.janHistory[0].GetName(), f.janHistory[1].GetName(), f.janHistory[2].GetName()
	_, err = s.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.answered, Score: 2, Comment: "te lang gewacht"})
	must(err)
	_, err = s.Interactions.AnswerFeedback(ctx, &herkenv1.AnswerFeedbackRequest{Name: f.answered, Answer: "excuses aangeboden", AnsweredBy: "agent-042"})
	must(err)
	_, err = s.Interactions.SubmitFeedback(ctx, &herkenv1.SubmitFeedbackRequest{Name: f.submitted, Score: 5})
	must(err)

	li, err := s.Interactions.ListInteractions(ctx, &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2})
	must(err)
	lp, err := pc.ListPromises(ctx, &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1})
	must(err)
	f.liToken, f.lpToken = li.GetNextPageToken(), lp.GetNextPageToken()
	if f.liToken == "" || f.lpToken == "" {
		t.Fatalf("bad-input fixture: no page tokens (%q, %q)", f.liToken, f.lpToken)
	}
	return f
}

// TestBadInput sends every malformed request of the table to a seeded
// store: each gets its documented status, and the store is byte-for-byte
// the same afterwards (per row, and over the whole table).
func TestBadInput(t *testing.T) {
	s := newTestServer(t)
	f := seedBadInput(t, s)
	rows := badInputRows(f)

	covered := map[string]int{}
	for _, r := range rows {
		covered[r.method]++
	}
	for _, m := range allMethods {
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
		t.Run(r.method[strings.LastIndex(r.method, "/")+1:]+"/"+r.name, func(t *testing.T) {
			body := r.raw
			if body == nil {
				body = mustMarshal(r.req)
			}
			s.unchanged(t, func() {
				err := invokeRaw(ctxT(t), s.Conn, r.method, body)
				if r.grpcOwn {
					st, info, _ := statusDetails(err)
					if st.Code() != r.want.code {
						t.Errorf("code = %s, want %s (message %q)", st.Code(), r.want.code, st.Message())
					}
					if info != nil {
						t.Errorf("gRPC's own %s now carries ErrorInfo %v: update the row", st.Code(), info)
					}
					return
				}
				info := checkErr(t, err, r.want)
				if r.limit != "" && info.GetMetadata()["limit"] != r.limit {
					t.Errorf("ErrorInfo.metadata[limit] = %q, want %q", info.GetMetadata()["limit"], r.limit)
				}
			})
		})
	}
	if after := s.digest(t); !bytes.Equal(before, after) {
		t.Errorf("the store changed over the bad-input table")
	}
}

func badInputRows(f badFixture) []badRow {
	jan, anna := f.jan.GetName(), f.anna.GetName()
	const unknownCustomer = "customers/0000000000000000"
	unknownInteraction := jan + "/interactions/000000000000000000000000"
	unknownPromise := jan + "/promises/000000000000000000000000"
	rep := strings.Repeat
	inv := codes.InvalidArgument
	ids := func(n int, id func(i int) *herkenv1.Identifier) []*herkenv1.Identifier {
		out := make([]*herkenv1.Identifier, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	nth := func(i int) *herkenv1.Identifier {
		return extID("K-9" + strings.Repeat("0", 5) + string(rune('a'+i%26)) + strconv.Itoa(i))
	}
	tags := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "t" + strconv.Itoa(i)
		}
		return out
	}
	lookup := func(id *herkenv1.Identifier) *herkenv1.LookupRequest { return &herkenv1.LookupRequest{Identifier: id} }
	create := func(c *herkenv1.Customer, id ...*herkenv1.Identifier) *herkenv1.CreateCustomerRequest {
		if len(id) == 0 {
			id = []*herkenv1.Identifier{phone("06-22223333")}
		}
		return &herkenv1.CreateCustomerRequest{Customer: c, Identifiers: id}
	}
	ok := call(fixedNow.Add(-time.Minute), herkenv1.Channel_CHANNEL_PHONE, "vraag")
	in := func(mod func(*herkenv1.Interaction)) *herkenv1.Interaction {
		c := proto.Clone(ok).(*herkenv1.Interaction)
		mod(c)
		return c
	}
	recordTo := func(mod func(*herkenv1.Interaction)) *herkenv1.RecordInteractionRequest {
		return byParent(jan, in(mod))
	}
	promise := func(mod func(*herkenv1.Promise)) *herkenv1.Promise {
		p := &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_DELIVERY, DueTime: stamp(fixedNow.Add(24 * time.Hour))}
		mod(p)
		return p
	}
	promiseTo := func(mod func(*herkenv1.Promise)) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: promise(mod)}
	}
	promiseBy := func(id *herkenv1.Identifier) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: id}, Promise: promise(func(*herkenv1.Promise) {})}
	}
	pre1970 := &timestamppb.Timestamp{Seconds: -3600}
	badNanos := &timestamppb.Timestamp{Seconds: fixedNow.Unix(), Nanos: -1}
	tamper := func(tok string) string {
		b := []byte(tok)
		i := len(b) / 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	channels1000 := make([]herkenv1.Channel, 1000)
	for i := range channels1000 {
		channels1000[i] = herkenv1.Channel(1 + i%9)
	}
	channels1000[999] = herkenv1.Channel(4242)
	withChannels := func(ch []herkenv1.Channel) *herkenv1.ListInteractionsRequest {
		return &herkenv1.ListInteractionsRequest{Parent: jan, Channels: ch}
	}

	// Wire bytes that are not a well-formed request.
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	truncated := mustMarshal(lookup(email("jan@example.nl")))
	truncated = truncated[:len(truncated)-3]
	// A known field with the wrong wire type is an unknown field to protobuf
	// (it is kept, not refused), so the request has no identifier.
	wrongWireType := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7)
	unknownOnly := protowire.AppendString(protowire.AppendTag(nil, 999, protowire.BytesType), "x")
	// A 2 MiB request, twice the server's limit.
	huge := mustMarshal(&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{HandoverNote: rep("x", 2<<20)}})
	// Just under the limit: decoded, then refused by herken's own rule.
	nearLimit := rep("x", 1<<20-1024)

	return []badRow{
		// ---- RecognitionService/Lookup ----
		{name: "no identifier", method: mLookup, req: &herkenv1.LookupRequest{}, want: wantErr{inv, "IDENTIFIER_MISSING", "identifier"}},
		{name: "empty identifier", method: mLookup, req: lookup(&herkenv1.Identifier{}), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier"}},
		{name: "only unknown fields", method: mLookup, raw: unknownOnly, want: wantErr{inv, "IDENTIFIER_MISSING", "identifier"}},
		{name: "negative interaction_limit", method: mLookup, req: &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: -1}, want: wantErr{inv, "FIELD_INVALID", "interaction_limit"}},
		{name: "interaction_limit MinInt32", method: mLookup, req: &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: math.MinInt32}, want: wantErr{inv, "FIELD_INVALID", "interaction_limit"}},
		{name: "phone too short", method: mLookup, req: lookup(phone("12")), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "phone 65 bytes", method: mLookup, req: lookup(phone("06" + rep("1", 63))), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "phone of 1 MiB", method: mLookup, req: lookup(phone(nearLimit)), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "email in phone_number", method: mLookup, req: lookup(phone("jan@example.nl")), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "postcode in phone_number", method: mLookup, req: lookup(phone("1234 AB")), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "postcode in email", method: mLookup, req: lookup(email("1234 AB 10")), want: wantErr{inv, "EMAIL_INVALID", "identifier.email"}},
		{name: "phone in email", method: mLookup, req: lookup(email("06-12345678")), want: wantErr{inv, "EMAIL_INVALID", "identifier.email"}},
		{name: "email 255 bytes", method: mLookup, req: lookup(email(rep("a", 64) + "@" + rep("b", 63) + "." + rep("c", 63) + "." + rep("d", 59) + ".nl")), want: wantErr{inv, "EMAIL_INVALID", "identifier.email"}},
		{name: "email with control character", method: mLookup, req: lookup(email("jan\x00@example.nl")), want: wantErr{inv, "EMAIL_INVALID", "identifier.email"}},
		{name: "empty email", method: mLookup, req: lookup(email("")), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier.email"}},
		{name: "handle without platform", method: mLookup, req: lookup(social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_UNSPECIFIED, "jandevries")), want: wantErr{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{name: "unknown platform", method: mLookup, req: lookup(social(herkenv1.SocialPlatform(99), "jan")), want: wantErr{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{name: "negative platform", method: mLookup, req: lookup(social(herkenv1.SocialPlatform(-1), "jan")), want: wantErr{inv, "SOCIAL_PLATFORM_INVALID", "identifier.social_handle.platform"}},
		{name: "empty social_handle message", method: mLookup, req: lookup(&herkenv1.Identifier{Value: &herkenv1.Identifier_SocialHandle{SocialHandle: &herkenv1.SocialHandle{}}}), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier.social_handle.handle"}},
		{name: "email as X handle", method: mLookup, req: lookup(social(platformX, "jan@example.nl")), want: wantErr{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{name: "instagram URL as X handle", method: mLookup, req: lookup(social(platformX, "https://instagram.com/jan.devries")), want: wantErr{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{name: "empty X handle", method: mLookup, req: lookup(social(platformX, "")), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier.social_handle.handle"}},
		{name: "X handle of 10000 characters", method: mLookup, req: lookup(social(platformX, rep("j", 10000))), want: wantErr{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{name: "WhatsApp handle that is no number", method: mLookup, req: lookup(social(herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP, "jandevries")), want: wantErr{inv, "SOCIAL_HANDLE_INVALID", "identifier.social_handle.handle"}},
		{name: "empty external_id", method: mLookup, req: lookup(extID("")), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier.external_id"}},
		{name: "external_id with space", method: mLookup, req: lookup(extID("K 100001")), want: wantErr{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{name: "external_id 129 characters", method: mLookup, req: lookup(extID(rep("K", 129))), want: wantErr{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{name: "external_id not ASCII", method: mLookup, req: lookup(extID("K-1000é1")), want: wantErr{inv, "EXTERNAL_ID_INVALID", "identifier.external_id"}},
		{name: "phone as postcode", method: mLookup, req: lookup(postal("0612345678", 10, "")), want: wantErr{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.postcode"}},
		{name: "house number 0", method: mLookup, req: lookup(postal("1234 AB", 0, "")), want: wantErr{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{name: "negative house number", method: mLookup, req: lookup(postal("1234 AB", -10, "")), want: wantErr{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{name: "house number 100000", method: mLookup, req: lookup(postal("1234 AB", 100000, "")), want: wantErr{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number"}},
		{name: "addition 7 characters", method: mLookup, req: lookup(postal("1234 AB", 10, "abcdefg")), want: wantErr{inv, "POSTAL_ADDRESS_INVALID", "identifier.postal_address.house_number_addition"}},
		{name: "empty postal address", method: mLookup, req: lookup(&herkenv1.Identifier{Value: &herkenv1.Identifier_PostalAddress{PostalAddress: &herkenv1.PostalAddress{}}}), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier.postal_address.postcode"}},
		{name: "query matching no kind", method: mLookup, req: lookup(query("hello world")), want: wantErr{inv, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{name: "query bare @handle", method: mLookup, req: lookup(query("@jan")), want: wantErr{inv, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{name: "query 1025 bytes", method: mLookup, req: lookup(query(rep("1", 1025))), want: wantErr{inv, "FIELD_TOO_LONG", "identifier.query"}, limit: "1024"},
		{name: "invalid UTF-8 in phone_number", method: mLookup, raw: badUTF8(lookup(phone("06" + badPlaceholder))), want: wantErr{inv, "INVALID_ARGUMENT", "identifier.phone_number"}},
		{name: "invalid UTF-8 in query", method: mLookup, raw: badUTF8(lookup(query(badPlaceholder))), want: wantErr{inv, "INVALID_ARGUMENT", "identifier.query"}},
		{name: "invalid UTF-8 in social handle", method: mLookup, raw: badUTF8(lookup(social(platformX, badPlaceholder))), want: wantErr{inv, "INVALID_ARGUMENT", "identifier.social_handle.handle"}},
		{name: "invalid UTF-8 in postcode", method: mLookup, raw: badUTF8(lookup(postal(badPlaceholder, 10, ""))), want: wantErr{inv, "INVALID_ARGUMENT", "identifier.postal_address.postcode"}},
		{name: "not protobuf", method: mLookup, raw: garbage, want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "truncated", method: mLookup, raw: truncated, want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "identifier sent as a varint", method: mLookup, raw: wrongWireType, want: wantErr{inv, "IDENTIFIER_MISSING", "identifier"}},
		{name: "2 MiB request", method: mLookup, raw: huge, want: wantErr{code: codes.ResourceExhausted}, grpcOwn: true},

		// ---- RecognitionService/Resolve ----
		{name: "no identifiers", method: mResolve, req: &herkenv1.ResolveRequest{}, want: wantErr{inv, "FIELD_REQUIRED", "identifiers"}},
		{name: "11 identifiers", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: ids(11, nth)}, want: wantErr{inv, "TOO_MANY_VALUES", "identifiers"}},
		{name: "1000 identifiers", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: ids(1000, nth)}, want: wantErr{inv, "TOO_MANY_VALUES", "identifiers"}},
		{name: "negative interaction_limit", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678")}, InteractionLimit: -5}, want: wantErr{inv, "FIELD_INVALID", "interaction_limit"}},
		{name: "empty second identifier", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), {}}}, want: wantErr{inv, "IDENTIFIER_MISSING", "identifiers[1]"}},
		{name: "bad third email", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl"), email("jan@")}}, want: wantErr{inv, "EMAIL_INVALID", "identifiers[2].email"}},
		{name: "email in phone_number", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("jan@example.nl")}}, want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifiers[0].phone_number"}},
		{name: "query 1025 bytes", method: mResolve, req: &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{query(rep("a", 1025))}}, want: wantErr{inv, "FIELD_TOO_LONG", "identifiers[0].query"}, limit: "1024"},
		{name: "invalid UTF-8 in second email", method: mResolve, raw: badUTF8(&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email(badPlaceholder)}}), want: wantErr{inv, "INVALID_ARGUMENT", "identifiers[1].email"}},
		{name: "not protobuf", method: mResolve, raw: garbage, want: wantErr{inv, "INVALID_ARGUMENT", ""}},

		// ---- CustomerService/CreateCustomer ----
		{name: "display_name 201 characters", method: mCreateCustomer, req: create(&herkenv1.Customer{DisplayName: rep("é", 201)}), want: wantErr{inv, "FIELD_TOO_LONG", "customer.display_name"}, limit: "200"},
		{name: "display_name of 1 MiB", method: mCreateCustomer, req: create(&herkenv1.Customer{DisplayName: nearLimit}), want: wantErr{inv, "FIELD_TOO_LONG", "customer.display_name"}, limit: "200"},
		{name: "display_name control character", method: mCreateCustomer, req: create(&herkenv1.Customer{DisplayName: "Jan\x1b[31m"}), want: wantErr{inv, "FIELD_INVALID", "customer.display_name"}},
		{name: "handover_note 4001 characters", method: mCreateCustomer, req: create(&herkenv1.Customer{HandoverNote: rep("n", 4001)}), want: wantErr{inv, "FIELD_TOO_LONG", "customer.handover_note"}, limit: "4000"},
		{name: "33 tags", method: mCreateCustomer, req: create(&herkenv1.Customer{Tags: tags(33)}), want: wantErr{inv, "TOO_MANY_VALUES", "customer.tags"}, limit: "32"},
		{name: "1000 tags", method: mCreateCustomer, req: create(&herkenv1.Customer{Tags: tags(1000)}), want: wantErr{inv, "TOO_MANY_VALUES", "customer.tags"}, limit: "32"},
		{name: "tag 65 characters", method: mCreateCustomer, req: create(&herkenv1.Customer{Tags: []string{rep("t", 65)}}), want: wantErr{inv, "FIELD_TOO_LONG", "customer.tags[0]"}, limit: "64"},
		{name: "empty tag", method: mCreateCustomer, req: create(&herkenv1.Customer{Tags: []string{"vip", ""}}), want: wantErr{inv, "FIELD_INVALID", "customer.tags[1]"}},
		{name: "language not BCP 47", method: mCreateCustomer, req: create(&herkenv1.Customer{PreferredLanguage: "Nederlands!"}), want: wantErr{inv, "FIELD_INVALID", "customer.preferred_language"}},
		{name: "33 identifiers", method: mCreateCustomer, req: create(nil, ids(33, nth)...), want: wantErr{inv, "TOO_MANY_VALUES", "identifiers"}},
		{name: "1000 identifiers", method: mCreateCustomer, req: create(nil, ids(1000, nth)...), want: wantErr{inv, "TOO_MANY_VALUES", "identifiers"}},
		{name: "withheld anonymous", method: mCreateCustomer, req: create(nil, phone("anonymous")), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{name: "withheld empty phone", method: mCreateCustomer, req: create(nil, email("nieuw@example.nl"), phone("")), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifiers[1]"}},
		{name: "withheld all zeros", method: mCreateCustomer, req: create(nil, phone("0000000000")), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{name: "withheld query private", method: mCreateCustomer, req: create(nil, query("private")), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifiers[0]"}},
		{name: "empty identifier", method: mCreateCustomer, req: create(nil, &herkenv1.Identifier{}), want: wantErr{inv, "IDENTIFIER_MISSING", "identifiers[0]"}},
		{name: "email in phone_number", method: mCreateCustomer, req: create(nil, phone("nieuw@example.nl")), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifiers[0].phone_number"}},
		{name: "postcode in email", method: mCreateCustomer, req: create(nil, email("3511 AB")), want: wantErr{inv, "EMAIL_INVALID", "identifiers[0].email"}},
		{name: "request_id 65 characters", method: mCreateCustomer, req: &herkenv1.CreateCustomerRequest{RequestId: rep("r", 65)}, want: wantErr{inv, "REQUEST_ID_INVALID", "request_id"}},
		{name: "request_id not ASCII", method: mCreateCustomer, req: &herkenv1.CreateCustomerRequest{RequestId: "aanvraag-één"}, want: wantErr{inv, "REQUEST_ID_INVALID", "request_id"}},
		{name: "external id of another customer", method: mCreateCustomer, req: create(nil, extID("K-100001")), want: wantErr{codes.AlreadyExists, "IDENTIFIER_ALREADY_LINKED", "identifiers[0]"}},
		{name: "invalid UTF-8 in display_name", method: mCreateCustomer, raw: badUTF8(create(&herkenv1.Customer{DisplayName: badPlaceholder})), want: wantErr{inv, "INVALID_ARGUMENT", "customer.display_name"}},
		{name: "invalid UTF-8 in third tag", method: mCreateCustomer, raw: badUTF8(create(&herkenv1.Customer{Tags: []string{"a", "b", badPlaceholder}})), want: wantErr{inv, "INVALID_ARGUMENT", "customer.tags[2]"}},
		{name: "invalid UTF-8 in request_id", method: mCreateCustomer, raw: badUTF8(&herkenv1.CreateCustomerRequest{RequestId: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "request_id"}},
		{name: "invalid UTF-8 in second identifier", method: mCreateCustomer, raw: badUTF8(create(nil, phone("06-22223333"), email(badPlaceholder+"@example.nl"))), want: wantErr{inv, "INVALID_ARGUMENT", "identifiers[1].email"}},
		{name: "2 MiB request", method: mCreateCustomer, raw: huge, want: wantErr{code: codes.ResourceExhausted}, grpcOwn: true},

		// ---- CustomerService/GetCustomer ----
		{name: "empty name", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "collection only", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "short id", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/abc"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "wrong collection", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "users/" + strings.TrimPrefix(jan, "customers/")}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "bare id", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: strings.TrimPrefix(jan, "customers/")}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "uppercase id", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: strings.ToUpper(jan)}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "id outside the alphabet", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/illuuooiilluuooii"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "interaction name", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: f.answered}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "wildcard", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/-"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "path traversal", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/../../../etc/pass"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "name with newlines", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/0000\n\n0000000000"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "name of 100 KiB", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: "customers/" + rep("0", 100<<10)}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "unknown customer", method: mGetCustomer, req: &herkenv1.GetCustomerRequest{Name: unknownCustomer}, want: wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{name: "invalid UTF-8 in name", method: mGetCustomer, raw: badUTF8(&herkenv1.GetCustomerRequest{Name: "customers/" + badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "name"}},

		// ---- InteractionService/RecordInteraction ----
		{name: "no customer", method: mRecord, req: &herkenv1.RecordInteractionRequest{Interaction: ok}, want: wantErr{inv, "FIELD_REQUIRED", "parent"}},
		{name: "no interaction", method: mRecord, req: &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}}, want: wantErr{inv, "FIELD_REQUIRED", "interaction"}},
		{name: "channel unspecified", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 0 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{name: "unknown channel", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 99 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{name: "negative channel", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Channel = -5 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{name: "channel SYSTEM", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Channel = herkenv1.Channel_CHANNEL_SYSTEM }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{name: "channel 256 (wraps to a valid byte)", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Channel = 256 + 1 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{name: "direction unspecified", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Direction = 0 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{name: "unknown direction", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Direction = 7 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{name: "outcome unspecified", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Outcome = 0 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{name: "unknown outcome", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Outcome = math.MaxInt32 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{name: "agent 129 characters", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Agent = rep("a", 129) }), want: wantErr{inv, "FIELD_TOO_LONG", "interaction.agent"}, limit: "128"},
		{name: "summary 4001 characters", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Summary = rep("ü", 4001) }), want: wantErr{inv, "FIELD_TOO_LONG", "interaction.summary"}, limit: "4000"},
		{name: "summary of 1 MiB", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Summary = nearLimit }), want: wantErr{inv, "FIELD_TOO_LONG", "interaction.summary"}, limit: "4000"},
		{name: "case_reference 129 characters", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.CaseReference = rep("c", 129) }), want: wantErr{inv, "FIELD_TOO_LONG", "interaction.case_reference"}, limit: "128"},
		{name: "agent with newline", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Agent = "agent\n042" }), want: wantErr{inv, "FIELD_INVALID", "interaction.agent"}},
		{name: "occur_time an hour ahead", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = stamp(fixedNow.Add(time.Hour)) }), want: wantErr{inv, "TIME_INVALID", "interaction.occur_time"}},
		{name: "occur_time before 1970", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = pre1970 }), want: wantErr{inv, "TIME_INVALID", "interaction.occur_time"}},
		{name: "occur_time negative nanos", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = badNanos }), want: wantErr{inv, "TIME_INVALID", "interaction.occur_time"}},
		{name: "occur_time year 10000", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.OccurTime = &timestamppb.Timestamp{Seconds: 253402300800} }), want: wantErr{inv, "TIME_INVALID", "interaction.occur_time"}},
		{name: "negative duration", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Duration = durationpb.New(-time.Second) }), want: wantErr{inv, "TIME_INVALID", "interaction.duration"}},
		{name: "duration 25 hours", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Duration = durationpb.New(25 * time.Hour) }), want: wantErr{inv, "TIME_INVALID", "interaction.duration"}},
		{name: "duration with mixed signs", method: mRecord, req: recordTo(func(i *herkenv1.Interaction) { i.Duration = &durationpb.Duration{Seconds: 10, Nanos: -1} }), want: wantErr{inv, "TIME_INVALID", "interaction.duration"}},
		{name: "malformed parent", method: mRecord, req: byParent("customer/"+strings.TrimPrefix(jan, "customers/"), ok), want: wantErr{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{name: "interaction name as parent", method: mRecord, req: byParent(f.answered, ok), want: wantErr{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{name: "unknown parent", method: mRecord, req: byParent(unknownCustomer, ok), want: wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{name: "withheld caller id", method: mRecord, req: byIdentifier(phone("anonymous"), ok), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{name: "withheld empty phone", method: mRecord, req: byIdentifier(phone(""), ok), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{name: "withheld query unknown", method: mRecord, req: byIdentifier(query("unknown"), ok), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{name: "identifier nobody holds", method: mRecord, req: byIdentifier(phone("06-11111111"), ok), want: wantErr{codes.NotFound, "IDENTIFIER_NOT_LINKED", ""}},
		{name: "shared landline", method: mRecord, req: byIdentifier(phone(landline), ok), want: wantErr{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", ""}},
		{name: "email in phone_number", method: mRecord, req: byIdentifier(phone("jan@example.nl"), ok), want: wantErr{inv, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{name: "empty identifier", method: mRecord, req: byIdentifier(&herkenv1.Identifier{}, ok), want: wantErr{inv, "IDENTIFIER_MISSING", "identifier"}},
		{name: "request_id with slash", method: mRecord, req: &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}, Interaction: ok, RequestId: "a/b"}, want: wantErr{inv, "REQUEST_ID_INVALID", "request_id"}},
		{name: "invalid UTF-8 in summary", method: mRecord, raw: badUTF8(recordTo(func(i *herkenv1.Interaction) { i.Summary = "klant " + badPlaceholder })), want: wantErr{inv, "INVALID_ARGUMENT", "interaction.summary"}},
		{name: "invalid UTF-8 in parent", method: mRecord, raw: badUTF8(byParent(badPlaceholder, ok)), want: wantErr{inv, "INVALID_ARGUMENT", "parent"}},

		// ---- InteractionService/ListInteractions ----
		{name: "empty parent", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{}, want: wantErr{inv, "FIELD_REQUIRED", "parent"}},
		{name: "malformed parent", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: "customers/jan"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{name: "wildcard without unanswered_feedback_only", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: "customers/-"}, want: wantErr{inv, "FIELD_INVALID", "parent"}},
		{name: "negative page_size", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: -1}, want: wantErr{inv, "FIELD_INVALID", "page_size"}},
		{name: "page_size MinInt32", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: math.MinInt32}, want: wantErr{inv, "FIELD_INVALID", "page_size"}},
		{name: "unknown channel", method: mListInteraction, req: withChannels([]herkenv1.Channel{42}), want: wantErr{inv, "ENUM_VALUE_INVALID", "channels[0]"}},
		{name: "1000 channels, the last unknown", method: mListInteraction, req: withChannels(channels1000), want: wantErr{inv, "ENUM_VALUE_INVALID", "channels[999]"}},
		{name: "end_time before start_time", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(fixedNow), EndTime: stamp(fixedNow.Add(-time.Hour))}, want: wantErr{inv, "FIELD_INVALID", "end_time"}},
		{name: "start_time before 1970", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: pre1970}, want: wantErr{inv, "TIME_INVALID", "start_time"}},
		{name: "end_time negative nanos", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, EndTime: badNanos}, want: wantErr{inv, "TIME_INVALID", "end_time"}},
		{name: "forged page token", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: "bm90IGEgdG9rZW4"}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "tampered page token", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: tamper(f.liToken)}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "truncated page token", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: f.liToken[:max(len(f.liToken)-4, 1)]}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "page token for other filters", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2, PageToken: f.liToken, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_EMAIL}}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "page token of another customer", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: anna, PageSize: 2, PageToken: f.liToken}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "ListPromises page token", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: f.lpToken}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "page token of 100 KiB", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: rep("A", 100<<10)}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "unknown customer", method: mListInteraction, req: &herkenv1.ListInteractionsRequest{Parent: unknownCustomer}, want: wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{name: "invalid UTF-8 in page_token", method: mListInteraction, raw: badUTF8(&herkenv1.ListInteractionsRequest{Parent: jan, PageToken: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "page_token"}},

		// ---- InteractionService/SubmitFeedback ----
		{name: "empty name", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Score: 3}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "customer name", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: jan, Score: 3}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "promise name", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.openPromise.GetName(), Score: 3}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "uppercase interaction id", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: jan + "/interactions/" + strings.ToUpper(f.noFeedback[strings.LastIndex(f.noFeedback, "/")+1:]), Score: 3}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "score 0", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.noFeedback}, want: wantErr{inv, "FIELD_INVALID", "score"}},
		{name: "score 6", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.noFeedback, Score: 6}, want: wantErr{inv, "FIELD_INVALID", "score"}},
		{name: "negative score", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.noFeedback, Score: -3}, want: wantErr{inv, "FIELD_INVALID", "score"}},
		{name: "comment 4001 characters", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.noFeedback, Score: 3, Comment: rep("c", 4001)}, want: wantErr{inv, "FIELD_TOO_LONG", "comment"}, limit: "4000"},
		{name: "unknown interaction", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: unknownInteraction, Score: 3}, want: wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{name: "feedback given before", method: mSubmitFeedback, req: &herkenv1.SubmitFeedbackRequest{Name: f.submitted, Score: 1}, want: wantErr{codes.FailedPrecondition, "FEEDBACK_ALREADY_SUBMITTED", ""}},
		{name: "invalid UTF-8 in comment", method: mSubmitFeedback, raw: badUTF8(&herkenv1.SubmitFeedbackRequest{Name: f.noFeedback, Score: 3, Comment: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "comment"}},

		// ---- InteractionService/AnswerFeedback ----
		{name: "empty name", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Answer: "gebeld", AnsweredBy: "agent-042"}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "promise name", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.openPromise.GetName(), Answer: "gebeld", AnsweredBy: "agent-042"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "no answer", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.submitted, AnsweredBy: "agent-042"}, want: wantErr{inv, "FIELD_REQUIRED", "answer"}},
		{name: "blank answer", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.submitted, Answer: " \n\t ", AnsweredBy: "agent-042"}, want: wantErr{inv, "FIELD_REQUIRED", "answer"}},
		{name: "no answered_by", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.submitted, Answer: "gebeld"}, want: wantErr{inv, "FIELD_REQUIRED", "answered_by"}},
		{name: "answer 4001 characters", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.submitted, Answer: rep("a", 4001), AnsweredBy: "agent-042"}, want: wantErr{inv, "FIELD_TOO_LONG", "answer"}, limit: "4000"},
		{name: "answered_by 129 characters", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.submitted, Answer: "gebeld", AnsweredBy: rep("b", 129)}, want: wantErr{inv, "FIELD_TOO_LONG", "answered_by"}, limit: "128"},
		{name: "no feedback to answer", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.noFeedback, Answer: "gebeld", AnsweredBy: "agent-042"}, want: wantErr{codes.FailedPrecondition, "FEEDBACK_MISSING", ""}},
		{name: "answered before", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: f.answered, Answer: "nogmaals", AnsweredBy: "agent-042"}, want: wantErr{codes.FailedPrecondition, "FEEDBACK_ALREADY_ANSWERED", ""}},
		{name: "unknown interaction", method: mAnswerFeedback, req: &herkenv1.AnswerFeedbackRequest{Name: unknownInteraction, Answer: "gebeld", AnsweredBy: "agent-042"}, want: wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{name: "invalid UTF-8 in answered_by", method: mAnswerFeedback, raw: badUTF8(&herkenv1.AnswerFeedbackRequest{Name: f.submitted, Answer: "gebeld", AnsweredBy: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "answered_by"}},

		// ---- PromiseService/CreatePromise ----
		{name: "no customer", method: mCreatePromise, req: &herkenv1.CreatePromiseRequest{Promise: promise(func(*herkenv1.Promise) {})}, want: wantErr{inv, "FIELD_REQUIRED", "parent"}},
		{name: "no promise", method: mCreatePromise, req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}}, want: wantErr{inv, "FIELD_REQUIRED", "promise"}},
		{name: "kind unspecified", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Kind = 0 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "promise.kind"}},
		{name: "unknown kind", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Kind = 99 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "promise.kind"}},
		{name: "description 1001 characters", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Description = rep("d", 1001) }), want: wantErr{inv, "FIELD_TOO_LONG", "promise.description"}, limit: "1000"},
		{name: "owner with space", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Owner = "team techniek" }), want: wantErr{inv, "FIELD_INVALID", "promise.owner"}},
		{name: "owner with slash", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Owner = "team/../x" }), want: wantErr{inv, "FIELD_INVALID", "promise.owner"}},
		{name: "owner 129 characters", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Owner = rep("o", 129) }), want: wantErr{inv, "FIELD_TOO_LONG", "promise.owner"}, limit: "128"},
		{name: "channel SYSTEM", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Channel = herkenv1.Channel_CHANNEL_SYSTEM }), want: wantErr{inv, "ENUM_VALUE_INVALID", "promise.channel"}},
		{name: "unknown channel", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Channel = 77 }), want: wantErr{inv, "ENUM_VALUE_INVALID", "promise.channel"}},
		{name: "no due_time for a delivery", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = nil }), want: wantErr{inv, "FIELD_REQUIRED", "promise.due_time"}},
		{name: "due_time 3 years ahead", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = stamp(fixedNow.AddDate(3, 0, 0)) }), want: wantErr{inv, "TIME_INVALID", "promise.due_time"}},
		{name: "due_time before 1970", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = pre1970 }), want: wantErr{inv, "TIME_INVALID", "promise.due_time"}},
		{name: "due_time negative nanos", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.DueTime = badNanos }), want: wantErr{inv, "TIME_INVALID", "promise.due_time"}},
		{name: "window starts after due", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.WindowStartTime = stamp(fixedNow.Add(48 * time.Hour)) }), want: wantErr{inv, "TIME_INVALID", "promise.window_start_time"}},
		{name: "malformed interaction", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = jan + "/interactions/x" }), want: wantErr{inv, "RESOURCE_NAME_INVALID", "promise.interaction"}},
		{name: "interaction of another customer", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = f.annaLast.GetName() }), want: wantErr{inv, "FIELD_INVALID", "promise.interaction"}},
		{name: "unknown interaction", method: mCreatePromise, req: promiseTo(func(p *herkenv1.Promise) { p.Interaction = unknownInteraction }), want: wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", "promise.interaction"}},
		{name: "malformed parent", method: mCreatePromise, req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan + "/"}, Promise: promise(func(*herkenv1.Promise) {})}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{name: "unknown parent", method: mCreatePromise, req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: unknownCustomer}, Promise: promise(func(*herkenv1.Promise) {})}, want: wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{name: "withheld caller id", method: mCreatePromise, req: promiseBy(phone("private")), want: wantErr{inv, "IDENTIFIER_WITHHELD", "identifier"}},
		{name: "shared landline", method: mCreatePromise, req: promiseBy(phone(landline)), want: wantErr{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", ""}},
		{name: "identifier nobody holds", method: mCreatePromise, req: promiseBy(email("niemand@example.nl")), want: wantErr{codes.NotFound, "IDENTIFIER_NOT_LINKED", ""}},
		{name: "postcode in email", method: mCreatePromise, req: promiseBy(email("1234AB")), want: wantErr{inv, "EMAIL_INVALID", "identifier.email"}},
		{name: "request_id 65 characters", method: mCreatePromise, req: &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: jan}, Promise: promise(func(*herkenv1.Promise) {}), RequestId: rep("r", 65)}, want: wantErr{inv, "REQUEST_ID_INVALID", "request_id"}},
		{name: "invalid UTF-8 in description", method: mCreatePromise, raw: badUTF8(promiseTo(func(p *herkenv1.Promise) { p.Description = badPlaceholder })), want: wantErr{inv, "INVALID_ARGUMENT", "promise.description"}},

		// ---- PromiseService/GetPromise ----
		{name: "empty name", method: mGetPromise, req: &herkenv1.GetPromiseRequest{}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "customer name", method: mGetPromise, req: &herkenv1.GetPromiseRequest{Name: jan}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "interaction name", method: mGetPromise, req: &herkenv1.GetPromiseRequest{Name: f.answered}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "trailing slash", method: mGetPromise, req: &herkenv1.GetPromiseRequest{Name: f.openPromise.GetName() + "/"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "unknown promise", method: mGetPromise, req: &herkenv1.GetPromiseRequest{Name: unknownPromise}, want: wantErr{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{name: "promise under another customer", method: mGetPromise, req: &herkenv1.GetPromiseRequest{Name: anna + "/promises/" + f.openPromise.GetName()[strings.LastIndex(f.openPromise.GetName(), "/")+1:]}, want: wantErr{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{name: "invalid UTF-8 in name", method: mGetPromise, raw: badUTF8(&herkenv1.GetPromiseRequest{Name: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "name"}},

		// ---- PromiseService/KeepPromise ----
		{name: "empty name", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Actor: "agent-042"}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "interaction name", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.answered, Actor: "agent-042"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "no actor", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.openPromise.GetName()}, want: wantErr{inv, "FIELD_REQUIRED", "actor"}},
		{name: "actor 129 characters", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.openPromise.GetName(), Actor: rep("a", 129)}, want: wantErr{inv, "FIELD_TOO_LONG", "actor"}, limit: "128"},
		{name: "actor with newline", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.openPromise.GetName(), Actor: "agent\n042"}, want: wantErr{inv, "FIELD_INVALID", "actor"}},
		{name: "note 1001 characters", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.openPromise.GetName(), Actor: "agent-042", Note: rep("n", 1001)}, want: wantErr{inv, "FIELD_TOO_LONG", "note"}, limit: "1000"},
		{name: "unknown promise", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: unknownPromise, Actor: "agent-042"}, want: wantErr{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{name: "cancelled promise", method: mKeepPromise, req: &herkenv1.KeepPromiseRequest{Name: f.cancelledPromise.GetName(), Actor: "agent-042"}, want: wantErr{codes.FailedPrecondition, "PROMISE_NOT_OPEN", ""}},
		{name: "invalid UTF-8 in note", method: mKeepPromise, raw: badUTF8(&herkenv1.KeepPromiseRequest{Name: f.openPromise.GetName(), Actor: "agent-042", Note: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "note"}},

		// ---- PromiseService/CancelPromise ----
		{name: "empty name", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Actor: "agent-042"}, want: wantErr{inv, "FIELD_REQUIRED", "name"}},
		{name: "no actor", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: f.openPromise.GetName(), Note: "opgelost"}, want: wantErr{inv, "FIELD_REQUIRED", "actor"}},
		{name: "blank actor", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: f.openPromise.GetName(), Actor: "   "}, want: wantErr{inv, "FIELD_REQUIRED", "actor"}},
		{name: "note 1001 characters", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: f.openPromise.GetName(), Actor: "agent-042", Note: rep("n", 1001)}, want: wantErr{inv, "FIELD_TOO_LONG", "note"}, limit: "1000"},
		{name: "kept promise", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: f.keptPromise.GetName(), Actor: "agent-042"}, want: wantErr{codes.FailedPrecondition, "PROMISE_NOT_OPEN", ""}},
		{name: "unknown promise", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: unknownPromise, Actor: "agent-042"}, want: wantErr{codes.NotFound, "PROMISE_NOT_FOUND", ""}},
		{name: "interactions collection", method: mCancelPromise, req: &herkenv1.CancelPromiseRequest{Name: strings.Replace(f.openPromise.GetName(), "/promises/", "/interactions/", 1), Actor: "agent-042"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "name"}},
		{name: "invalid UTF-8 in actor", method: mCancelPromise, raw: badUTF8(&herkenv1.CancelPromiseRequest{Name: f.openPromise.GetName(), Actor: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "actor"}},

		// ---- PromiseService/ListPromises ----
		{name: "empty parent", method: mListPromises, req: &herkenv1.ListPromisesRequest{}, want: wantErr{inv, "FIELD_REQUIRED", "parent"}},
		{name: "malformed parent", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/*"}, want: wantErr{inv, "RESOURCE_NAME_INVALID", "parent"}},
		{name: "negative page_size", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: jan, PageSize: -50}, want: wantErr{inv, "FIELD_INVALID", "page_size"}},
		{name: "unknown state", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: jan, State: 99}, want: wantErr{inv, "ENUM_VALUE_INVALID", "state"}},
		{name: "KEPT across customers", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", State: herkenv1.PromiseState_PROMISE_STATE_KEPT}, want: wantErr{inv, "FIELD_INVALID", "state"}},
		{name: "overdue_only with state KEPT", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: jan, State: herkenv1.PromiseState_PROMISE_STATE_KEPT, OverdueOnly: true}, want: wantErr{inv, "FIELD_INVALID", "state"}},
		{name: "owner with space", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: "team billing"}, want: wantErr{inv, "FIELD_INVALID", "owner"}},
		{name: "owner 129 characters", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: rep("o", 129)}, want: wantErr{inv, "FIELD_TOO_LONG", "owner"}, limit: "128"},
		{name: "due_before before 1970", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", DueBefore: pre1970}, want: wantErr{inv, "TIME_INVALID", "due_before"}},
		{name: "forged page token", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageToken: "eyJhZnRlciI6IngifQ"}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "tampered page token", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1, PageToken: tamper(f.lpToken)}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "page token for another owner", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1, Owner: "team-billing", PageToken: f.lpToken}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "ListInteractions page token", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: jan, PageToken: f.liToken}, want: wantErr{inv, "PAGE_TOKEN_INVALID", "page_token"}},
		{name: "unknown customer", method: mListPromises, req: &herkenv1.ListPromisesRequest{Parent: unknownCustomer}, want: wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{name: "invalid UTF-8 in owner", method: mListPromises, raw: badUTF8(&herkenv1.ListPromisesRequest{Parent: "customers/-", Owner: badPlaceholder}), want: wantErr{inv, "INVALID_ARGUMENT", "owner"}},

		// ---- MaintenanceService/GetMaintenanceStatus (no fields to get wrong) ----
		{name: "not protobuf", method: mMaintenance, raw: garbage, want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "truncated field", method: mMaintenance, raw: protowire.AppendTag(nil, 1, protowire.BytesType), want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "group end without start", method: mMaintenance, raw: protowire.AppendTag(nil, 5, protowire.EndGroupType), want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "the codec's own marker, sent by a client", method: mMaintenance, raw: protowire.AppendString(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), "herken.v1/undecodable:"), want: wantErr{inv, "INVALID_ARGUMENT", ""}},
		{name: "2 MiB request", method: mMaintenance, raw: huge, want: wantErr{code: codes.ResourceExhausted}, grpcOwn: true},
	}
}
