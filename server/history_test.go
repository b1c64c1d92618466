package server_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herken/herken"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// historyClock is a clock a test moves by hand: time-dependent behaviour
// without sleeping.
type historyClock struct{ ns atomic.Int64 }

func newHistoryClock(t time.Time) *historyClock {
	c := &historyClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *historyClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *historyClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func listInteractions(t *testing.T, s *testServer, req *herkenv1.ListInteractionsRequest) *herkenv1.ListInteractionsResponse {
	t.Helper()
	resp, err := s.Interactions.ListInteractions(ctxT(t), req)
	if err != nil {
		t.Fatalf("ListInteractions: %v", err)
	}
	return resp
}

// listEvery follows next_page_token to the end.
func listEvery(t *testing.T, s *testServer, req *herkenv1.ListInteractionsRequest) (all []*herkenv1.Interaction, pages int) {
	t.Helper()
	req = proto.Clone(req).(*herkenv1.ListInteractionsRequest)
	for {
		resp := listInteractions(t, s, req)
		pages++
		if n := len(resp.GetInteractions()); req.GetPageSize() > 0 && n > int(req.GetPageSize()) {
			t.Fatalf("page %d: %d interactions, page_size %d", pages, n, req.GetPageSize())
		}
		all = append(all, resp.GetInteractions()...)
		if resp.GetNextPageToken() == "" {
			return all, pages
		}
		if pages > 100 {
			t.Fatal("endless pages")
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

// newestFirst returns the interactions of history (oldest first) that keep
// accepts, newest first.
func newestFirst(history []*herkenv1.Interaction, keep func(*herkenv1.Interaction) bool) []*herkenv1.Interaction {
	var out []*herkenv1.Interaction
	for i := len(history) - 1; i >= 0; i-- {
		if keep == nil || keep(history[i]) {
			out = append(out, history[i])
		}
	}
	return out
}

func submitFeedback(t *testing.T, s *testServer, name string, score int32, comment string) *herkenv1.Interaction {
	t.Helper()
	resp, err := s.Interactions.SubmitFeedback(ctxT(t), &herkenv1.SubmitFeedbackRequest{Name: name, Score: score, Comment: comment})
	if err != nil {
		t.Fatalf("SubmitFeedback: %v", err)
	}
	return resp.GetInteraction()
}

func answerFeedback(t *testing.T, s *testServer, name, answer, by string) *herkenv1.Interaction {
	t.Helper()
	resp, err := s.Interactions.AnswerFeedback(ctxT(t), &herkenv1.AnswerFeedbackRequest{Name: name, Answer: answer, AnsweredBy: by})
	if err != nil {
		t.Fatalf("AnswerFeedback: %v", err)
	}
	return resp.GetInteraction()
}

func TestListInteractions(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	jan := f.jan.GetName()
	onChannels := func(chs ...herkenv1.Channel) func(*herkenv1.Interaction) bool {
		return func(in *herkenv1.Interaction) bool { return slices.Contains(chs, in.GetChannel()) }
	}
	inRange := func(start, end time.Time) func(*herkenv1.Interaction) bool {
		return func(in *herkenv1.Interaction) bool {
			at := in.GetOccurTime().AsTime()
			return !at.Before(start) && at.Before(end)
		}
	}
	hour := func(i int) time.Time { return janFirstContact.Add(time.Duration(i) * time.Hour) }
	tests := []struct {
		name string
		req  *herkenv1.ListInteractionsRequest
		want []*herkenv1.Interaction
	}{
		{"all, newest first", &herkenv1.ListInteractionsRequest{Parent: jan}, newestFirst(f.janHistory, nil)},
		{"page size above the cap is coerced", &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 100000}, newestFirst(f.janHistory, nil)},
		{"other customer", &herkenv1.ListInteractionsRequest{Parent: f.anna.GetName()}, []*herkenv1.Interaction{f.annaLast}},
		{"one channel", &herkenv1.ListInteractionsRequest{Parent: jan, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_EMAIL}},
			newestFirst(f.janHistory, onChannels(herkenv1.Channel_CHANNEL_EMAIL))},
		{"two channels", &herkenv1.ListInteractionsRequest{Parent: jan, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_SMS, herkenv1.Channel_CHANNEL_PHONE}},
			newestFirst(f.janHistory, onChannels(herkenv1.Channel_CHANNEL_SMS, herkenv1.Channel_CHANNEL_PHONE))},
		{"no such channel in history", &herkenv1.ListInteractionsRequest{Parent: jan, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_LETTER}}, nil},
		{"time range [3h, 7h)", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(hour(3)), EndTime: stamp(hour(7))},
			newestFirst(f.janHistory, inRange(hour(3), hour(7)))},
		{"only start", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(hour(10))},
			newestFirst(f.janHistory, inRange(hour(10), fixedNow))},
		{"only end", &herkenv1.ListInteractionsRequest{Parent: jan, EndTime: stamp(hour(2))},
			newestFirst(f.janHistory, inRange(hour(0), hour(2)))},
		{"range and channel", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(hour(1)), EndTime: stamp(hour(9)), Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_WHATSAPP}},
			newestFirst(f.janHistory, func(in *herkenv1.Interaction) bool {
				return inRange(hour(1), hour(9))(in) && onChannels(herkenv1.Channel_CHANNEL_EMAIL, herkenv1.Channel_CHANNEL_WHATSAPP)(in)
			})},
		{"no feedback yet", &herkenv1.ListInteractionsRequest{Parent: jan, UnansweredFeedbackOnly: true}, nil},
		{"no feedback anywhere", &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := listInteractions(t, s, tc.req)
			checkProtos(t, "interactions", tc.want, resp.GetInteractions())
			if resp.GetNextPageToken() != "" {
				t.Errorf("next_page_token %q on the only page", resp.GetNextPageToken())
			}
		})
	}
	if len(tests[3].want) == 0 || len(tests[6].want) != 4 {
		t.Fatal("fixture changed: the filters select nothing")
	}
}

// TestListInteractionsPages: pages of 5 over Jan's 12 interactions return
// each exactly once, in order, in three pages; filters paginate too.
func TestListInteractionsPages(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	all, pages := listEvery(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), PageSize: 5})
	checkProtos(t, "paged history", newestFirst(f.janHistory, nil), all)
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
	seen := map[string]bool{}
	for _, in := range all {
		if seen[in.GetName()] {
			t.Errorf("%s listed twice", in.GetName())
		}
		seen[in.GetName()] = true
	}
	phoneOrSMS := []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE, herkenv1.Channel_CHANNEL_SMS, herkenv1.Channel_CHANNEL_EMAIL}
	all, pages = listEvery(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), PageSize: 2, Channels: phoneOrSMS})
	checkProtos(t, "paged channels", newestFirst(f.janHistory, func(in *herkenv1.Interaction) bool { return slices.Contains(phoneOrSMS, in.GetChannel()) }), all)
	if pages != 3 {
		t.Errorf("%d pages of channels, want 3", pages)
	}
	// The page size may change between pages; the channel order may too.
	first := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), PageSize: 4, Channels: phoneOrSMS})
	slices.Reverse(phoneOrSMS)
	rest := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), PageSize: 10, Channels: phoneOrSMS, PageToken: first.GetNextPageToken()})
	if got := len(first.GetInteractions()) + len(rest.GetInteractions()); got != 6 || rest.GetNextPageToken() != "" {
		t.Errorf("paged with other page size and channel order: %d interactions", got)
	}
}

func TestListInteractionsErrors(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	jan := f.jan.GetName()
	first := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: 2})
	token := first.GetNextPageToken()
	if token == "" {
		t.Fatal("no next page token")
	}
	tamper := []byte(token)
	tamper[len(tamper)/2] ^= 1
	tests := []struct {
		name string
		req  *herkenv1.ListInteractionsRequest
		want wantErr
	}{
		{"no parent", &herkenv1.ListInteractionsRequest{}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "parent"}},
		{"bad parent", &herkenv1.ListInteractionsRequest{Parent: "klanten/123"}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"parent with interaction", &herkenv1.ListInteractionsRequest{Parent: f.janHistory[0].GetName()}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "parent"}},
		{"all customers without feedback filter", &herkenv1.ListInteractionsRequest{Parent: "customers/-"}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "parent"}},
		{"unknown customer", &herkenv1.ListInteractionsRequest{Parent: "customers/0000000000000000"}, wantErr{codes.NotFound, "CUSTOMER_NOT_FOUND", ""}},
		{"negative page size", &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: -1}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "page_size"}},
		{"forged token", &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: "abc"}, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"tampered token", &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: string(tamper)}, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"token with other channels", &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: token, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE}},
			wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"token with a time range", &herkenv1.ListInteractionsRequest{Parent: jan, PageToken: token, EndTime: stamp(fixedNow)},
			wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"token for another customer", &herkenv1.ListInteractionsRequest{Parent: f.anna.GetName(), PageToken: token},
			wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"}},
		{"unknown channel", &herkenv1.ListInteractionsRequest{Parent: jan, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_PHONE, 99}},
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "channels[1]"}},
		{"unspecified channel", &herkenv1.ListInteractionsRequest{Parent: jan, Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_UNSPECIFIED}},
			wantErr{codes.InvalidArgument, "ENUM_VALUE_INVALID", "channels[0]"}},
		{"start after end", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(fixedNow), EndTime: stamp(fixedNow.Add(-time.Hour))},
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "end_time"}},
		{"empty range", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: stamp(fixedNow), EndTime: stamp(fixedNow)},
			wantErr{codes.InvalidArgument, "FIELD_INVALID", "end_time"}},
		{"invalid start", &herkenv1.ListInteractionsRequest{Parent: jan, StartTime: &timestamppb.Timestamp{Nanos: -1}},
			wantErr{codes.InvalidArgument, "TIME_INVALID", "start_time"}},
		{"end before 1970", &herkenv1.ListInteractionsRequest{Parent: jan, EndTime: stamp(time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC))},
			wantErr{codes.InvalidArgument, "TIME_INVALID", "end_time"}},
		{"end after year 9999", &herkenv1.ListInteractionsRequest{Parent: jan, EndTime: &timestamppb.Timestamp{Seconds: 1 << 40}},
			wantErr{codes.InvalidArgument, "TIME_INVALID", "end_time"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Interactions.ListInteractions(ctxT(t), tc.req)
				checkErr(t, err, tc.want)
				if text := allErrorText(err); strings.Contains(text, token) {
					t.Errorf("error echoes the page token: %s", text)
				}
			})
		})
	}
	// A token from the feedback list across customers does not open a
	// customer's history either.
	in := f.janHistory[0]
	submitFeedback(t, s, in.GetName(), 2, "")
	submitFeedback(t, s, f.annaLast.GetName(), 2, "")
	fb := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true, PageSize: 1})
	if fb.GetNextPageToken() == "" {
		t.Fatal("no feedback page token")
	}
	_, err := s.Interactions.ListInteractions(ctxT(t), &herkenv1.ListInteractionsRequest{Parent: jan, UnansweredFeedbackOnly: true, PageToken: fb.GetNextPageToken()})
	checkErr(t, err, wantErr{codes.InvalidArgument, "PAGE_TOKEN_INVALID", "page_token"})
	// Several invalid fields at once are reported together.
	_, err = s.Interactions.ListInteractions(ctxT(t), &herkenv1.ListInteractionsRequest{Parent: jan, PageSize: -5, Channels: []herkenv1.Channel{42}})
	checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_INVALID", "page_size"})
	if _, _, br := statusDetails(err); len(br.GetFieldViolations()) != 2 {
		t.Errorf("field violations: %v, want page_size and channels[0]", br.GetFieldViolations())
	}
}

// TestFeedback: submit, list as unanswered (one customer and across
// customers, oldest first), answer, and see it everywhere the interaction
// shows, with times from the server's clock.
func TestFeedback(t *testing.T) {
	clock := newHistoryClock(fixedNow)
	s := newTestServer(t, withClock(clock.Now))
	f := seed(t, s)
	janCall := f.janHistory[4]
	annaCall := f.annaLast

	got := submitFeedback(t, s, janCall.GetName(), 2, "  Lang gewacht,\nmaar goed geholpen.  ")
	want := proto.Clone(janCall).(*herkenv1.Interaction)
	want.Feedback = &herkenv1.Feedback{Score: 2, Comment: "Lang gewacht,\nmaar goed geholpen.", SubmitTime: stamp(fixedNow)}
	checkProto(t, "after SubmitFeedback", want, got)

	clock.Advance(time.Hour)
	gotAnna := submitFeedback(t, s, annaCall.GetName(), 5, "")
	if gotAnna.GetFeedback().GetScore() != 5 || !gotAnna.GetFeedback().GetSubmitTime().AsTime().Equal(fixedNow.Add(time.Hour)) {
		t.Errorf("Anna's feedback: %v", gotAnna.GetFeedback())
	}

	// Unanswered across customers: oldest submission first.
	all := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true})
	checkProtos(t, "unanswered feedback", []*herkenv1.Interaction{want, gotAnna}, all.GetInteractions())
	one := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), UnansweredFeedbackOnly: true})
	checkProtos(t, "Jan's unanswered feedback", []*herkenv1.Interaction{want}, one.GetInteractions())

	// Submitted once: a second submission changes nothing.
	for _, score := range []int32{2, 4} {
		s.unchanged(t, func() {
			_, err := s.Interactions.SubmitFeedback(ctxT(t), &herkenv1.SubmitFeedbackRequest{Name: janCall.GetName(), Score: score})
			checkErr(t, err, wantErr{codes.FailedPrecondition, "FEEDBACK_ALREADY_SUBMITTED", ""})
		})
	}

	clock.Advance(30 * time.Minute)
	answered := answerFeedback(t, s, janCall.GetName(), " Excuses; we hebben de wachtrij uitgebreid. ", " team-care ")
	want.Feedback.Answered = true
	want.Feedback.Answer = "Excuses; we hebben de wachtrij uitgebreid."
	want.Feedback.AnsweredBy = "team-care"
	want.Feedback.AnswerTime = stamp(fixedNow.Add(90 * time.Minute))
	checkProto(t, "after AnswerFeedback", want, answered)
	s.unchanged(t, func() {
		_, err := s.Interactions.AnswerFeedback(ctxT(t), &herkenv1.AnswerFeedbackRequest{Name: janCall.GetName(), Answer: "nogmaals", AnsweredBy: "agent-7"})
		checkErr(t, err, wantErr{codes.FailedPrecondition, "FEEDBACK_ALREADY_ANSWERED", ""})
	})

	// Answered feedback leaves the unanswered list but stays on the
	// interaction: in the history and in a Lookup.
	all = listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true})
	checkProtos(t, "unanswered after answering", []*herkenv1.Interaction{gotAnna}, all.GetInteractions())
	one = listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), UnansweredFeedbackOnly: true})
	checkProtos(t, "Jan's unanswered after answering", nil, one.GetInteractions())
	hist := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), Channels: []herkenv1.Channel{janCall.GetChannel()}})
	if i := slices.IndexFunc(hist.GetInteractions(), func(in *herkenv1.Interaction) bool { return in.GetName() == janCall.GetName() }); i < 0 {
		t.Fatal("answered interaction missing from history")
	} else {
		checkProto(t, "in history", want, hist.GetInteractions()[i])
	}
	lk, err := s.Recognition.Lookup(ctxT(t), &herkenv1.LookupRequest{Identifier: phone("06-12345678"), InteractionLimit: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range lk.GetCustomer().GetRecentInteractions() {
		if in.GetName() == janCall.GetName() {
			checkProto(t, "in Lookup", want.GetFeedback(), in.GetFeedback())
		} else if in.GetFeedback() != nil {
			t.Errorf("%s has feedback %v", in.GetName(), in.GetFeedback())
		}
	}
}

func TestFeedbackErrors(t *testing.T) {
	s := newTestServer(t)
	f := seed(t, s)
	plain := f.janHistory[0].GetName()
	withFeedback := f.janHistory[1].GetName()
	submitFeedback(t, s, withFeedback, 3, "")
	annaID := strings.TrimPrefix(f.annaLast.GetName(), f.anna.GetName()+"/interactions/")
	// A system event (a promise marked broken) as the sweeper records it.
	sys, err := s.Store.AppendInteraction(ctxT(t), herken.Target{CustomerID: strings.TrimPrefix(f.jan.GetName(), "customers/")}, herken.Interaction{
		ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound, Outcome: herken.OutcomeFollowUp,
		OccurTime: fixedNow.Add(-time.Minute), CreateTime: fixedNow.Add(-time.Minute), Agent: herken.SystemActor,
		Summary: "Belofte niet nagekomen", PromiseID: strings.Repeat("ab", 12),
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sysName := f.jan.GetName() + "/interactions/" + sys.ID

	submits := []struct {
		name string
		req  *herkenv1.SubmitFeedbackRequest
		want wantErr
	}{
		{"score 0", &herkenv1.SubmitFeedbackRequest{Name: plain, Score: 0}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "score"}},
		{"score 6", &herkenv1.SubmitFeedbackRequest{Name: plain, Score: 6}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "score"}},
		{"negative score", &herkenv1.SubmitFeedbackRequest{Name: plain, Score: -3}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "score"}},
		{"comment too long", &herkenv1.SubmitFeedbackRequest{Name: plain, Score: 3, Comment: strings.Repeat("é", 4001)}, wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "comment"}},
		{"comment with a control character", &herkenv1.SubmitFeedbackRequest{Name: plain, Score: 3, Comment: "nul\x00"}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "comment"}},
		{"no name", &herkenv1.SubmitFeedbackRequest{Score: 3}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "name"}},
		{"customer name", &herkenv1.SubmitFeedbackRequest{Name: f.jan.GetName(), Score: 3}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"bad interaction id", &herkenv1.SubmitFeedbackRequest{Name: f.jan.GetName() + "/interactions/XYZ", Score: 3}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"promise name", &herkenv1.SubmitFeedbackRequest{Name: f.jan.GetName() + "/promises/" + annaID, Score: 3}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"trailing slash", &herkenv1.SubmitFeedbackRequest{Name: plain + "/", Score: 3}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"unknown interaction", &herkenv1.SubmitFeedbackRequest{Name: f.jan.GetName() + "/interactions/" + strings.Repeat("0", 24), Score: 3}, wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{"another customer's interaction", &herkenv1.SubmitFeedbackRequest{Name: f.jan.GetName() + "/interactions/" + annaID, Score: 3}, wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{"unknown customer", &herkenv1.SubmitFeedbackRequest{Name: "customers/0000000000000000/interactions/" + annaID, Score: 3}, wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{"already submitted", &herkenv1.SubmitFeedbackRequest{Name: withFeedback, Score: 3}, wantErr{codes.FailedPrecondition, "FEEDBACK_ALREADY_SUBMITTED", ""}},
		{"system event", &herkenv1.SubmitFeedbackRequest{Name: sysName, Score: 3}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "name"}},
	}
	for _, tc := range submits {
		t.Run("submit "+tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Interactions.SubmitFeedback(ctxT(t), tc.req)
				checkErr(t, err, tc.want)
			})
		})
	}
	answers := []struct {
		name string
		req  *herkenv1.AnswerFeedbackRequest
		want wantErr
	}{
		{"no feedback", &herkenv1.AnswerFeedbackRequest{Name: plain, Answer: "a", AnsweredBy: "b"}, wantErr{codes.FailedPrecondition, "FEEDBACK_MISSING", ""}},
		{"no answer", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, AnsweredBy: "b"}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "answer"}},
		{"blank answer", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, Answer: " \n ", AnsweredBy: "b"}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "answer"}},
		{"no answered_by", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, Answer: "a"}, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "answered_by"}},
		{"answer too long", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, Answer: strings.Repeat("a", 4001), AnsweredBy: "b"}, wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "answer"}},
		{"answered_by too long", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, Answer: "a", AnsweredBy: strings.Repeat("b", 129)}, wantErr{codes.InvalidArgument, "FIELD_TOO_LONG", "answered_by"}},
		{"answered_by two lines", &herkenv1.AnswerFeedbackRequest{Name: withFeedback, Answer: "a", AnsweredBy: "team\ncare"}, wantErr{codes.InvalidArgument, "FIELD_INVALID", "answered_by"}},
		{"bad name", &herkenv1.AnswerFeedbackRequest{Name: "customers/-/interactions/" + annaID, Answer: "a", AnsweredBy: "b"}, wantErr{codes.InvalidArgument, "RESOURCE_NAME_INVALID", "name"}},
		{"unknown interaction", &herkenv1.AnswerFeedbackRequest{Name: f.anna.GetName() + "/interactions/" + strings.Repeat("f", 24), Answer: "a", AnsweredBy: "b"}, wantErr{codes.NotFound, "INTERACTION_NOT_FOUND", ""}},
		{"system event", &herkenv1.AnswerFeedbackRequest{Name: sysName, Answer: "a", AnsweredBy: "b"}, wantErr{codes.FailedPrecondition, "FEEDBACK_MISSING", ""}},
	}
	for _, tc := range answers {
		t.Run("answer "+tc.name, func(t *testing.T) {
			s.unchanged(t, func() {
				_, err := s.Interactions.AnswerFeedback(ctxT(t), tc.req)
				checkErr(t, err, tc.want)
			})
		})
	}
	// Both missing: both reported.
	_, err = s.Interactions.AnswerFeedback(ctxT(t), &herkenv1.AnswerFeedbackRequest{Name: withFeedback})
	checkErr(t, err, wantErr{codes.InvalidArgument, "FIELD_REQUIRED", "answer"})
	if _, _, br := statusDetails(err); len(br.GetFieldViolations()) != 2 {
		t.Errorf("field violations: %v, want answer and answered_by", br.GetFieldViolations())
	}
	// The limits are inclusive.
	answerFeedback(t, s, withFeedback, strings.Repeat("ü", 4000), strings.Repeat("b", 128))
	in := submitFeedback(t, s, plain, 1, strings.Repeat("ü", 4000))
	if in.GetFeedback().GetScore() != 1 {
		t.Errorf("feedback %v", in.GetFeedback())
	}
	submitFeedback(t, s, f.annaLast.GetName(), 5, "")

	// The system event lists with the promise it is about.
	resp := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName(), Channels: []herkenv1.Channel{herkenv1.Channel_CHANNEL_SYSTEM}})
	if len(resp.GetInteractions()) != 1 || resp.GetInteractions()[0].GetPromise() != f.jan.GetName()+"/promises/"+strings.Repeat("ab", 12) ||
		resp.GetInteractions()[0].GetName() != sysName {
		t.Errorf("system events: %v", resp.GetInteractions())
	}
}

// TestPurgeHistory: the retention sweep deletes old history only; Lookup,
// the customer's last contact and the rest of the history are unaffected.
func TestPurgeHistory(t *testing.T) {
	clock := newHistoryClock(fixedNow)
	s := newTestServer(t, withClock(clock.Now))
	f := seed(t, s)
	// Feedback on an old interaction leaves the unanswered list with it.
	submitFeedback(t, s, f.janHistory[0].GetName(), 1, "")
	submitFeedback(t, s, f.janHistory[10].GetName(), 4, "")
	janBefore := lookupCustomer(t, s, f.jan.GetName())
	// The server's own service is not exposed; the sweeper's is another
	// Service over the same store and clock, as in cmd/herken.
	svc := herken.NewService(s.Store, mustNormalizer(t), herken.ServiceConfig{Now: clock.Now})
	ctx := ctxT(t)

	if _, _, err := svc.PurgeHistory(ctx, time.Hour, 0); err == nil {
		t.Fatal("retention below the idempotency window accepted")
	}
	// Jan's contacts are 48h..37h old: a 40h retention keeps the four of
	// 40h (exactly at the cutoff) and younger.
	n, more, err := svc.PurgeHistory(ctx, 40*time.Hour, 5)
	if err != nil || n != 5 || !more {
		t.Fatalf("first purge: %d %v %v, want 5 true", n, more, err)
	}
	n, more, err = svc.PurgeHistory(ctx, 40*time.Hour, 0)
	if err != nil || n != 3 || more {
		t.Fatalf("second purge: %d %v %v, want 3 false", n, more, err)
	}
	if n, more, err = svc.PurgeHistory(ctx, 40*time.Hour, 0); err != nil || n != 0 || more {
		t.Fatalf("third purge: %d %v %v, want 0 false", n, more, err)
	}
	kept := f.janHistory[8:]
	kept10 := proto.Clone(kept[2]).(*herkenv1.Interaction)
	kept10.Feedback = &herkenv1.Feedback{Score: 4, SubmitTime: stamp(fixedNow)}
	wantHistory := newestFirst([]*herkenv1.Interaction{kept[0], kept[1], kept10, kept[3]}, nil)
	hist, _ := listEvery(t, s, &herkenv1.ListInteractionsRequest{Parent: f.jan.GetName()})
	checkProtos(t, "history after purge", wantHistory, hist)
	fb := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: "customers/-", UnansweredFeedbackOnly: true})
	checkProtos(t, "unanswered after purge", []*herkenv1.Interaction{kept10}, fb.GetInteractions())

	// Lookup still recognises Jan, with what is left and his last contact.
	lk, err := s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	if err != nil {
		t.Fatal(err)
	}
	if lk.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND {
		t.Fatalf("Lookup after purge: %v", lk.GetOutcome())
	}
	checkProtos(t, "recent after purge", wantHistory, lk.GetCustomer().GetRecentInteractions())
	checkProto(t, "customer after purge", janBefore, lk.GetCustomer().GetCustomer())
	// Anna's one recent contact is untouched.
	anna := listInteractions(t, s, &herkenv1.ListInteractionsRequest{Parent: f.anna.GetName()})
	checkProtos(t, "Anna after purge", []*herkenv1.Interaction{f.annaLast}, anna.GetInteractions())

	// A day later the same retention finds the rest of Jan's history.
	clock.Advance(24 * time.Hour)
	if n, more, err = svc.PurgeHistory(ctx, 40*time.Hour, 0); err != nil || n != 4 || more {
		t.Fatalf("purge a day later: %d %v %v, want 4 false", n, more, err)
	}
	lk, err = s.Recognition.Lookup(ctx, &herkenv1.LookupRequest{Identifier: phone("06-12345678")})
	if err != nil || lk.GetOutcome() != herkenv1.MatchOutcome_MATCH_OUTCOME_FOUND || len(lk.GetCustomer().GetRecentInteractions()) != 0 {
		t.Fatalf("Lookup with no history left: %v %v", lk, err)
	}
	checkProto(t, "customer without history", janBefore, lk.GetCustomer().GetCustomer())
}
