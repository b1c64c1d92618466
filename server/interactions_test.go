package server_test

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

func TestRecordInteraction(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	occur := fixedNow.Add(-5 * time.Minute)

	tests := []struct {
		name     string
		req      *herkenv1.RecordInteractionRequest
		customer string
		wantID   *herkenv1.CanonicalIdentifier // stored identifier; nil when recorded by name
	}{
		{"by parent", byParent(f.jan.GetName(), call(occur, herkenv1.Channel_CHANNEL_PHONE, "adreswijziging")), f.jan.GetName(), nil},
		{"by phone", byIdentifier(phone("+31 (0)6 1234 5678"), call(occur, herkenv1.Channel_CHANNEL_PHONE, "")), f.jan.GetName(), canon(kindPhone, "+31612345678")},
		{"by email", byIdentifier(email("ANNA@example.nl"), call(occur, herkenv1.Channel_CHANNEL_EMAIL, "")), f.anna.GetName(), canon(kindEmail, "anna@example.nl")},
		{"by social URL", byIdentifier(query("https://x.com/JanDeVries"), call(occur, herkenv1.Channel_CHANNEL_SOCIAL, "")), f.jan.GetName(), canonSocial(platformX, "x:jandevries")},
		{"by external id", byIdentifier(extID("K-100002"), call(occur, herkenv1.Channel_CHANNEL_WEB, "")), f.anna.GetName(), canon(kindExtID, "K-100002")},
		{"by postal address", byIdentifier(postal("1234AB", 10, ""), call(occur, herkenv1.Channel_CHANNEL_LETTER, "")), f.jan.GetName(), canon(kindPostal, "1234AB 10")},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each one newer than the last, so it heads the history.
			occur := occur.Add(time.Duration(i) * time.Second)
			in := proto.Clone(tc.req.GetInteraction()).(*herkenv1.Interaction)
			in.OccurTime = stamp(occur)
			in.CaseReference = "ZAAK-2026-0042"
			in.Duration = durationpb.New(3*time.Minute + 20*time.Second)
			in.Agent = "  agent-042  "
			in.Direction = herkenv1.Direction_DIRECTION_OUTBOUND
			in.Outcome = herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP
			// Output-only fields are ignored.
			in.Name = "customers/0000000000000000/interactions/000000000000000000000000"
			in.Identifier = canon(kindEmail, "spoof@example.nl")
			in.CreateTime = stamp(time.Unix(0, 0))
			req := proto.Clone(tc.req).(*herkenv1.RecordInteractionRequest)
			req.Interaction = in

			got := record(t, s, req)
			if !interactionNameRE.MatchString(got.GetName()) || !strings.HasPrefix(got.GetName(), tc.customer+"/interactions/") {
				t.Errorf("name = %q, want %s/interactions/{id}", got.GetName(), tc.customer)
			}
			want := &herkenv1.Interaction{
				Name:          got.GetName(),
				Channel:       in.GetChannel(),
				Direction:     herkenv1.Direction_DIRECTION_OUTBOUND,
				OccurTime:     stamp(occur),
				Agent:         "agent-042",
				Summary:       in.GetSummary(),
				Outcome:       herkenv1.InteractionOutcome_INTERACTION_OUTCOME_FOLLOW_UP,
				CaseReference: "ZAAK-2026-0042",
				Identifier:    tc.wantID,
				CreateTime:    stamp(fixedNow),
				Duration:      durationpb.New(3*time.Minute + 20*time.Second),
			}
			checkProto(t, "recorded interaction", want, got)

			// It is the newest interaction in the customer's history.
			resp, err := s.Recognition.Resolve(ctxT(t), &herkenv1.ResolveRequest{Identifiers: []*herkenv1.Identifier{extIDOf(t, s, tc.customer)}, InteractionLimit: 1})
			if err != nil {
				t.Fatal(err)
			}
			checkProtos(t, "recent interactions", []*herkenv1.Interaction{want}, resp.GetCustomer().GetRecentInteractions())
		})
	}
}

// extIDOf returns the external id identifier of a customer.
func extIDOf(t *testing.T, s *testServer, name string) *herkenv1.Identifier {
	t.Helper()
	resp, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range resp.GetCustomer().GetIdentifiers() {
		if l.GetIdentifier().GetKind() == kindExtID {
			return extID(l.GetIdentifier().GetValue())
		}
	}
	t.Fatalf("%s has no external id", name)
	return nil
}

func TestRecordInteractionDefaults(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	got := record(t, s, &herkenv1.RecordInteractionRequest{
		Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: f.jan.GetName()},
		Interaction: &herkenv1.Interaction{
			Channel:   herkenv1.Channel_CHANNEL_CHAT,
			Direction: herkenv1.Direction_DIRECTION_INBOUND,
			Outcome:   herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED,
		},
	})
	if !got.GetOccurTime().AsTime().Equal(fixedNow) {
		t.Errorf("occur_time = %v, want the server's time %v", got.GetOccurTime().AsTime(), fixedNow)
	}
	if got.Duration != nil || got.Identifier != nil {
		t.Errorf("duration or identifier set: %v", got)
	}
	// Limits are inclusive.
	record(t, s, byParent(f.jan.GetName(), &herkenv1.Interaction{
		Channel: herkenv1.Channel_CHANNEL_LETTER, Direction: herkenv1.Direction_DIRECTION_OUTBOUND, Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_TRANSFERRED,
		OccurTime: stamp(fixedNow.Add(5 * time.Minute)), Summary: strings.Repeat("ü", 4000), Agent: strings.Repeat("a", 128),
		CaseReference: strings.Repeat("c", 128), Duration: durationpb.New(24 * time.Hour),
	}))
}

// TestRecordInteractionLastContact: recording moves the customer's last
// contact forward but does not change the etag or update_time.
func TestRecordInteractionLastContact(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	get := func() *herkenv1.Customer {
		t.Helper()
		resp, err := s.Customers.GetCustomer(ctxT(t), &herkenv1.GetCustomerRequest{Name: f.jan.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetCustomer()
	}
	before := get()
	if !before.GetLastContactTime().AsTime().Equal(janLast()) || before.GetLastContactChannel() != herkenv1.Channel_CHANNEL_SMS {
		t.Fatalf("seeded last contact = %v %s, want %v SMS", before.GetLastContactTime().AsTime(), before.GetLastContactChannel(), janLast())
	}

	newer := fixedNow.Add(-2 * time.Minute)
	record(t, s, byIdentifier(phone("06-12345678"), call(newer, herkenv1.Channel_CHANNEL_WHATSAPP, "")))
	after := get()
	if !after.GetLastContactTime().AsTime().Equal(newer) || after.GetLastContactChannel() != herkenv1.Channel_CHANNEL_WHATSAPP {
		t.Errorf("last contact = %v %s, want %v WHATSAPP", after.GetLastContactTime().AsTime(), after.GetLastContactChannel(), newer)
	}
	if after.GetEtag() != before.GetEtag() || !proto.Equal(after.GetUpdateTime(), before.GetUpdateTime()) {
		t.Errorf("etag/update_time changed by recording: %q %v → %q %v", before.GetEtag(), before.GetUpdateTime(), after.GetEtag(), after.GetUpdateTime())
	}

	// An older, back-filled interaction does not move it back.
	record(t, s, byParent(f.jan.GetName(), call(janFirstContact.Add(-time.Hour), herkenv1.Channel_CHANNEL_STORE, "")))
	if got := get(); !got.GetLastContactTime().AsTime().Equal(newer) || got.GetLastContactChannel() != herkenv1.Channel_CHANNEL_WHATSAPP {
		t.Errorf("back-filled interaction moved last contact to %v %s", got.GetLastContactTime().AsTime(), got.GetLastContactChannel())
	}
}

func TestRecordInteractionInvalid(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	jan := f.jan.GetName()
	valid := func(mut func(in *herkenv1.Interaction)) *herkenv1.Interaction {
		in := call(fixedNow.Add(-time.Minute), herkenv1.Channel_CHANNEL_PHONE, "")
		mut(in)
		return in
	}
	tests := []struct {
		name string
		req  *herkenv1.RecordInteractionRequest
		want wantErr
	}{
		{"channel unspecified", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Channel = 0 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{"direction unspecified", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Direction = 0 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{"outcome unspecified", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Outcome = 0 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{"channel 99", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Channel = 99 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{"channel 256", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Channel = 256 + herkenv1.Channel_CHANNEL_PHONE })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{"channel negative", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Channel = -1 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.channel"}},
		{"direction 99", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Direction = 99 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.direction"}},
		{"outcome 99", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Outcome = 99 })),
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "interaction.outcome"}},
		{"occur_time an hour ahead", byParent(jan, valid(func(in *herkenv1.Interaction) { in.OccurTime = stamp(fixedNow.Add(time.Hour)) })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"}},
		{"occur_time just over the skew", byParent(jan, valid(func(in *herkenv1.Interaction) { in.OccurTime = stamp(fixedNow.Add(5*time.Minute + time.Nanosecond)) })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"}},
		{"occur_time before 1970", byParent(jan, valid(func(in *herkenv1.Interaction) { in.OccurTime = stamp(time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)) })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"}},
		{"occur_time year 1", byParent(jan, valid(func(in *herkenv1.Interaction) { in.OccurTime = &timestamppb.Timestamp{Seconds: -62135596800} })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"}},
		{"occur_time not a valid timestamp", byParent(jan, valid(func(in *herkenv1.Interaction) { in.OccurTime = &timestamppb.Timestamp{Seconds: 1, Nanos: -1} })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"}},
		{"duration negative", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Duration = durationpb.New(-time.Second) })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.duration"}},
		{"duration over 24h", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Duration = durationpb.New(24*time.Hour + time.Second) })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.duration"}},
		{"duration not valid", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Duration = &durationpb.Duration{Seconds: 1, Nanos: -1} })),
			wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.duration"}},
		{"summary 4001 characters", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Summary = strings.Repeat("s", 4001) })),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "interaction.summary"}},
		{"agent 129 characters", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Agent = strings.Repeat("a", 129) })),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "interaction.agent"}},
		{"agent control character", byParent(jan, valid(func(in *herkenv1.Interaction) { in.Agent = "agent\t42" })),
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "interaction.agent"}},
		{"case_reference 129 characters", byParent(jan, valid(func(in *herkenv1.Interaction) { in.CaseReference = strings.Repeat("c", 129) })),
			wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "interaction.case_reference"}},
		{"interaction missing", &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}},
			wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "interaction"}},
		{"neither parent nor identifier", &herkenv1.RecordInteractionRequest{Interaction: valid(func(*herkenv1.Interaction) {})},
			wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "parent"}},
		{"empty parent", byParent("", valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "parent"}},
		{"malformed parent", byParent("customers/../x", valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"interaction name as parent", byParent(f.janHistory[0].GetName(), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"identifier without value", byIdentifier(&herkenv1.Identifier{}, valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "IDENTIFIER_MISSING", "identifier"}},
		{"invalid phone", byIdentifier(phone("12"), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "PHONE_NUMBER_INVALID", "identifier.phone_number"}},
		{"unrecognised query", byIdentifier(query("hello world"), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "QUERY_UNRECOGNIZED", "identifier.query"}},
		{"withheld phone", byIdentifier(phone("anonymous"), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifier"}},
		{"withheld empty phone", byIdentifier(phone(""), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.InvalidArgument, "IDENTIFIER_WITHHELD", "identifier"}},
		{"request_id invalid", &herkenv1.RecordInteractionRequest{Customer: &herkenv1.RecordInteractionRequest_Parent{Parent: jan}, Interaction: valid(func(*herkenv1.Interaction) {}), RequestId: "é"},
			wantErr{codes.InvalidArgument, "REQUEST_ID_INVALID", "request_id"}},
		// Failing writes.
		{"unknown identifier", byIdentifier(phone("06-87654321"), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.NotFound, "IDENTIFIER_NOT_LINKED", "identifier"}},
		{"shared landline", byIdentifier(phone(landline), valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", "identifier"}},
		{"unknown parent", byParent("customers/0000000000000000", valid(func(*herkenv1.Interaction) {})),
			wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Interactions.RecordInteraction(ctxT(t), proto.Clone(tc.req).(*herkenv1.RecordInteractionRequest))
				checkErr(t, err, tc.want)
			})
		})
	}

	t.Run("ambiguous names the number of candidates", func(t *testing.T) {
		_, err := s.Interactions.RecordInteraction(ctxT(t), byIdentifier(phone(landline), valid(func(*herkenv1.Interaction) {})))
		info := checkErr(t, err, wantErr{codes.FailedPrecondition, "IDENTIFIER_AMBIGUOUS", "identifier"})
		if got := info.GetMetadata()["candidates"]; got != "2" {
			t.Errorf("metadata[candidates] = %q, want 2", got)
		}
	})
}

// TestRecordInteractionEarliestOccurTime: occur_time must be "after
// 1970-01-01T00:00:00Z" (interaction.proto). The epoch itself is refused
// (the store encodes an unset time as 0 ns, so it could not be read back);
// anything after it is stored and read back exactly.
func TestRecordInteractionEarliestOccurTime(t *testing.T) {
	s := newTestServer(t)
	c := createCustomer(t, s, &herkenv1.Customer{}, extID("K-1970"))
	for _, tc := range []struct {
		occur time.Time
		ok    bool
	}{
		{time.Unix(0, 0).UTC(), false},
		{time.Unix(0, 1).UTC(), true},
		{time.Unix(1, 0).UTC(), true},
	} {
		t.Run(tc.occur.Format(time.RFC3339Nano), func(t *testing.T) {
			before := s.digest(t)
			resp, err := s.Interactions.RecordInteraction(ctxT(t), byParent(c.GetName(), call(tc.occur, herkenv1.Channel_CHANNEL_LETTER, "oud archief")))
			if !tc.ok {
				checkErr(t, err, wantErr{codes.InvalidArgument, "TIME_INVALID", "interaction.occur_time"})
				if !bytes.Equal(before, s.digest(t)) {
					t.Errorf("rejected request wrote data")
				}
				return
			}
			if err != nil {
				t.Fatalf("occur_time %v is after the epoch and must be accepted: %v", tc.occur, err)
			}
			look, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: extID("K-1970"), InteractionLimit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range look.GetCustomer().GetRecentInteractions() {
				if in.GetName() == resp.GetInteraction().GetName() {
					if in.GetOccurTime() == nil || !in.GetOccurTime().AsTime().Equal(tc.occur) {
						t.Errorf("accepted occur_time %v reads back as %v", tc.occur, in.GetOccurTime())
					}
					return
				}
			}
			t.Errorf("recorded interaction %s not in history", resp.GetInteraction().GetName())
		})
	}
}

func TestRecordInteractionIdempotent(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	req := byIdentifier(phone("06-12345678"), call(fixedNow.Add(-time.Minute), herkenv1.Channel_CHANNEL_PHONE, "storing gemeld"))
	req.RequestId = "call-2026-11-20-0001"
	first := record(t, s, req)

	t.Run("retry returns the first interaction", func(t *testing.T) {
		s.unchanged(t, func() {
			again := record(t, s, proto.Clone(req).(*herkenv1.RecordInteractionRequest))
			checkProto(t, "retried interaction", first, again)
		})
	})
	t.Run("retry by name is a different request", func(t *testing.T) {
		r := proto.Clone(req).(*herkenv1.RecordInteractionRequest)
		r.Customer = &herkenv1.RecordInteractionRequest_Parent{Parent: f.jan.GetName()}
		s.unchanged(t, func() {
			_, err := s.Interactions.RecordInteraction(ctxT(t), r)
			checkErr(t, err, wantErr{codes.FailedPrecondition, "REQUEST_ID_REUSED", ""})
		})
	})
	t.Run("different summary is REQUEST_ID_REUSED", func(t *testing.T) {
		r := proto.Clone(req).(*herkenv1.RecordInteractionRequest)
		r.Interaction.Summary = "iets anders"
		s.unchanged(t, func() {
			_, err := s.Interactions.RecordInteraction(ctxT(t), r)
			checkErr(t, err, wantErr{codes.FailedPrecondition, "REQUEST_ID_REUSED", ""})
		})
	})
	t.Run("request ids are per RPC kind", func(t *testing.T) {
		// A customer request_id reused for an interaction is a reuse, not a
		// retry: it must not return or corrupt anything.
		s.unchanged(t, func() {
			_, err := s.Customers.CreateCustomer(ctxT(t), &herkenv1.CreateCustomerRequest{
				Customer: &herkenv1.Customer{DisplayName: "Jan"}, RequestId: req.GetRequestId()})
			checkErr(t, err, wantErr{codes.FailedPrecondition, "REQUEST_ID_REUSED", ""})
		})
	})
	t.Run("only one interaction was recorded", func(t *testing.T) {
		resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: extID("K-100001"), InteractionLimit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(resp.GetCustomer().GetRecentInteractions()); got != len(f.janHistory)+1 {
			t.Errorf("%d interactions, want %d", got, len(f.janHistory)+1)
		}
	})
}

// TestRecordInteractionRetryWithoutOccurTime: occur_time is optional and
// defaults to the server's time; a client retrying a request without it,
// a moment later, is still sending the same request.
func TestRecordInteractionRetryWithoutOccurTime(t *testing.T) {
	var tick atomic.Int64
	clock := func() time.Time { return fixedNow.Add(time.Duration(tick.Add(1)) * time.Second) }
	s := newTestServer(t, withClock(clock))
	c := createCustomer(t, s, &herkenv1.Customer{}, phone("06-12345678"))
	req := byParent(c.GetName(), &herkenv1.Interaction{
		Channel: herkenv1.Channel_CHANNEL_PHONE, Direction: herkenv1.Direction_DIRECTION_INBOUND, Outcome: herkenv1.InteractionOutcome_INTERACTION_OUTCOME_RESOLVED,
	})
	req.RequestId = "retry-without-occur-time"
	first := record(t, s, req)
	again, err := s.Interactions.RecordInteraction(ctxT(t), proto.Clone(req).(*herkenv1.RecordInteractionRequest))
	if err != nil {
		t.Fatalf("retry of an identical request failed: %v", err)
	}
	if again.GetInteraction().GetName() != first.GetName() {
		t.Errorf("retry recorded %s, want the first interaction %s", again.GetInteraction().GetName(), first.GetName())
	}
}

// TestRecordInteractionConcurrent appends from many goroutines to one
// customer: every append lands, and last contact is the newest.
func TestRecordInteractionConcurrent(t *testing.T) {
	s := newTestServer(t)
	c := createCustomer(t, s, &herkenv1.Customer{}, extID("K-BUSY"))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Interactions.RecordInteraction(ctxT(t), byIdentifier(extID("K-BUSY"),
				call(fixedNow.Add(-time.Duration(i)*time.Minute), herkenv1.Channel_CHANNEL_CHAT, "")))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent append: %v", err)
		}
	}
	resp, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: extID("K-BUSY"), InteractionLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(resp.GetCustomer().GetRecentInteractions()); got != n {
		t.Errorf("%d interactions, want %d", got, n)
	}
	if lc := resp.GetCustomer().GetCustomer().GetLastContactTime().AsTime(); !lc.Equal(fixedNow) {
		t.Errorf("last contact %v, want %v (%s)", lc, fixedNow, c.GetName())
	}
}
