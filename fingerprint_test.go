package herken

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/herken/herken/identity"
)

// TestFingerprintsFrozen: request fingerprints are remembered with their
// request ids, so a retry made across an upgrade must hash as before. The
// golden values were computed by the code of store format 2 (commit
// 2195d35) for the same requests.
func TestFingerprintsFrozen(t *testing.T) {
	phone := identity.Identifier{Kind: identity.KindPhone, Value: "+31612345678"}
	c := Customer{DisplayName: "Jan de Vries", PreferredLanguage: "nl", Tags: []string{"vip"}, HandoverNote: "n",
		Identifiers: []LinkedIdentifier{{Identifier: phone}, {Identifier: identity.Identifier{Kind: identity.KindSocial, Platform: identity.PlatformX, Value: "x:jan"}}}}
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	in := Interaction{Channel: ChannelPhone, Direction: DirectionInbound, Outcome: OutcomeResolved, OccurTime: at,
		Agent: "a", Summary: "s", CaseReference: "c", Duration: time.Minute}
	np := NewPromise{Kind: PromiseCallback, Description: "d", DueTime: at, Owner: "o", Channel: ChannelPhone,
		InteractionCustomerID: "abc", InteractionID: "def"}
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"customer", customerFingerprint(c), "b92b422b54b74f7ac56426fbc8e8c8805e7588dd58228f493ce7343782da259d"},
		{"interaction by identifier", interactionFingerprint(Target{Identifier: phone}, in), "446340473356574c9aa8d258417e7f6a1d1ba88897edb8b5964349b7a85fd6f3"},
		{"interaction by customer", interactionFingerprint(Target{CustomerID: "abc"}, in), "6c1eba4707dded8385bc4bc6e8048be3cf30fa53220d956db1b5f8b041b44562"},
		{"promise", promiseFingerprint(Target{Identifier: identity.Identifier{Kind: identity.KindEmail, Value: "jan@example.nl"}}, np), "969e7c88036e62db8d2b103057565960b60e5c2b7c1f68802caeb8c6cc37ca0c"},
	} {
		if got := hex.EncodeToString(tc.got); got != tc.want {
			t.Errorf("%s fingerprint = %s, want %s (the format-2 value)", tc.name, got, tc.want)
		}
	}
}
