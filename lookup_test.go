package herken_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

const day = 24 * time.Hour

// TestLookupFound: what an agent sees of a recognised caller — recent
// history newest first, the contact summary, open promises overdue first.
func TestLookupFound(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan de Vries", e.phone("06-12345678"), e.email("jan@example.nl"))
	e.customer("Kees", e.phone("06-22222222")) // someone else's history stays out
	e.contact(jan.ID, 40*day, herken.ChannelPhone, herken.OutcomeResolved, "40d")
	e.contact(jan.ID, 20*day, herken.ChannelEmail, herken.OutcomeFollowUp, "20d")
	e.contact(jan.ID, 10*day, herken.ChannelChat, herken.OutcomeEscalated, "10d")
	e.contact(jan.ID, 5*day, herken.ChannelPhone, herken.OutcomeResolved, "5d")
	e.contact(jan.ID, 2*day, herken.ChannelPhone, herken.OutcomeFollowUp, "2d")
	// Recorded last but occurred earlier: order is by when contacts happened.
	e.contact(jan.ID, 1*day, herken.ChannelWhatsApp, herken.OutcomeFollowUp, "1d")
	e.contact(jan.ID, 3*day, herken.ChannelSMS, herken.OutcomeTransferred, "3d")

	later := e.promise(jan.ID, herken.PromiseDelivery, e.now.Add(2*time.Hour), "")
	late := e.promise(jan.ID, herken.PromiseRefund, e.now.Add(-time.Hour), "")
	kept := e.promise(jan.ID, herken.PromiseCallback, e.now.Add(-2*time.Hour), "")
	if _, err := e.svc.KeepPromise(bg, jan.ID, kept.ID, "agent-1", "", herken.Write{}); err != nil {
		t.Fatal(err)
	}

	res, err := e.svc.Lookup(bg, e.phone("+31 6 12345678"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != herken.MatchFound || res.Customer == nil || res.Customer.Customer.ID != jan.ID || res.Candidates != nil {
		t.Fatalf("outcome %v, customer %+v", res.Outcome, res.Customer)
	}
	r := res.Customer
	if got := summaries(r.Recent); got != "[1d 2d 3d]" {
		t.Fatalf("recent %s, want the newest three, newest first", got)
	}
	if !r.AsOf.Equal(e.now) {
		t.Fatalf("as of %v", r.AsOf)
	}
	sum := r.Summary
	if sum.LastContact == nil || sum.LastContact.Summary != "1d" {
		t.Fatalf("last contact %+v", sum.LastContact)
	}
	// 1d, 2d, 3d, 5d, 10d, 20d: within 30 days; 40d is not.
	if sum.ContactsLast30Days != 6 {
		t.Fatalf("contacts in 30 days %d, want 6", sum.ContactsLast30Days)
	}
	// FOLLOW_UP/ESCALATED since the newest RESOLVED (5d): 1d and 2d. The
	// 3-item history limit does not change the count.
	if sum.OpenFollowUps != 2 {
		t.Fatalf("open follow-ups %d, want 2", sum.OpenFollowUps)
	}
	if sum.OpenPromises != 2 || sum.OverduePromises != 1 {
		t.Fatalf("promises %d open, %d overdue; want 2 and 1", sum.OpenPromises, sum.OverduePromises)
	}
	if len(r.OpenPromises) != 2 || r.OpenPromises[0].ID != late.ID || r.OpenPromises[1].ID != later.ID {
		t.Fatalf("open promises %+v, want the overdue one first", r.OpenPromises)
	}
	if late, by := r.OpenPromises[0].Overdue(r.AsOf); !late || by != time.Hour {
		t.Fatalf("overdue %v by %v", late, by)
	}
	// The identifier Match was asked for is the canonical one.
	if got := e.store.matched[len(e.store.matched)-1]; len(got) != 1 || got[0].Value != "+31612345678" {
		t.Fatalf("matched %v", got)
	}
}

// TestLookupContactWindow: the 30-day count includes a contact exactly 30
// days old and excludes system events; a system event is never the last
// contact.
func TestLookupContactWindow(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	e.contact(jan.ID, 30*day, herken.ChannelPhone, herken.OutcomeResolved, "30d")
	e.contact(jan.ID, 30*day+time.Nanosecond, herken.ChannelPhone, herken.OutcomeResolved, "older")
	e.contact(jan.ID, time.Hour, herken.ChannelEmail, herken.OutcomeResolved, "1h")
	e.promise(jan.ID, herken.PromiseCallback, e.now.Add(-3*time.Hour), "")
	if n, _, err := e.svc.SweepPromises(bg, time.Hour, 0); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	res, err := e.svc.Lookup(bg, e.phone("0612345678"), 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := res.Customer.Summary
	if res.Customer.Recent[0].Channel != herken.ChannelSystem {
		t.Fatalf("newest is %+v, want the sweeper's event", res.Customer.Recent[0])
	}
	if sum.ContactsLast30Days != 2 || sum.LastContact == nil || sum.LastContact.Summary != "1h" {
		t.Fatalf("contacts %d, last %+v; want 2 and the 1h contact", sum.ContactsLast30Days, sum.LastContact)
	}
}

// TestLookupOpenFollowUps: FOLLOW_UP and ESCALATED contacts count until
// the newest RESOLVED one, among the newest SummaryScanInteraction only,
// whatever history limit the caller asked for; system events don't count.
func TestLookupOpenFollowUps(t *testing.T) {
	const (
		res = herken.OutcomeResolved
		fu  = herken.OutcomeFollowUp
		esc = herken.OutcomeEscalated
		tr  = herken.OutcomeTransferred
	)
	tests := []struct {
		name     string
		outcomes []herken.Outcome // newest first
		want     int
	}{
		{"no history", nil, 0},
		{"one follow-up", []herken.Outcome{fu}, 1},
		{"follow-up and escalation", []herken.Outcome{esc, fu}, 2},
		{"until resolved", []herken.Outcome{fu, esc, res, fu, fu}, 2},
		{"resolved last", []herken.Outcome{res, fu, esc}, 0},
		{"transferred does not count nor stop", []herken.Outcome{tr, fu, tr, esc}, 2},
		{"newest ten only", slices.Repeat([]herken.Outcome{fu}, 12), herken.SummaryScanInteraction},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			number := fmt.Sprintf("06-1234567%d", i)
			c := e.customer("Jan", e.phone(number))
			for j, o := range tc.outcomes {
				e.contact(c.ID, time.Duration(j+1)*time.Hour, herken.ChannelPhone, o, fmt.Sprint(j))
			}
			for _, limit := range []int{1, 10, herken.MaxRecentLimit} {
				r, err := e.svc.Lookup(bg, e.phone(number), limit)
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Customer.Summary.OpenFollowUps; got != tc.want {
					t.Errorf("history limit %d: %d open follow-ups, want %d", limit, got, tc.want)
				}
			}
		})
	}
	// A broken promise's event (FOLLOW_UP on the system channel) is no
	// contact and no follow-up.
	e := newEnv(t)
	c := e.customer("Jan", e.phone("06-12345678"))
	e.contact(c.ID, 2*time.Hour, herken.ChannelPhone, herken.OutcomeResolved, "resolved")
	e.promise(c.ID, herken.PromiseCallback, e.now.Add(-3*time.Hour), "")
	if n, _, err := e.svc.SweepPromises(bg, time.Hour, 0); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	r, err := e.svc.Lookup(bg, e.phone("06-12345678"), 0)
	if err != nil || r.Customer.Summary.OpenFollowUps != 0 {
		t.Fatalf("follow-ups after a system event: %+v %v", r.Customer.Summary, err)
	}
}

// TestLookupNotFound: an unknown or withheld caller is NOT_FOUND, not an
// error; a withheld one is not even looked up.
func TestLookupNotFound(t *testing.T) {
	e := newEnv(t)
	e.customer("Jan", e.phone("06-12345678"))
	res, err := e.svc.Lookup(bg, e.phone("06-87654321"), 0)
	if err != nil || res.Outcome != herken.MatchNotFound || res.Customer != nil || res.Candidates != nil || res.Input.Identifier.Value != "+31687654321" {
		t.Fatalf("unknown: %+v %v", res, err)
	}
	before := len(e.store.matched)
	res, err = e.svc.LookupInput(bg, identity.Input{Kind: identity.KindPhone, Value: "anonymous"}, 0)
	if err != nil || res.Outcome != herken.MatchNotFound || !res.Input.Withheld {
		t.Fatalf("withheld: %+v %v", res, err)
	}
	if len(e.store.matched) != before {
		t.Fatal("a withheld caller was looked up")
	}
}

// TestLookupAmbiguous: a shared identifier lists its holders, most recently
// contacted first, then the newest customer, then by id.
func TestLookupAmbiguous(t *testing.T) {
	e := newEnv(t)
	line := e.phone("020-1234567")
	e1 := e.customer("E", line)
	e2 := e.customer("F", line) // same create time as E: ordered by id
	e.advance(time.Hour)
	d := e.customer("D", line)
	e.advance(time.Hour)
	c := e.customer("C", line)
	a := e.customer("A", line)
	b := e.customer("B", line)
	e.contact(a.ID, 2*day, herken.ChannelPhone, herken.OutcomeResolved, "a")
	e.contact(b.ID, 1*day, herken.ChannelPhone, herken.OutcomeResolved, "b")
	first, second := e1.ID, e2.ID
	if second < first {
		first, second = second, first
	}
	res, err := e.svc.Lookup(bg, e.phone("020 123 4567"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{b.ID, a.ID, c.ID, d.ID, first, second}
	if res.Outcome != herken.MatchAmbiguous || res.Customer != nil || !slices.Equal(customerIDs(res.Candidates), want) {
		t.Fatalf("outcome %v, candidates %v, want %v", res.Outcome, customerIDs(res.Candidates), want)
	}
}

// TestLookupInputFastPath: a plainly written number is looked up by its
// FastPhone candidate first and a hit is the answer; a miss falls back to
// the parser, which decides between NOT_FOUND, a hit on the canonical
// number and PHONE_NUMBER_INVALID.
func TestLookupInputFastPath(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	// Only the fast path can find this entry: the parser calls the number
	// invalid. (The index never holds such a value in production; here it
	// proves which path answered.)
	odd := herken.Customer{ID: herken.NewID(), DisplayName: "Odd", CreateTime: t0, UpdateTime: t0, Revision: 1,
		Identifiers: []herken.LinkedIdentifier{{Identifier: identity.Identifier{Kind: identity.KindPhone, Value: "+316123456789"}, LinkTime: t0}}}
	if _, err := e.store.CreateCustomer(bg, odd, herken.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	phone := func(v string) identity.Input { return identity.Input{Kind: identity.KindPhone, Value: v} }
	query := func(v string) identity.Input { return identity.Input{Query: v} }
	tests := []struct {
		name    string
		in      identity.Input
		outcome herken.MatchOutcome
		found   string // customer id
		reason  string // error reason
		lookups int    // Match calls
	}{
		{"plain number hits", phone("06-12345678"), herken.MatchFound, jan.ID, "", 1},
		{"plain query hits", query("06 12345678"), herken.MatchFound, jan.ID, "", 1},
		{"fast hit skips the parser", phone("06 1234 5678 9"), herken.MatchFound, odd.ID, "", 1},
		{"miss, parser finds the canonical number", phone("+3106 12345678"), herken.MatchFound, jan.ID, "", 2},
		{"miss, parser agrees: not found", phone("06-87654321"), herken.MatchNotFound, "", "", 1},
		{"miss, parser refuses", phone("099 1234 567"), 0, "", herken.ReasonPhoneInvalid, 1},
		{"not plain: parser only", phone("+31 (0)6 12345678"), herken.MatchFound, jan.ID, "", 1},
		{"parser refuses, nothing looked up", phone("12"), 0, "", herken.ReasonPhoneInvalid, 0},
		{"an email takes the parser", identity.Input{Kind: identity.KindEmail, Value: "Iemand.Anders@Example.NL"}, herken.MatchNotFound, "", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.store.matched)
			res, err := e.svc.LookupInput(bg, tc.in, 0)
			if lookups := len(e.store.matched) - before; lookups != tc.lookups {
				t.Errorf("%d lookups, want %d", lookups, tc.lookups)
			}
			if tc.reason != "" {
				wantError(t, err, tc.reason, "phone_number")
				return
			}
			if err != nil || res.Outcome != tc.outcome {
				t.Fatalf("outcome %v, %v; want %v", res.Outcome, err, tc.outcome)
			}
			if tc.found != "" && res.Customer.Customer.ID != tc.found {
				t.Fatalf("found %s, want %s", res.Customer.Customer.ID, tc.found)
			}
		})
	}
	// The answer carries what the parser makes of the input (an extension
	// included), also when the fast path found the customer.
	res, err := e.svc.LookupInput(bg, phone("+31 (0)6 12345678 x12"), 0)
	if err != nil || res.Outcome != herken.MatchFound || res.Input.Identifier.Value != "+31612345678" || res.Input.Extension != "12" {
		t.Fatalf("with extension: %+v %v", res.Input, err)
	}
}
