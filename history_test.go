package herken_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herken/herken"
)

// seedHistory creates a customer with n interactions, one an hour, the
// newest at newest, straight into the store (their summaries are their
// age in hours).
func seedHistory(t *testing.T, e *env, n int, newest time.Time) herken.Customer {
	t.Helper()
	c := e.customer("Jan")
	for i := 0; i < n; i++ {
		in := herken.Interaction{ID: herken.NewID(), Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved,
			OccurTime: newest.Add(-time.Duration(i) * time.Hour), Summary: fmt.Sprint(i)}
		if _, err := e.store.AppendInteraction(bg, herken.Target{CustomerID: c.ID}, in, herken.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// fields returns the field of every *Error in err (one or errors.Join).
func fields(err error) []string {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else if err != nil {
		list = []error{err}
	}
	var out []string
	for _, e := range list {
		if de, ok := herken.AsError(e); ok {
			out = append(out, de.Reason+":"+de.Field)
		}
	}
	return out
}

func TestListInteractionsPageSize(t *testing.T) {
	e := newEnv(t)
	svc, ctx := e.svc, bg
	c := seedHistory(t, e, herken.MaxPageSize+3, e.now)
	for _, tc := range []struct{ size, want int }{
		{0, herken.DefaultPageSize},
		{1, 1},
		{herken.MaxPageSize, herken.MaxPageSize},
		{herken.MaxPageSize + 1, herken.MaxPageSize},
		{1 << 30, herken.MaxPageSize},
	} {
		list, next, err := svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, PageSize: tc.size})
		if err != nil || len(list) != tc.want || next == "" {
			t.Errorf("page size %d: %d listed, next %q, %v; want %d and a next page", tc.size, len(list), next, err, tc.want)
		}
	}
}

func TestListInteractionsValidation(t *testing.T) {
	e := newEnv(t)
	svc, ctx, now := e.svc, bg, e.now
	c := seedHistory(t, e, 3, now)
	tests := []struct {
		name string
		q    herken.InteractionQuery
		want string // reason:field of each error, in order
	}{
		{"negative page size", herken.InteractionQuery{CustomerID: c.ID, PageSize: -1}, "[FIELD_INVALID:page_size]"},
		{"all customers without the feedback filter", herken.InteractionQuery{}, "[FIELD_INVALID:parent]"},
		{"unspecified channel", herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelUnspecified}}, "[ENUM_VALUE_INVALID:channels[0]]"},
		{"first unknown channel only", herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelEmail, 99, 200}}, "[ENUM_VALUE_INVALID:channels[1]]"},
		{"empty range", herken.InteractionQuery{CustomerID: c.ID, Start: now, End: now}, "[FIELD_INVALID:end_time]"},
		{"reversed range", herken.InteractionQuery{CustomerID: c.ID, Start: now, End: now.Add(-time.Nanosecond)}, "[FIELD_INVALID:end_time]"},
		{"everything at once", herken.InteractionQuery{PageSize: -1, Channels: []herken.Channel{99}, Start: now, End: now},
			"[FIELD_INVALID:page_size FIELD_INVALID:parent ENUM_VALUE_INVALID:channels[0] FIELD_INVALID:end_time]"},
	}
	for _, tc := range tests {
		_, _, err := svc.ListInteractions(ctx, tc.q)
		if got := fmt.Sprint(fields(err)); got != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	// Repeated channels are one filter; a system event channel is a valid filter.
	list, _, err := svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID, Channels: []herken.Channel{herken.ChannelPhone, herken.ChannelPhone, herken.ChannelSystem}})
	if err != nil || len(list) != 3 {
		t.Fatalf("repeated channels: %d %v", len(list), err)
	}
	_, _, err = svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: herken.NewID()})
	if !errors.Is(err, herken.ErrCustomerNotFound) {
		t.Fatalf("unknown customer: %v", err)
	}
}

func TestFeedbackRules(t *testing.T) {
	e := newEnv(t)
	svc, ctx := e.svc, bg
	c := seedHistory(t, e, 2, e.now)
	list, _, err := svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	in := list[0]

	for _, score := range []int{0, 6, -1} {
		_, err := svc.SubmitFeedback(ctx, c.ID, in.ID, score, "", herken.Write{})
		if got := fmt.Sprint(fields(err)); got != "[FIELD_INVALID:score]" {
			t.Errorf("score %d: %v", score, err)
		}
	}
	_, err = svc.SubmitFeedback(ctx, c.ID, in.ID, 0, string(make([]rune, 4001)), herken.Write{})
	if got := fmt.Sprint(fields(err)); got != "[FIELD_INVALID:score FIELD_INVALID:comment]" {
		t.Errorf("score and comment: %v", err)
	}
	got, err := svc.SubmitFeedback(ctx, c.ID, in.ID, 5, "  top  ", herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	want := herken.Feedback{Score: 5, Comment: "top", SubmitTime: e.now}
	if *got.Feedback != want || got.Feedback.Answered() {
		t.Fatalf("feedback %+v, want %+v", *got.Feedback, want)
	}
	if _, err := svc.SubmitFeedback(ctx, c.ID, in.ID, 1, "", herken.Write{}); !errors.Is(err, herken.ErrFeedbackSubmitted) {
		t.Fatalf("second submission: %v", err)
	}
	if _, err := svc.AnswerFeedback(ctx, c.ID, list[1].ID, "a", "b", herken.Write{}); !errors.Is(err, herken.ErrFeedbackMissing) {
		t.Fatalf("answer without feedback: %v", err)
	}
	_, err = svc.AnswerFeedback(ctx, c.ID, in.ID, " ", "", herken.Write{})
	if got := fmt.Sprint(fields(err)); got != "[FIELD_REQUIRED:answer FIELD_REQUIRED:answered_by]" {
		t.Errorf("empty answer: %v", err)
	}
	e.advance(2 * time.Hour)
	got, err = svc.AnswerFeedback(ctx, c.ID, in.ID, "gebeld en uitgelegd", "agent-042", herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Feedback.Answered() || !got.Feedback.AnswerTime.Equal(e.now) || !got.Feedback.SubmitTime.Equal(t0) || got.Feedback.AnsweredBy != "agent-042" {
		t.Fatalf("answered %+v", *got.Feedback)
	}
	if _, err := svc.AnswerFeedback(ctx, c.ID, in.ID, "x", "y", herken.Write{}); !errors.Is(err, herken.ErrFeedbackAnswered) {
		t.Fatalf("second answer: %v", err)
	}
	if _, err := svc.SubmitFeedback(ctx, c.ID, herken.NewID(), 3, "", herken.Write{}); !errors.Is(err, herken.ErrInteractionNotFound) {
		t.Fatalf("unknown interaction: %v", err)
	}

	// A system event takes no feedback.
	sys, err := e.store.AppendInteraction(ctx, herken.Target{CustomerID: c.ID}, herken.Interaction{
		ID: herken.NewID(), Channel: herken.ChannelSystem, Direction: herken.DirectionOutbound, Outcome: herken.OutcomeFollowUp, OccurTime: e.now, Summary: "belofte gebroken",
	}, herken.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.SubmitFeedback(ctx, c.ID, sys.ID, 3, "", herken.Write{})
	if got := fmt.Sprint(fields(err)); got != "[FIELD_INVALID:name]" {
		t.Errorf("feedback on a system event: %v", err)
	}
}

func TestPurgeHistoryRules(t *testing.T) {
	e := newEnv(t)
	svc, ctx := e.svc, bg
	c := seedHistory(t, e, 5, e.now) // 0h, 1h, ... 4h old
	for _, tc := range []struct {
		retention time.Duration
		limit     int
		want      string
	}{
		{0, 0, "[FIELD_INVALID:retention]"},
		{-time.Hour, 0, "[FIELD_INVALID:retention]"},
		{23 * time.Hour, 0, "[FIELD_INVALID:retention]"}, // shorter than the idempotency window
		{24 * time.Hour, -1, "[FIELD_INVALID:limit]"},
	} {
		if _, _, err := svc.PurgeHistory(ctx, tc.retention, tc.limit); fmt.Sprint(fields(err)) != tc.want {
			t.Errorf("PurgeHistory(%s, %d): %v, want %s", tc.retention, tc.limit, err, tc.want)
		}
	}
	if n, more, err := svc.PurgeHistory(ctx, 24*time.Hour, 0); n != 0 || more || err != nil {
		t.Fatalf("nothing old enough: %d %v %v", n, more, err)
	}
	// 22 hours later, a 24h retention removes what is now more than 24h
	// old: the ones 3h and 4h older than the newest (the one 2h older is
	// exactly at the cutoff and stays).
	e.advance(22 * time.Hour)
	if n, more, err := svc.PurgeHistory(ctx, 24*time.Hour, 1); n != 1 || !more || err != nil {
		t.Fatalf("purge 1: %d %v %v", n, more, err)
	}
	if n, more, err := svc.PurgeHistory(ctx, 24*time.Hour, 0); n != 1 || more || err != nil {
		t.Fatalf("purge rest: %d %v %v", n, more, err)
	}
	list, _, err := svc.ListInteractions(ctx, herken.InteractionQuery{CustomerID: c.ID})
	if err != nil || len(list) != 3 || list[2].Summary != "2" {
		t.Fatalf("left after purge: %d %v", len(list), err)
	}
}

// TestSweepPromisesArguments: a negative grace (which would break promises
// not yet due) or limit is refused, and nothing is broken.
func TestSweepPromisesArguments(t *testing.T) {
	e := newEnv(t)
	svc := e.svc
	c := seedHistory(t, e, 0, e.now)
	p := e.promise(c.ID, herken.PromiseCallback, e.now.Add(time.Hour), "")
	for _, tc := range []struct {
		grace time.Duration
		limit int
		field string
	}{{-2 * time.Hour, 10, "grace"}, {time.Hour, -1, "limit"}} {
		n, _, err := svc.SweepPromises(bg, tc.grace, tc.limit)
		if got := fields(err); n != 0 || len(got) != 1 || got[0] != herken.ReasonFieldInvalid+":"+tc.field {
			t.Errorf("SweepPromises(%v, %d) = %d, %v; want FIELD_INVALID on %s", tc.grace, tc.limit, n, err, tc.field)
		}
	}
	got, err := e.store.GetPromise(bg, c.ID, p.ID)
	if err != nil || got.State != herken.PromiseOpen {
		t.Fatalf("promise after refused sweeps: %v %v, want OPEN", got.State, err)
	}
	// limit 0 means the default.
	e.advance(3 * time.Hour)
	if n, _, err := svc.SweepPromises(bg, time.Hour, 0); n != 1 || err != nil {
		t.Fatalf("SweepPromises(1h, 0) = %d, %v; want 1 broken", n, err)
	}
}

// TestUnansweredFeedback: the care team's list is every customer's
// unanswered feedback, oldest submission first; an answer takes it off.
func TestUnansweredFeedback(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan")
	kees := e.customer("Kees")
	j := e.contact(jan.ID, 2*time.Hour, herken.ChannelPhone, herken.OutcomeResolved, "jan")
	k := e.contact(kees.ID, time.Hour, herken.ChannelEmail, herken.OutcomeResolved, "kees")
	e.contact(kees.ID, 30*time.Minute, herken.ChannelChat, herken.OutcomeResolved, "no feedback")
	for _, in := range []herken.Interaction{k, j} { // Kees first
		if _, err := e.svc.SubmitFeedback(bg, in.CustomerID, in.ID, 2, "", herken.Write{}); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
	}
	all := herken.InteractionQuery{UnansweredFeedback: true}
	if list, _, err := e.svc.ListInteractions(bg, all); err != nil || summaries(list) != "[kees jan]" {
		t.Fatalf("unanswered %s %v, want [kees jan]", summaries(list), err)
	}
	if _, err := e.svc.AnswerFeedback(bg, kees.ID, k.ID, "excuses", "team-care", herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if list, _, err := e.svc.ListInteractions(bg, all); err != nil || summaries(list) != "[jan]" {
		t.Fatalf("after an answer %s %v, want [jan]", summaries(list), err)
	}
}
