package identity_test

import (
	"strings"
	"testing"

	"github.com/herken/herken/identity"
)

func TestDefaultBlocklist(t *testing.T) {
	n, err := identity.NewNormalizer(identity.NormalizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b := identity.DefaultBlocklist()
	blocked := []identity.Input{
		{Kind: identity.KindPhone, Value: "020 0000000"},
		{Kind: identity.KindEmail, Value: "test@test.com"},
		{Kind: identity.KindEmail, Value: "noreply@bol.com"},
		{Kind: identity.KindEmail, Value: "No-Reply@example.nl"},
		{Kind: identity.KindEmail, Value: "geen@email.nl"},
		{Kind: identity.KindEmail, Value: "jan@geen.nl"},
		{Kind: identity.KindExternalID, Value: "unknown"},
		{Kind: identity.KindExternalID, Value: "N/A"},
		{Kind: identity.KindExternalID, Value: "0000"},
		{Kind: identity.KindSocial, Platform: identity.PlatformX, Value: "anonymous"},
	}
	fine := []identity.Input{
		{Kind: identity.KindPhone, Value: "+31612345678"},
		{Kind: identity.KindPhone, Value: "020 555 0000"},
		{Kind: identity.KindPhone, Value: "06-11111111"},
		{Kind: identity.KindPhone, Value: "+31610000000"},
		{Kind: identity.KindPhone, Value: "+32470000000"},
		{Kind: identity.KindEmail, Value: "jan@example.nl"},
		{Kind: identity.KindEmail, Value: "testa@bedrijf.nl"},
		{Kind: identity.KindExternalID, Value: "K-100234"},
		{Kind: identity.KindSocial, Platform: identity.PlatformX, Value: "jandevries"},
	}
	for want, ins := range map[bool][]identity.Input{true: blocked, false: fine} {
		for _, in := range ins {
			got, err := n.Normalize(in)
			if err != nil {
				t.Fatalf("%+v: %v", in, err)
			}
			if b.Blocked(got.Identifier) != want {
				t.Errorf("%q blocked = %v, want %v", got.Identifier.Value, !want, want)
			}
		}
	}
}

func TestParseBlocklist(t *testing.T) {
	b, err := identity.ParseBlocklist(strings.NewReader("# ours\n\nexternal_id K-0+\nemail info@herken\\.nl\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 {
		t.Fatalf("Len = %d", b.Len())
	}
	if !b.Blocked(identity.Identifier{Kind: identity.KindExternalID, Value: "k-000"}) {
		t.Error("K-000 not blocked (rules ignore case)")
	}
	if b.Blocked(identity.Identifier{Kind: identity.KindExternalID, Value: "K-0001"}) {
		t.Error("K-0001 blocked: rules must match the whole value")
	}
	if b.Blocked(identity.Identifier{Kind: identity.KindEmail, Value: "k-000"}) {
		t.Error("a rule applies to its kind only")
	}
	ext := identity.DefaultBlocklist().Extend(b)
	if ext.Len() != identity.DefaultBlocklist().Len()+2 || !ext.Blocked(identity.Identifier{Kind: identity.KindEmail, Value: "info@herken.nl"}) {
		t.Error("Extend lost rules")
	}
	for _, bad := range []string{"phone", "fax \\d+", "email (", "phone\t123"} {
		if _, err := identity.ParseBlocklist(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: err = %v, want an error naming line 1", bad, err)
		}
	}
}
