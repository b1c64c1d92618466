package server_test

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
	"github.com/herken/herken/server/internal/badinput"
)

// Fuzz targets feed arbitrary wire bytes, decoded as a request, to the real
// handlers over bufconn: one per RPC. Every target starts one server on an
// in-memory store seeded with the bad-input fixture (seedBadInput) and
// checks, for every input:
//   - the status is never INTERNAL or UNKNOWN (that is a bug);
//   - every non-OK status carries ErrorInfo with a reason in the herken.v1
//     domain;
//   - INVALID_ARGUMENT carries BadRequest field violations, each naming a
//     field and a reason;
//   - a request that fails writes nothing: the store's digest is the one
//     after the last successful call (the digest is taken after every call
//     that may have written, so each input costs at most one digest);
//   - what an OK response says is consistent with the request.
//
// Customer, interaction and promise ids are random per run, so inputs name
// the fixture's records by placeholders that are replaced before the call
// (badinput.Replacements): "customers/$J/promises/$O" is Jan's OPEN promise
// in every run. The fixture is stateful across inputs (a KeepPromise that
// succeeds closes $O for later inputs); the checks above hold in every
// state.
//
// Seeds: f.Add below, and testdata/fuzz/<target>/. There, bad_* are the
// bad-input table's requests (internal/badinput), written by a generator:
// after changing the table, run
//
//	go generate ./server
//
// (TestFuzzCorpus fails until the committed corpus is what it writes).
// Every other file there is a seed committed by hand (or a failing input
// the fuzzer found), which the generator leaves alone: name such seeds
// without the bad_ prefix.

//go:generate go run ./internal/fuzzcorpus

func fuzzCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// checkFuzzStatus: an error is a status with an ErrorInfo reason in the
// herken.v1 domain, never INTERNAL or UNKNOWN (a bug), and INVALID_ARGUMENT
// names the offending fields in BadRequest field violations.
func checkFuzzStatus(t *testing.T, req proto.Message, err error) codes.Code {
	t.Helper()
	st, info, br := statusDetails(err)
	switch st.Code() {
	case codes.OK:
		return codes.OK
	case codes.Internal, codes.Unknown:
		t.Fatalf("request %v: %s %q", req, st.Code(), st.Message())
	}
	if info.GetReason() == "" || info.GetDomain() != "herken.v1" {
		t.Fatalf("request %v: %s %q without an ErrorInfo reason", req, st.Code(), st.Message())
	}
	if st.Code() == codes.InvalidArgument {
		if len(br.GetFieldViolations()) == 0 {
			t.Fatalf("request %v: INVALID_ARGUMENT %q (%s) without BadRequest field violations", req, st.Message(), info.GetReason())
		}
		for _, fv := range br.GetFieldViolations() {
			if fv.GetField() == "" || fv.GetReason() == "" || fv.GetDescription() == "" {
				t.Fatalf("request %v: incomplete field violation %v", req, fv)
			}
		}
	}
	return st.Code()
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// fuzzHarness is one fuzz target's server and fixture.
type fuzzHarness struct {
	s     *testServer
	names *strings.Replacer
	last  []byte // the store's digest after the last call that may have written
}

func newFuzzHarness(f *testing.F) *fuzzHarness {
	s := newTestServer(f)
	fx := seedBadInput(f, s)
	h := &fuzzHarness{s: s, names: strings.NewReplacer(badinput.Replacements(fx)...)}
	h.last = s.digest(f)
	return h
}

// substitute replaces the placeholders in every string field of m.
func substitute(m protoreflect.Message, r *strings.Replacer) {
	type set struct {
		fd protoreflect.FieldDescriptor
		v  protoreflect.Value
	}
	var sets []set
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if s := l.Get(i).String(); strings.Contains(s, "$") {
						l.Set(i, protoreflect.ValueOfString(r.Replace(s)))
					}
				case protoreflect.MessageKind:
					substitute(l.Get(i).Message(), r)
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); strings.Contains(s, "$") {
				sets = append(sets, set{fd, protoreflect.ValueOfString(r.Replace(s))})
			}
		case fd.Kind() == protoreflect.MessageKind:
			substitute(v.Message(), r)
		}
		return true
	})
	for _, s := range sets {
		m.Set(s.fd, s.v)
	}
}

// run decodes data into req (skipping what does not decode: a client cannot
// send it, and TestBadInput covers the server's answer to such bytes),
// replaces the placeholders, calls and checks the status and the store.
func (h *fuzzHarness) run(t *testing.T, data []byte, req proto.Message, call func(ctx context.Context) error) codes.Code {
	t.Helper()
	if err := proto.Unmarshal(data, req); err != nil {
		t.Skip()
	}
	substitute(req.ProtoReflect(), h.names)
	ctx, cancel := fuzzCtx()
	defer cancel()
	// call checks an OK response and may end this input with t.Fatalf after
	// the request wrote: the digest must move on all the same, or every
	// later failed input is blamed for this one's write.
	checked := false
	defer func() {
		if !checked {
			h.last = h.s.digest(t)
		}
	}()
	code := checkFuzzStatus(t, req, call(ctx))
	after := h.s.digest(t)
	checked = true
	if code != codes.OK && !bytes.Equal(after, h.last) {
		h.last = after
		t.Fatalf("request %v: failed with %s but wrote to the store", req, code)
	}
	h.last = after
	return code
}

// readOnly is run for RPCs that never write: the digest is taken only when
// the call failed (it must equal the seeded store's).
func (h *fuzzHarness) readOnly(t *testing.T, data []byte, req proto.Message, call func(ctx context.Context) error) codes.Code {
	t.Helper()
	if err := proto.Unmarshal(data, req); err != nil {
		t.Skip()
	}
	substitute(req.ProtoReflect(), h.names)
	ctx, cancel := fuzzCtx()
	defer cancel()
	code := checkFuzzStatus(t, req, call(ctx))
	if code == codes.InvalidArgument && !bytes.Equal(h.s.digest(t), h.last) {
		t.Fatalf("request %v: failed with %s but the store changed", req, code)
	}
	return code
}

func addSeeds(f *testing.F, reqs ...proto.Message) {
	for _, r := range reqs {
		f.Add(mustMarshal(r))
	}
}

// ---- RecognitionService ----

func FuzzLookupRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.LookupRequest{Identifier: phone("06-12345678")},
		&herkenv1.LookupRequest{Identifier: phone(landline), InteractionLimit: 3},
		&herkenv1.LookupRequest{Identifier: phone("anonymous")},
		&herkenv1.LookupRequest{Identifier: email("Jan@Example.NL")},
		&herkenv1.LookupRequest{Identifier: social(platformX, "@JanDeVries")},
		&herkenv1.LookupRequest{Identifier: extID("K-100001"), InteractionLimit: 1000},
		&herkenv1.LookupRequest{Identifier: postal("1234 AB", 10, "")},
		&herkenv1.LookupRequest{Identifier: query("https://twitter.com/JanDeVries")},
		&herkenv1.LookupRequest{Identifier: query("1234ab 10")},
		&herkenv1.LookupRequest{Identifier: phone("12"), InteractionLimit: -1},
		&herkenv1.LookupRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.LookupRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Recognition.Lookup(ctx, req)
			if err != nil {
				return err
			}
			switch resp.GetOutcome() {
			case herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND:
				if resp.GetCustomer() == nil || resp.GetCanonicalIdentifier() == nil || resp.GetWithheld() {
					t.Fatalf("request %v: inconsistent FOUND %v", req, resp)
				}
				if n := len(resp.GetCustomer().GetRecentInteractions()); n > 100 {
					t.Fatalf("request %v: %d interactions, more than the cap", req, n)
				}
			case herkenv1.MatchOutcome_MATCH_OUTCOME_AMBIGUOUS:
				if resp.GetCustomer() != nil || len(resp.GetCandidates()) < 2 {
					t.Fatalf("request %v: inconsistent AMBIGUOUS %v", req, resp)
				}
			case herkenv1.MatchOutcome_MATCH_OUTCOME_NOT_FOUND:
				if resp.GetCustomer() != nil || len(resp.GetCandidates()) != 0 || resp.GetWithheld() == (resp.GetCanonicalIdentifier() != nil) {
					t.Fatalf("request %v: inconsistent NOT_FOUND %v", req, resp)
				}
			default:
				t.Fatalf("request %v: outcome %s", req, resp.GetOutcome())
			}
			return nil
		})
	})
}

func FuzzResolveRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{email("anna@example.nl"), phone(landline)}},
		&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl"), phone("anonymous")}, InteractionLimit: 2},
		&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{extID("K-100001"), extID("K-100002")}},
		&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{phone(landline), query("1234 ab 10")}},
		&herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{email("niemand@example.nl")}},
		&herkenv1.ResolveRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ResolveRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Recognition.Resolve(ctx, req)
			if err != nil {
				return err
			}
			if len(resp.GetMatches()) != len(req.GetIdentifiers()) {
				t.Fatalf("request %v: %d matches for %d identifiers", req, len(resp.GetMatches()), len(req.GetIdentifiers()))
			}
			switch o := resp.GetOutcome(); o {
			case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_MATCHED, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_PARTIAL:
				if resp.GetCustomer() == nil {
					t.Fatalf("request %v: %s without a customer", req, o)
				}
			case herkenv1.ResolveOutcome_RESOLVE_OUTCOME_AMBIGUOUS, herkenv1.ResolveOutcome_RESOLVE_OUTCOME_CONFLICT,
				herkenv1.ResolveOutcome_RESOLVE_OUTCOME_NOT_FOUND:
				if resp.GetCustomer() != nil {
					t.Fatalf("request %v: %s with a customer", req, o)
				}
			default:
				t.Fatalf("request %v: outcome %s", req, o)
			}
			return nil
		})
	})
}

// ---- CustomerService ----

func FuzzCreateCustomerRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{DisplayName: "Jan", PreferredLanguage: "NL", Tags: []string{"VIP", "vip"}},
			Identifiers: []*herkenv1.Identifier{phone("06-12345678"), email("jan@example.nl")}},
		&herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{extID("K-100001")}}, // already linked
		&herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{phone("anonymous")}},
		&herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{social(herkenv1.SocialPlatform(99), "jan")}},
		&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{PreferredLanguage: "not a language"}},
		&herkenv1.CreateCustomerRequest{Customer: &herkenv1.Customer{HandoverNote: "let op"}, RequestId: "seed-1"},
		&herkenv1.CreateCustomerRequest{RequestId: "bad id!"},
		&herkenv1.CreateCustomerRequest{Identifiers: []*herkenv1.Identifier{postal("1234AB", 10, "a"), query("x:@jan")}},
		&herkenv1.CreateCustomerRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.CreateCustomerRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.CreateCustomer(ctx, req)
			if err != nil {
				return err
			}
			if !customerNameRE.MatchString(resp.GetCustomer().GetName()) {
				t.Fatalf("request %v: created %q", req, resp.GetCustomer().GetName())
			}
			// What was created can be read back unchanged.
			got, err := h.s.Customers.GetCustomer(ctx, &herkenv1.GetCustomerRequest{Name: resp.GetCustomer().GetName()})
			if err != nil {
				t.Fatalf("GetCustomer of a created customer: %v", err)
			}
			if !proto.Equal(got.GetCustomer(), resp.GetCustomer()) {
				t.Fatalf("created %v, read back %v", resp.GetCustomer(), got.GetCustomer())
			}
			return nil
		})
	})
}

func FuzzGetCustomerRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.GetCustomerRequest{Name: "customers/$J"},
		&herkenv1.GetCustomerRequest{Name: "customers/$A"},
		&herkenv1.GetCustomerRequest{Name: "customers/$M"},
		&herkenv1.GetCustomerRequest{Name: "customers/$E"},
		&herkenv1.GetCustomerRequest{Name: "customers/0000000000000000"},
		&herkenv1.GetCustomerRequest{Name: "customers/-"},
		&herkenv1.GetCustomerRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.GetCustomerRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Customers.GetCustomer(ctx, req)
			// A merged name answers with its survivor and says so.
			if err == nil && (resp.GetMergedName() == "") != (resp.GetCustomer().GetName() == req.GetName()) ||
				resp.GetMergedName() != "" && resp.GetMergedName() != req.GetName() {
				t.Fatalf("request %v: got customer %q, merged_name %q", req, resp.GetCustomer().GetName(), resp.GetMergedName())
			}
			return err
		})
	})
}

// ---- InteractionService ----

func FuzzRecordInteractionRequest(f *testing.F) {
	in := call(fixedNow.Add(-time.Minute), herkenv1.Channel_CHANNEL_PHONE, "vraag over factuur")
	addSeeds(f,
		byParent("customers/$J", in),
		byParent("customers/$A", &herkenv1.Interaction{Channel: herkenv1.Channel_CHANNEL_CHAT, Direction: herkenv1.Direction_DIRECTION_OUTBOUND,
			Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP, CaseReference: "ZAAK-1", Duration: durationpb.New(90 * time.Second)}),
		byIdentifier(phone("+31 6 12345678"), in),
		byIdentifier(phone(landline), in),
		byIdentifier(query("x:@jandevries"), in),
		byIdentifier(phone("anonymous"), in),
		&herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: "customers/$J"}, Interaction: in, RequestId: "retry-1"},
		&herkenv1.RecordInteractionRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.RecordInteractionRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Interactions.RecordInteraction(ctx, req)
			if err != nil {
				return err
			}
			name := resp.GetInteraction().GetName()
			if !interactionNameRE.MatchString(name) || (req.GetParent() != "" && !strings.HasPrefix(name, req.GetParent()+"/")) {
				t.Fatalf("request %v: recorded %q", req, name)
			}
			return nil
		})
	})
}

func FuzzListInteractionsRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ListInteractionsRequest{Parent: "customers/$J"},
		&herkenv1.ListInteractionsRequest{Parent: "customers/$J", PageSize: 2, PageToken: "$T"},
		&herkenv1.ListInteractionsRequest{Parent: "customers/$J", Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_PHONE},
			StartTime: stamp(janFirstContact), EndTime: stamp(fixedNow)},
		&herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true, PageSize: 1},
		&herkenv1.ListInteractionsRequest{Parent: "customers/$A", UnansweredFeedbackOnly: true},
		&herkenv1.ListInteractionsRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ListInteractionsRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Interactions.ListInteractions(ctx, req)
			if err == nil && len(resp.GetInteractions()) > pageCap(req.GetPageSize()) {
				t.Fatalf("request %v: %d interactions on a page", req, len(resp.GetInteractions()))
			}
			return err
		})
	})
}

func FuzzSubmitFeedbackRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.SubmitFeedbackRequest{Name: "customers/$J/interactions/$N", Score: 4, Comment: "snel geholpen"},
		&herkenv1.SubmitFeedbackRequest{Name: "customers/$J/interactions/$S", Score: 1},
		&herkenv1.SubmitFeedbackRequest{Name: "customers/$A/interactions/$L", Score: 5},
		&herkenv1.SubmitFeedbackRequest{Name: "customers/$J/interactions/$N"},
		&herkenv1.SubmitFeedbackRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.SubmitFeedbackRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Interactions.SubmitFeedback(ctx, req)
			if err == nil && (resp.GetInteraction().GetName() != req.GetName() || resp.GetInteraction().GetFeedback().GetScore() != req.GetScore()) {
				t.Fatalf("request %v: got %v", req, resp.GetInteraction())
			}
			return err
		})
	})
}

func FuzzAnswerFeedbackRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.AnswerFeedbackRequest{Name: "customers/$J/interactions/$S", Answer: "teruggebeld", AnsweredBy: "agent-042"},
		&herkenv1.AnswerFeedbackRequest{Name: "customers/$J/interactions/$F", Answer: "nogmaals", AnsweredBy: "agent-042"},
		&herkenv1.AnswerFeedbackRequest{Name: "customers/$J/interactions/$N", Answer: "x", AnsweredBy: "y"},
		&herkenv1.AnswerFeedbackRequest{},
	)
	h := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.AnswerFeedbackRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := h.s.Interactions.AnswerFeedback(ctx, req)
			if err == nil && (resp.GetInteraction().GetName() != req.GetName() || !resp.GetInteraction().GetFeedback().GetAnswered()) {
				t.Fatalf("request %v: got %v", req, resp.GetInteraction())
			}
			return err
		})
	})
}

// ---- PromiseService ----

func FuzzCreatePromiseRequest(f *testing.F) {
	byName := func(parent string, p *herkenv1.Promise) *herkenv1.CreatePromiseRequest {
		return &herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Parent{Parent: parent}, Promise: p}
	}
	addSeeds(f,
		byName("customers/$J", callback(fixedNow.Add(time.Hour), "team-techniek", "terugbellen over modem")),
		byName("customers/$A", &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_VISIT, DueTime: stamp(fixedNow.Add(48 * time.Hour)),
			WindowStartTime: stamp(fixedNow.Add(44 * time.Hour)), Channel: herkenv1.Channel_CHANNEL_STORE, Interaction: "customers/$A/interactions/$L"}),
		&herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone("06-12345678")},
			Promise: &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK}, RequestId: "ivr-1"},
		&herkenv1.CreatePromiseRequest{Customer: &herkenv1.CreatePromiseRequest_Identifier{Identifier: phone(landline)},
			Promise: &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_CALLBACK}},
		byName("customers/$J", &herkenv1.Promise{Kind: herkenv1.PromiseKind_PROMISE_KIND_REFUND, DueTime: stamp(fixedNow.Add(-time.Hour))}),
		&herkenv1.CreatePromiseRequest{},
	)
	h := newFuzzHarness(f)
	pc := promiseClient(h.s)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.CreatePromiseRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := pc.CreatePromise(ctx, req)
			if err != nil {
				return err
			}
			p := resp.GetPromise()
			if !promiseNameRE.MatchString(p.GetName()) || p.GetState() != herkenv1.PromiseState_PROMISE_STATE_OPEN {
				t.Fatalf("request %v: created %v", req, p)
			}
			got, err := pc.GetPromise(ctx, &herkenv1.GetPromiseRequest{Name: p.GetName()})
			if err != nil {
				t.Fatalf("GetPromise of a created promise: %v", err)
			}
			if !proto.Equal(got.GetPromise(), p) {
				t.Fatalf("created %v, read back %v", p, got.GetPromise())
			}
			return nil
		})
	})
}

func FuzzGetPromiseRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.GetPromiseRequest{Name: "customers/$J/promises/$O"},
		&herkenv1.GetPromiseRequest{Name: "customers/$J/promises/$K"},
		&herkenv1.GetPromiseRequest{Name: "customers/$A/promises/$O"},
		&herkenv1.GetPromiseRequest{},
	)
	h := newFuzzHarness(f)
	pc := promiseClient(h.s)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.GetPromiseRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := pc.GetPromise(ctx, req)
			if err == nil && resp.GetPromise().GetName() != req.GetName() {
				t.Fatalf("request %v: got %q", req, resp.GetPromise().GetName())
			}
			return err
		})
	})
}

func FuzzKeepPromiseRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.KeepPromiseRequest{Name: "customers/$J/promises/$O", Actor: "agent-042", Note: "teruggebeld om 14:10"},
		&herkenv1.KeepPromiseRequest{Name: "customers/$J/promises/$K", Actor: "agent-042"},
		&herkenv1.KeepPromiseRequest{Name: "customers/$J/promises/$C", Actor: "agent-042"},
		&herkenv1.KeepPromiseRequest{Name: "customers/$J/promises/$O"},
		&herkenv1.KeepPromiseRequest{},
	)
	h := newFuzzHarness(f)
	pc := promiseClient(h.s)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.KeepPromiseRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := pc.KeepPromise(ctx, req)
			if err == nil && (resp.GetPromise().GetName() != req.GetName() || resp.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_KEPT) {
				t.Fatalf("request %v: got %v", req, resp.GetPromise())
			}
			return err
		})
	})
}

func FuzzCancelPromiseRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.CancelPromiseRequest{Name: "customers/$J/promises/$O", Actor: "agent-042", Note: "klant heeft zelf opgelost"},
		&herkenv1.CancelPromiseRequest{Name: "customers/$J/promises/$C", Actor: "agent-042"},
		&herkenv1.CancelPromiseRequest{Name: "customers/$J/promises/$K", Actor: "agent-042"},
		&herkenv1.CancelPromiseRequest{Name: "customers/$J/promises/$O", Actor: " "},
		&herkenv1.CancelPromiseRequest{},
	)
	h := newFuzzHarness(f)
	pc := promiseClient(h.s)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.CancelPromiseRequest)
		h.run(t, data, req, func(ctx context.Context) error {
			resp, err := pc.CancelPromise(ctx, req)
			if err == nil && (resp.GetPromise().GetName() != req.GetName() || resp.GetPromise().GetState() != herkenv1.PromiseState_PROMISE_STATE_CANCELLED) {
				t.Fatalf("request %v: got %v", req, resp.GetPromise())
			}
			return err
		})
	})
}

func FuzzListPromisesRequest(f *testing.F) {
	addSeeds(f,
		&herkenv1.ListPromisesRequest{Parent: "customers/$J"},
		&herkenv1.ListPromisesRequest{Parent: "customers/-", PageSize: 1, PageToken: "$P"},
		&herkenv1.ListPromisesRequest{Parent: "customers/-", OverdueOnly: true, Owner: "team-techniek", DueBefore: stamp(fixedNow.Add(time.Hour))},
		&herkenv1.ListPromisesRequest{Parent: "customers/$J", State: herkenv1.PromiseState_PROMISE_STATE_KEPT},
		&herkenv1.ListPromisesRequest{},
	)
	h := newFuzzHarness(f)
	pc := promiseClient(h.s)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.ListPromisesRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			resp, err := pc.ListPromises(ctx, req)
			if err != nil {
				return err
			}
			ps := resp.GetPromises()
			if len(ps) > pageCap(req.GetPageSize()) {
				t.Fatalf("request %v: %d promises on a page", req, len(ps))
			}
			for i := 1; i < len(ps); i++ {
				if ps[i].GetDueTime().AsTime().Before(ps[i-1].GetDueTime().AsTime()) {
					t.Fatalf("request %v: promises out of due-time order: %v", req, ps)
				}
			}
			return nil
		})
	})
}

// ---- MaintenanceService ----

func FuzzGetMaintenanceStatusRequest(f *testing.F) {
	addSeeds(f, &herkenv1.GetMaintenanceStatusRequest{})
	f.Add([]byte("\x08\x01\x12\x03abc")) // unknown fields
	h := newFuzzHarness(f)
	mc := herkenv1.NewMaintenanceServiceClient(h.s.Conn)
	f.Fuzz(func(t *testing.T, data []byte) {
		req := new(herkenv1.GetMaintenanceStatusRequest)
		h.readOnly(t, data, req, func(ctx context.Context) error {
			_, err := mc.GetMaintenanceStatus(ctx, req)
			return err
		})
	})
}

// pageCap is the most a page may hold for a requested page size.
func pageCap(size int32) int {
	switch {
	case size <= 0:
		return 50
	case size > 500:
		return 500
	}
	return int(size)
}

// ---- the committed corpus ----

// TestFuzzCorpus: the bad_* seeds under testdata/fuzz are what the
// generator writes from the bad-input table (go generate ./server), no
// more and no less.
func TestFuzzCorpus(t *testing.T) {
	// Every RPC has its fuzz target (in fuzz*_test.go), where the generator
	// puts its seeds.
	files, err := filepath.Glob("fuzz*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, path := range files {
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				declared[fn.Name.Name] = true
			}
		}
	}
	for _, m := range herkenMethods(t) {
		if target := badinput.FuzzTarget(m); !declared[target] {
			t.Errorf("no fuzz target %s for %s", target, m)
		}
	}

	want := badinput.Corpus()
	if len(want) < 100 {
		t.Errorf("the corpus has %d bad-input seeds, want at least 100", len(want))
	}
	dir := filepath.Join("testdata", "fuzz")
	for rel, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s is missing or stale (%v): run go generate ./server", rel, err)
		}
	}
	have, err := filepath.Glob(filepath.Join(dir, "*", "bad_*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range have {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := want[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s is no bad-input row any more: run go generate ./server", rel)
		}
	}
}
