package herken_test

import (
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// TestRecordInteractionByIdentifier: a contact addressed by identifier goes
// to its one holder and remembers the identifier; none or several holders
// are errors on the request's "identifier".
func TestRecordInteractionByIdentifier(t *testing.T) {
	e := newEnv(t)
	mobile := e.phone("06-12345678")
	jan := e.customer("Jan", mobile)
	line := e.phone("020-1234567")
	e.customer("Anna", line)
	e.customer("Piet", line)
	call := herken.Interaction{Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved, Summary: " adres gewijzigd "}

	in, err := e.svc.RecordInteraction(bg, herken.InteractionTarget{Identifier: &mobile}, call, herken.Write{})
	if err != nil {
		t.Fatal(err)
	}
	if in.CustomerID != jan.ID || in.Identifier != mobile.Identifier || !in.OccurTime.Equal(t0) || !in.CreateTime.Equal(t0) ||
		in.Summary != "adres gewijzigd" || !herken.ValidID(in.ID) {
		t.Fatalf("recorded %+v", in)
	}
	if got, _ := e.svc.GetCustomer(bg, jan.ID); !got.LastContactTime.Equal(t0) || got.LastContactChannel != herken.ChannelPhone {
		t.Fatalf("last contact %v %v", got.LastContactTime, got.LastContactChannel)
	}

	unknown := e.phone("06-87654321")
	withheld := identity.Normalized{Withheld: true}
	tests := []struct {
		name   string
		target herken.InteractionTarget
		reason string
		field  string
		meta   map[string]string
	}{
		{"nobody holds it", herken.InteractionTarget{Identifier: &unknown}, herken.ReasonIdentifierNotLinked, "identifier", nil},
		{"several hold it", herken.InteractionTarget{Identifier: &line}, herken.ReasonIdentifierAmbiguous, "identifier", map[string]string{"candidates": "2"}},
		{"withheld", herken.InteractionTarget{Identifier: &withheld}, herken.ReasonIdentifierWithheld, "identifier", nil},
		{"unknown customer", herken.InteractionTarget{CustomerID: herken.NewID()}, herken.ReasonCustomerNotFound, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.store.Digest()
			_, err := e.svc.RecordInteraction(bg, tc.target, call, herken.Write{})
			de := wantError(t, err, tc.reason, tc.field)
			for k, v := range tc.meta {
				if de.Metadata[k] != v {
					t.Errorf("metadata %v, want %s=%s", de.Metadata, k, v)
				}
			}
			if after, _ := e.store.Digest(); string(after) != string(before) {
				t.Fatal("a refused interaction wrote something")
			}
		})
	}
}

// TestRecordInteractionRules: validation, back-filled history, and retries.
func TestRecordInteractionRules(t *testing.T) {
	e := newEnv(t)
	jan := e.customer("Jan", e.phone("06-12345678"))
	target := herken.InteractionTarget{CustomerID: jan.ID}
	ok := herken.Interaction{Channel: herken.ChannelChat, Direction: herken.DirectionInbound, Outcome: herken.OutcomeFollowUp}
	for _, tc := range []struct {
		name   string
		edit   func(in *herken.Interaction)
		reason string
		field  string
	}{
		{"system channel", func(in *herken.Interaction) { in.Channel = herken.ChannelSystem }, herken.ReasonEnumInvalid, "channel"},
		{"no direction", func(in *herken.Interaction) { in.Direction = 0 }, herken.ReasonEnumInvalid, "direction"},
		{"no outcome", func(in *herken.Interaction) { in.Outcome = 0 }, herken.ReasonEnumInvalid, "outcome"},
		{"future", func(in *herken.Interaction) { in.OccurTime = t0.Add(herken.MaxFutureSkew + time.Second) }, herken.ReasonTimeInvalid, "occur_time"},
		{"negative duration", func(in *herken.Interaction) { in.Duration = -time.Second }, herken.ReasonTimeInvalid, "duration"},
		{"control character", func(in *herken.Interaction) { in.Agent = "a\x00b" }, herken.ReasonFieldInvalid, "agent"},
	} {
		in := ok
		tc.edit(&in)
		_, err := e.svc.RecordInteraction(bg, target, in, herken.Write{})
		t.Run(tc.name, func(t *testing.T) { wantError(t, err, tc.reason, tc.field) })
	}

	// A back-filled contact is history, not the last contact.
	recent := ok
	recent.OccurTime = t0.Add(-time.Hour)
	if _, err := e.svc.RecordInteraction(bg, target, recent, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	old := ok
	old.Channel, old.OccurTime = herken.ChannelLetter, t0.Add(-48*time.Hour)
	if _, err := e.svc.RecordInteraction(bg, target, old, herken.Write{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.GetCustomer(bg, jan.ID); !got.LastContactTime.Equal(recent.OccurTime) || got.LastContactChannel != herken.ChannelChat || got.Revision != 1 {
		t.Fatalf("customer after back-fill %+v", got)
	}

	// A retry without occur_time, a minute later, is the same request.
	w := herken.Write{RequestID: "pbx-call-9"}
	first, err := e.svc.RecordInteraction(bg, target, ok, w)
	if err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	again, err := e.svc.RecordInteraction(bg, target, ok, w)
	if err != nil || again.ID != first.ID || !again.OccurTime.Equal(first.OccurTime) {
		t.Fatalf("retry %+v %v, want %+v", again, err, first)
	}
	other := ok
	other.Summary = "iets anders"
	_, err = e.svc.RecordInteraction(bg, target, other, w)
	wantError(t, err, herken.ReasonRequestIDReused, "")
	list, _, err := e.svc.ListInteractions(bg, herken.InteractionQuery{CustomerID: jan.ID})
	if err != nil || len(list) != 3 {
		t.Fatalf("history %d %v, want 3", len(list), err)
	}
}
