package herken_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
)

// TestCreatePromise: defaults, validation, and a promise addressed by
// identifier keeping that identifier to keep it on.
func TestCreatePromise(t *testing.T) {
	e := newEnv(t)
	mobile := e.phone("06-12345678")
	jan := e.customer("Jan", mobile)
	cb, err := e.svc.CreatePromise(bg, herken.InteractionTarget{Identifier: &mobile}, herken.NewPromise{Kind: herken.PromiseCallback}, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	if cb.CustomerID != jan.ID || !cb.DueTime.Equal(t0.Add(herken.DefaultCallbackDue)) || cb.Channel != herken.ChannelPhone ||
		cb.State != herken.PromiseOpen || !cb.StateTime.Equal(t0) || cb.ContactIdentifier != mobile.Identifier {
		t.Fatalf("callback %+v", cb)
	}
	if late, _ := cb.Overdue(e.now); late {
		t.Fatal("a new callback is overdue")
	}
	in := e.contact(jan.ID, time.Hour, herken.ChannelPhone, herken.OutcomeFollowUp, "belde over factuur")
	other := e.customer("Kees")
	theirs := e.contact(other.ID, time.Hour, herken.ChannelPhone, herken.OutcomeFollowUp, "ander")
	p, err := e.svc.CreatePromise(bg, herken.InteractionTarget{CustomerID: jan.ID}, herken.NewPromise{
		Kind: herken.PromiseRefund, DueTime: t0.Add(-time.Hour), Owner: "team-billing", InteractionCustomerID: jan.ID, InteractionID: in.ID,
	}, herken.Write{})
	if err != nil || p.InteractionID != in.ID || p.Channel != herken.ChannelUnspecified {
		t.Fatalf("refund: %+v %v", p, err)
	}
	// Due in the past is allowed (recorded late) and reads as overdue.
	if late, by := p.Overdue(e.now); !late || by != time.Hour {
		t.Fatalf("overdue %v by %v", late, by)
	}
	to := herken.InteractionTarget{CustomerID: jan.ID}
	for _, tc := range []struct {
		name   string
		np     herken.NewPromise
		reason string
		field  string
	}{
		{"no kind", herken.NewPromise{DueTime: t0.Add(time.Hour)}, herken.ReasonEnumInvalid, "kind"},
		{"no due time", herken.NewPromise{Kind: herken.PromiseDelivery}, herken.ReasonFieldRequired, "due_time"},
		{"too far ahead", herken.NewPromise{Kind: herken.PromiseDelivery, DueTime: t0.Add(herken.MaxPromiseHorizon + time.Hour)}, herken.ReasonTimeInvalid, "due_time"},
		{"window after due", herken.NewPromise{Kind: herken.PromiseVisit, DueTime: t0.Add(time.Hour), WindowStart: t0.Add(2 * time.Hour)}, herken.ReasonTimeInvalid, "window_start_time"},
		{"system channel", herken.NewPromise{Kind: herken.PromiseCallback, Channel: herken.ChannelSystem}, herken.ReasonEnumInvalid, "channel"},
		{"owner with a slash", herken.NewPromise{Kind: herken.PromiseCallback, Owner: "team/a"}, herken.ReasonFieldInvalid, "owner"},
		{"other customer's interaction", herken.NewPromise{Kind: herken.PromiseCallback, InteractionCustomerID: other.ID, InteractionID: theirs.ID}, herken.ReasonFieldInvalid, "interaction"},
		{"unknown interaction", herken.NewPromise{Kind: herken.PromiseCallback, InteractionCustomerID: jan.ID, InteractionID: theirs.ID}, herken.ReasonInteractionNotFound, "interaction"},
	} {
		_, err := e.svc.CreatePromise(bg, to, tc.np, herken.Write{})
		t.Run(tc.name, func(t *testing.T) { wantError(t, err, tc.reason, tc.field) })
	}
	unknown := e.phone("06-87654321")
	_, err = e.svc.CreatePromise(bg, herken.InteractionTarget{Identifier: &unknown}, herken.NewPromise{Kind: herken.PromiseCallback}, herken.Write{})
	wantError(t, err, herken.ReasonIdentifierNotLinked, "identifier")
}

// TestKeepCancelPromise: only an OPEN promise changes; doing the same again
// is a safe retry; anything else says which state the promise is in.
func TestKeepCancelPromise(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan")
	p := e.promise(jan.ID, herken.PromiseCallback, t0.Add(time.Hour), "")
	q := e.promise(jan.ID, herken.PromiseDelivery, t0.Add(2*time.Hour), "")
	e.advance(10 * time.Minute)
	kept, err := e.svc.KeepPromise(bg, jan.ID, p.ID, "agent-7", " teruggebeld ", herken.Write{})
	if err != nil || kept.State != herken.PromiseKept || kept.StateActor != "agent-7" || kept.StateNote != "teruggebeld" || !kept.StateTime.Equal(e.now) {
		t.Fatalf("keep: %+v %v", kept, err)
	}
	e.advance(time.Minute)
	again, err := e.svc.KeepPromise(bg, jan.ID, p.ID, "agent-8", "", herken.Write{})
	if err != nil || again != kept {
		t.Fatalf("keep again: %+v %v, want the first keep unchanged", again, err)
	}
	_, err = e.svc.CancelPromise(bg, jan.ID, p.ID, "agent-8", "", herken.Write{})
	if de := wantError(t, err, herken.ReasonPromiseNotOpen, ""); de.Metadata["state"] != "KEPT" {
		t.Fatalf("metadata %v", de.Metadata)
	}
	if _, err := e.svc.CancelPromise(bg, jan.ID, q.ID, "agent-8", "klant belde af", herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.svc.CancelPromise(bg, jan.ID, q.ID, "agent-8", "", herken.Write{}); err != nil || c.State != herken.PromiseCancelled {
		t.Fatalf("cancel again: %+v %v", c, err)
	}
	_, err = e.svc.KeepPromise(bg, jan.ID, q.ID, "agent-8", "", herken.Write{})
	if de := wantError(t, err, herken.ReasonPromiseNotOpen, ""); de.Metadata["state"] != "CANCELLED" {
		t.Fatalf("metadata %v", de.Metadata)
	}
	_, err = e.svc.KeepPromise(bg, jan.ID, herken.NewID(), "agent-8", "", herken.Write{})
	wantError(t, err, herken.ReasonPromiseNotFound, "")
	_, err = e.svc.KeepPromise(bg, jan.ID, p.ID, " ", "", herken.Write{})
	wantError(t, err, herken.ReasonFieldRequired, "actor")
}

// TestListPromises: one customer's promises or everyone's OPEN ones, by due
// time; overdue_only is OPEN and past due now.
func TestListPromises(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan")
	kees := e.customer("Kees")
	j1 := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-2*time.Hour), "team-a")
	k1 := e.promise(kees.ID, herken.PromiseCallback, t0.Add(-time.Hour), "team-b")
	j2 := e.promise(jan.ID, herken.PromiseDelivery, t0.Add(time.Hour), "team-a")
	jk := e.promise(jan.ID, herken.PromiseRefund, t0.Add(-3*time.Hour), "team-a")
	if _, err := e.svc.KeepPromise(bg, jan.ID, jk.ID, "agent-1", "", herken.Write{}); err != nil {
		t.Fatal(err)
	}
	ids := func(r herken.ListPromisesRequest) []string {
		t.Helper()
		var out []string
		for {
			page, next, err := e.svc.ListPromises(bg, r)
			if err != nil {
				t.Fatalf("ListPromises %+v: %v", r, err)
			}
			for _, p := range page {
				out = append(out, p.ID)
			}
			if next == "" {
				return out
			}
			r.PageToken = next
		}
	}
	q := func(cid string, state herken.PromiseState, owner string, overdue bool) herken.ListPromisesRequest {
		return herken.ListPromisesRequest{PromiseQuery: herken.PromiseQuery{CustomerID: cid, State: state, Owner: owner, PageSize: 1}, OverdueOnly: overdue}
	}
	tests := []struct {
		name string
		r    herken.ListPromisesRequest
		want []string
	}{
		{"one customer, any state", q(jan.ID, 0, "", false), []string{jk.ID, j1.ID, j2.ID}},
		{"one customer, kept", q(jan.ID, herken.PromiseKept, "", false), []string{jk.ID}},
		{"one customer, overdue", q(jan.ID, 0, "", true), []string{j1.ID}},
		{"everyone's open", q("", 0, "", false), []string{j1.ID, k1.ID, j2.ID}},
		{"everyone's overdue", q("", herken.PromiseOpen, "", true), []string{j1.ID, k1.ID}},
		{"an owner's overdue", q("", 0, "team-a", true), []string{j1.ID}},
	}
	for _, tc := range tests {
		if got := ids(tc.r); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Names come along in cross-customer lists.
	page, _, err := e.svc.ListPromises(bg, q("", 0, "", true))
	if err != nil || page[0].CustomerDisplayName != "Jan" {
		t.Fatalf("display name: %+v %v", page, err)
	}
	for _, tc := range []struct {
		name  string
		r     herken.ListPromisesRequest
		field string
	}{
		{"kept across customers", q("", herken.PromiseKept, "", false), "state"},
		{"overdue and kept", q(jan.ID, herken.PromiseKept, "", true), "state"},
		{"unknown state", q(jan.ID, 99, "", false), "state"},
		{"negative page size", herken.ListPromisesRequest{PromiseQuery: herken.PromiseQuery{PageSize: -1}}, "page_size"},
	} {
		_, _, err := e.svc.ListPromises(bg, tc.r)
		if de, ok := herken.AsError(err); !ok || de.Code != herken.CodeInvalidArgument || de.Field != tc.field {
			t.Errorf("%s: %v, want INVALID_ARGUMENT on %s", tc.name, err, tc.field)
		}
	}
}

// TestSweepPromises: the sweeper breaks OPEN promises more than grace past
// due, records each as a system event in the customer's history (no
// contact: last contact stays), and leaves everything else alone.
func TestSweepPromises(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	e.contact(jan.ID, 5*time.Hour, herken.ChannelPhone, herken.OutcomeResolved, "gebeld")
	long := e.promise(jan.ID, herken.PromiseRefund, t0.Add(-3*time.Hour), "team-billing")
	edge := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-time.Hour), "") // exactly grace past due
	recent := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-30*time.Minute), "")
	future := e.promise(jan.ID, herken.PromiseCallback, t0.Add(time.Hour), "")
	kept := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-4*time.Hour), "")
	if _, err := e.svc.KeepPromise(bg, jan.ID, kept.ID, "agent-1", "", herken.Write{}); err != nil {
		t.Fatal(err)
	}
	before, _ := e.svc.GetCustomer(bg, jan.ID)

	n, more, err := e.svc.SweepPromises(bg, time.Hour, 0)
	if err != nil || n != 1 || more {
		t.Fatalf("sweep: %d %v %v, want 1 broken", n, more, err)
	}
	got, _ := e.svc.GetPromise(bg, jan.ID, long.ID)
	if got.State != herken.PromiseBroken || got.StateActor != herken.SystemActor || !got.StateTime.Equal(t0) || !strings.Contains(got.StateNote, "1h0m0s") {
		t.Fatalf("broken promise %+v", got)
	}
	for _, p := range []herken.Promise{edge, recent, future} {
		if got, _ := e.svc.GetPromise(bg, jan.ID, p.ID); got.State != herken.PromiseOpen {
			t.Errorf("promise due %v: %v, want OPEN", p.DueTime, got.State)
		}
	}
	if got, _ := e.svc.GetPromise(bg, jan.ID, kept.ID); got.State != herken.PromiseKept {
		t.Errorf("kept promise: %v", got.State)
	}
	list, _, err := e.svc.ListInteractions(bg, herken.InteractionQuery{CustomerID: jan.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("history %d %v", len(list), err)
	}
	ev := list[0]
	if ev.Channel != herken.ChannelSystem || ev.PromiseID != long.ID || !ev.OccurTime.Equal(t0) || ev.Agent != herken.SystemActor ||
		!strings.Contains(ev.Summary, "eigenaar: team-billing") {
		t.Fatalf("event %+v", ev)
	}
	after, _ := e.svc.GetCustomer(bg, jan.ID)
	if !after.LastContactTime.Equal(before.LastContactTime) || after.LastContactChannel != before.LastContactChannel {
		t.Fatalf("last contact moved to %v %v", after.LastContactTime, after.LastContactChannel)
	}
	// Nothing more to do until time passes.
	if n, _, err := e.svc.SweepPromises(bg, time.Hour, 0); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	e.advance(time.Minute)
	if n, _, err := e.svc.SweepPromises(bg, time.Hour, 0); err != nil || n != 1 {
		t.Fatalf("a minute later: %d %v, want the edge one", n, err)
	}
}

// TestSweepPromisesLimit: at most limit per call, oldest first, and "more"
// until caught up.
func TestSweepPromisesLimit(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan")
	var want []string
	for i := range 5 {
		want = append(want, e.promise(jan.ID, herken.PromiseCallback, t0.Add(-time.Duration(10-i)*time.Hour), "").ID)
	}
	for i, step := range []struct {
		n    int
		more bool
	}{{2, true}, {2, true}, {1, false}} {
		n, more, err := e.svc.SweepPromises(bg, 0, 2)
		if err != nil || n != step.n || more != step.more {
			t.Fatalf("run %d: %d %v %v, want %d %v", i, n, more, err, step.n, step.more)
		}
		for j, id := range want {
			got, _ := e.svc.GetPromise(bg, jan.ID, id)
			if brokenYet := j < 2*i+step.n; (got.State == herken.PromiseBroken) != brokenYet {
				t.Fatalf("run %d: promise %d is %v", i, j, got.State)
			}
		}
	}
}

// TestSweepPromisesRechecks: the sweeper decides on the promise as the
// store hands it over inside its transaction — one an agent kept since
// the store found it is not broken.
func TestSweepPromisesRechecks(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan")
	late := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-3*time.Hour), "")
	other := e.promise(jan.ID, herken.PromiseCallback, t0.Add(-2*time.Hour), "")
	seen := 0
	e.store.onBreak = func(p herken.Promise) herken.Promise {
		seen++
		if p.ID == late.ID {
			p.State, p.StateActor = herken.PromiseKept, "agent-7" // kept meanwhile
		}
		return p
	}
	n, _, err := e.svc.SweepPromises(bg, time.Hour, 0)
	if err != nil || n != 1 || seen != 2 {
		t.Fatalf("sweep: %d broken of %d seen, %v; want 1 of 2", n, seen, err)
	}
	if got, _ := e.svc.GetPromise(bg, jan.ID, late.ID); got.State == herken.PromiseBroken {
		t.Fatal("a promise kept meanwhile was broken")
	}
	if got, _ := e.svc.GetPromise(bg, jan.ID, other.ID); got.State != herken.PromiseBroken {
		t.Fatalf("the other: %v", got.State)
	}
	list, _, _ := e.svc.ListInteractions(bg, herken.InteractionQuery{CustomerID: jan.ID})
	if len(list) != 1 || list[0].PromiseID != other.ID {
		t.Fatalf("events %+v, want one, for the other promise", list)
	}
}
