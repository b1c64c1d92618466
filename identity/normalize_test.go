package identity

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func newTestNormalizer(t testing.TB) *Normalizer {
	t.Helper()
	n, err := NewNormalizer(NormalizerConfig{})
	if err != nil {
		t.Fatalf("NewNormalizer: %v", err)
	}
	return n
}

// wantInvalid asserts that err is an INVALID_ARGUMENT *Error with reason and field.
func wantInvalid(t *testing.T, err error, reason, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %s on %s", reason, field)
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	if e.Reason != reason || e.Field != field {
		t.Fatalf("error = {reason %s, field %q, %q}, want {reason %s, field %q}",
			e.Reason, e.Field, e.Message, reason, field)
	}
	if e.Message == "" {
		t.Fatalf("error %s has no message", reason)
	}
}

func TestNewNormalizer(t *testing.T) {
	for _, tc := range []struct {
		region, want string
	}{
		{"", "NL"}, {"NL", "NL"}, {"nl", "NL"}, {" be ", "BE"}, {"DE", "DE"}, {"US", "US"},
	} {
		n, err := NewNormalizer(NormalizerConfig{DefaultRegion: tc.region})
		if err != nil {
			t.Fatalf("NewNormalizer(%q): %v", tc.region, err)
		}
		if n.Region() != tc.want {
			t.Errorf("NewNormalizer(%q).Region() = %q, want %q", tc.region, n.Region(), tc.want)
		}
	}
	for _, region := range []string{"ZZ", "XX", "NLD", "001", "N", "12", "Nederland"} {
		_, err := NewNormalizer(NormalizerConfig{DefaultRegion: region})
		wantInvalid(t, err, ReasonRegionInvalid, "default_region")
	}
}

func TestNormalizeDispatch(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		name string
		in   Input
		want Identifier
	}{
		{"phone", Input{Kind: KindPhone, Value: "06-12345678"}, Identifier{Kind: KindPhone, Value: "+31612345678"}},
		{"email", Input{Kind: KindEmail, Value: "Jan@Example.NL"}, Identifier{Kind: KindEmail, Value: "jan@example.nl"}},
		{"social", Input{Kind: KindSocial, Platform: PlatformX, Value: "@Jan"}, Identifier{Kind: KindSocial, Platform: PlatformX, Value: "x:jan"}},
		{"social url", Input{Kind: KindSocial, Value: "https://t.me/jandevries"}, Identifier{Kind: KindSocial, Platform: PlatformTelegram, Value: "telegram:jandevries"}},
		{"external", Input{Kind: KindExternalID, Value: " K-100234 "}, Identifier{Kind: KindExternalID, Value: "K-100234"}},
		{"postal", Input{Kind: KindPostalAddress, Postal: PostalAddress{Postcode: "1234 ab", HouseNumber: 10, Addition: "a"}}, Identifier{Kind: KindPostalAddress, Value: "1234AB 10 A"}},
		{"query", Input{Query: "x:@jan"}, Identifier{Kind: KindSocial, Platform: PlatformX, Value: "x:jan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := n.Normalize(tc.in)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if got.Identifier != tc.want || got.Withheld {
				t.Fatalf("Normalize = %+v, want %+v", got, tc.want)
			}
		})
	}

	got, err := n.Normalize(Input{Kind: KindPhone})
	if err != nil || !got.Withheld {
		t.Errorf("Normalize(empty phone) = %+v, %v; want withheld", got, err)
	}

	for _, tc := range []struct {
		in     Input
		reason string
		field  string
	}{
		{Input{Kind: KindEmail}, ReasonIdentifierMissing, "email"},
		{Input{Kind: KindSocial, Platform: PlatformX}, ReasonIdentifierMissing, "social_handle.handle"},
		{Input{Kind: KindExternalID, Value: "  "}, ReasonIdentifierMissing, "external_id"},
		{Input{Kind: KindPostalAddress}, ReasonIdentifierMissing, "postal_address.postcode"},
		{Input{}, ReasonIdentifierMissing, "query"},
		{Input{Kind: Kind(42), Value: "x"}, ReasonEnumInvalid, "kind"},
		{Input{Kind: KindSocial, Platform: Platform(200), Value: "jan"}, ReasonSocialPlatformInvalid, "social_handle.platform"},
	} {
		_, err := n.Normalize(tc.in)
		wantInvalid(t, err, tc.reason, tc.field)
	}
}

// Errors name the rule, never the value: the value is personal data.
func TestErrorsContainNoInput(t *testing.T) {
	n := newTestNormalizer(t)
	cases := []Input{
		{Kind: KindPhone, Value: "+31 6 1234 567"},
		{Kind: KindPhone, Value: "06-98765432109876"},
		{Kind: KindPhone, Value: "0612345678 jan.devries"},
		{Kind: KindPhone, Value: strings.Repeat("0612345678", 7)},
		{Kind: KindEmail, Value: "jan.devries@@example.nl"},
		{Kind: KindEmail, Value: "jan.devries@example"},
		{Kind: KindEmail, Value: "\"jan devries\"@example.nl"},
		{Kind: KindSocial, Platform: PlatformX, Value: "jan_de_vries_1985_official"},
		{Kind: KindSocial, Platform: PlatformWhatsApp, Value: "+31 6 1234"},
		{Kind: KindSocial, Platform: PlatformMastodon, Value: "jandevries"},
		{Kind: KindExternalID, Value: "jan de vries 1985"},
		{Kind: KindPostalAddress, Postal: PostalAddress{Postcode: "1234 SA", HouseNumber: 10}},
		{Kind: KindPostalAddress, Postal: PostalAddress{Postcode: "1234 AB", HouseNumber: 10, Addition: "jandevries"}},
		{Query: "jan.devries.1985"},
		{Query: "06-98765"},
		{Query: "jan.devries@example"},
		{Query: "@jandevries"},
	}
	for _, in := range cases {
		_, err := n.Normalize(in)
		if err == nil {
			t.Fatalf("Normalize(%+v) = nil error, want one", in)
		}
		msg := err.Error()
		for _, v := range []string{in.Value, in.Query, in.Postal.Addition, "jan", "devries", "98765", "1234"} {
			if v != "" && strings.Contains(msg, v) {
				t.Errorf("error %q contains input %q", msg, v)
			}
		}
	}
}

func TestErrorsMatchSentinels(t *testing.T) {
	n := newTestNormalizer(t)
	_, err := n.Phone("12")
	var e *Error
	if !errors.As(err, &e) || e.Reason != ReasonPhoneInvalid {
		t.Fatalf("Phone(12) error = %v", err)
	}
}

// checkIdentifier asserts the invariants every normalised identifier holds.
func checkIdentifier(t *testing.T, id Identifier, kind Kind) {
	t.Helper()
	if id.Kind != kind {
		t.Fatalf("kind = %v, want %v", id.Kind, kind)
	}
	if id.Value == "" || !utf8.ValidString(id.Value) {
		t.Fatalf("value %q is empty or not UTF-8", id.Value)
	}
	if (kind == KindSocial) != id.Platform.Valid() {
		t.Fatalf("platform %v with kind %v", id.Platform, kind)
	}
}

// A Normalizer is shared by all request goroutines (run with -race).
func TestNormalizerConcurrentUse(t *testing.T) {
	n := newTestNormalizer(t)
	inputs := []Input{
		{Kind: KindPhone, Value: "06-12345678"}, {Kind: KindPhone, Value: "+44 20 7946 0958"},
		{Kind: KindEmail, Value: "jan@bücher.nl"}, {Kind: KindSocial, Value: "https://x.com/jan"},
		{Query: "1234 ab 10"}, {Query: "+32 470 12 34 56"},
	}
	want := make([]Normalized, len(inputs))
	for i, in := range inputs {
		var err error
		if want[i], err = n.Normalize(in); err != nil {
			t.Fatalf("Normalize(%+v): %v", in, err)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for r := 0; r < 50; r++ {
				for i, in := range inputs {
					if got, err := n.Normalize(in); err != nil || got != want[i] {
						t.Errorf("Normalize(%+v) = %+v, %v; want %+v", in, got, err, want[i])
					}
				}
			}
		})
	}
	wg.Wait()
}
