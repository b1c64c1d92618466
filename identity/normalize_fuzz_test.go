package identity

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// The fuzz targets check invariants that hold for any input: no panic; an
// error is an INVALID_ARGUMENT *Error on the right field; a result is
// canonical (non-empty UTF-8, Key with the kind's prefix) and idempotent:
// normalising the canonical value again via the typed path yields the same
// Identifier. Seed corpora live in testdata/fuzz/<FuzzName>/.

func fuzzErr(t *testing.T, err error, fields ...string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	if e.Reason == "" || e.Message == "" {
		t.Fatalf("error %+v is not a complete INVALID_ARGUMENT error", e)
	}
	for _, f := range fields {
		if e.Field == f {
			return
		}
	}
	t.Fatalf("error field %q, want one of %q", e.Field, fields)
}

// renormalize normalises a canonical value again via the typed path.
func renormalize(n *Normalizer, id Identifier) (Identifier, error) {
	switch id.Kind {
	case KindPostalAddress:
		a, ok := parsePostalText(id.Value)
		if !ok {
			return Identifier{}, invalid(ReasonPostalAddressInvalid, fieldPostcode, "canonical value does not parse")
		}
		return n.Postal(a)
	case KindSocial:
		return n.Social(PlatformUnspecified, id.Value)
	}
	nz, err := n.Normalize(Input{Kind: id.Kind, Value: id.Value})
	return nz.Identifier, err
}

func fuzzIdentifier(t *testing.T, n *Normalizer, id Identifier, kind Kind) {
	t.Helper()
	checkIdentifier(t, id, kind)
	again, err := renormalize(n, id)
	if err != nil || again != id {
		t.Fatalf("renormalising %+v = %+v, %v; not idempotent", id, again, err)
	}
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"06-12345678", "+31 (0)6 12345678", "0031612345678", "tel:+31-6-1234-5678;ext=12",
		"０６１２３４５６７８", "+31 20 123 4567 ext. 12", "anonymous", "0000", "+", "-1", "+1 415 555 2671", "0800-FLOWERS",
		"sip:+31612345678@pbx.example.nl;user=phone", "tel:0470123456;phone-context=+32", "06\u200912345678",
		"4915123456789", "12125550100", "31612345678", "435632522", "14020", "6837012", "4970200000000000"} {
		f.Add(s)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Phone(s)
		checkWithoutPlus(t, n, s, got, err)
		if err != nil {
			fuzzErr(t, err, fieldPhone)
			return
		}
		if got.Withheld {
			if !got.Identifier.IsZero() || got.Extension != "" {
				t.Fatalf("withheld result %+v carries a value", got)
			}
			return
		}
		fuzzIdentifier(t, n, got.Identifier, KindPhone)
		v := got.Identifier.Value
		// Not len(v) <= 16: the metadata knows German numbers of 16 digits
		// ("+4970200000000000"), longer than E.164's 15.
		if v[0] != '+' || !allDigits(v[1:]) || len(v) > maxPhoneInput {
			t.Fatalf("Phone(%q) = %q, not E.164", s, v)
		}
		if got.Extension != "" && (!allDigits(got.Extension) || len(got.Extension) > maxExtDigits) {
			t.Fatalf("Phone(%q) extension %q", s, got.Extension)
		}
		if q, err := n.Query(v); err != nil || q.Identifier != got.Identifier {
			t.Fatalf("Query(%q) = %+v, %v", v, q, err)
		}
	})
}

// checkWithoutPlus checks the rule for international numbers without '+'
// on a bare digit string s of 8 to 15 digits that does not start with 0:
// when "+s" is a valid number, s is that number or keeps its meaning as a
// valid number of the default region; and Query agrees with Phone.
func checkWithoutPlus(t *testing.T, n *Normalizer, s string, got Normalized, err error) {
	t.Helper()
	if len(s) < 8 || len(s) > 15 || s[0] == '0' || !allDigits(s) {
		return
	}
	if q, qerr := n.Query(s); (qerr == nil) != (err == nil) || q != got {
		t.Fatalf("Query(%q) = %+v, %v; Phone = %+v, %v", s, q, qerr, got, err)
	}
	intl, ierr := n.Phone("+" + s)
	if ierr != nil {
		return
	}
	if err != nil {
		t.Fatalf("Phone(%q) = %v, but Phone(+%s) = %q", s, err, s, intl.Identifier.Value)
	}
	cc := "+" + strconv.Itoa(phonenumbers.GetCountryCodeForRegion(n.Region()))
	if got.Identifier != intl.Identifier && !strings.HasPrefix(got.Identifier.Value, cc) {
		t.Fatalf("Phone(%q) = %q: neither +%s (%q) nor a number of %s", s, got.Identifier.Value, s, intl.Identifier.Value, n.Region())
	}
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"jan@example.nl", "Jan@Example.NL", "jan@bücher.nl", "mailto:jan@example.nl?subject=x",
		"Jan <jan@example.nl>", "\"jan\"@example.nl", "jan@[127.0.0.1]", "jan..x@example.nl", "jan@xn--bcher-kva.nl"} {
		f.Add(s)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Email(s)
		if err != nil {
			fuzzErr(t, err, fieldEmail)
			return
		}
		fuzzIdentifier(t, n, got, KindEmail)
		if len(got.Value) > maxEmailLen || lowerASCII(got.Value) != got.Value {
			t.Fatalf("Email(%q) = %q: too long or not lower case", s, got.Value)
		}
		for i := 0; i < len(got.Value); i++ {
			if got.Value[i] >= utf8.RuneSelf {
				t.Fatalf("Email(%q) = %q: not ASCII", s, got.Value)
			}
		}
	})
}

func FuzzSocial(f *testing.F) {
	for _, c := range []struct {
		p Platform
		s string
	}{
		{PlatformX, "@Jan"}, {PlatformUnspecified, "x:@jan"}, {PlatformUnspecified, "https://www.instagram.com/jan.devries/"},
		{PlatformUnspecified, "https://www.facebook.com/profile.php?id=100012345678"}, {PlatformWhatsApp, "06-12345678"},
		{PlatformUnspecified, "https://wa.me/31612345678"}, {PlatformMastodon, "@jan@mastodon.social"},
		{PlatformUnspecified, "https://www.linkedin.com/in/jan-de-vries-123/"}, {PlatformUnspecified, "https://mastodon.social/@jan"},
		{PlatformInstagram, "https://x.com/jan"}, {PlatformYouTube, "https://youtube.com/@jan"},
	} {
		f.Add(uint8(c.p), c.s)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, p uint8, s string) {
		platform := Platform(p % uint8(platformEnd+2))
		got, err := n.Social(platform, s)
		if err != nil {
			fuzzErr(t, err, fieldSocialHandle, fieldSocialPlatform)
			return
		}
		fuzzIdentifier(t, n, got, KindSocial)
		if platform != PlatformUnspecified && got.Platform != platform {
			t.Fatalf("Social(%v, %q) = %+v: other platform", platform, s, got)
		}
		if again, err := n.Social(got.Platform, got.Value); err != nil || again != got {
			t.Fatalf("Social(%v, %q) = %+v, %v; not idempotent", got.Platform, got.Value, again, err)
		}
		if q, err := n.Query(got.Value); err != nil || q.Identifier != got {
			t.Fatalf("Query(%q) = %+v, %v", got.Value, q, err)
		}
	})
}

func FuzzExternalID(f *testing.F) {
	for _, s := range []string{"K-100234", " 100234 ", "SF:0015g00000XyZ12", "a b", "urn:crm:x/1#2"} {
		f.Add(s)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.ExternalID(s)
		if err != nil {
			fuzzErr(t, err, fieldExternalID)
			return
		}
		fuzzIdentifier(t, n, got, KindExternalID)
		if q, err := n.Query("crm:" + got.Value); err != nil || q.Identifier != got {
			t.Fatalf("Query(crm:%q) = %+v, %v", got.Value, q, err)
		}
	})
}

func FuzzPostal(f *testing.F) {
	f.Add("1234 AB", 10, "")
	f.Add("1234ab", 10, "-2")
	f.Add("9999ZZ", 99999, "bis")
	f.Add("1234SA", 1, "")
	f.Add("0123AB", 0, "a b")
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, postcode string, number int, addition string) {
		got, err := n.Postal(PostalAddress{Postcode: postcode, HouseNumber: number, Addition: addition})
		if err != nil {
			fuzzErr(t, err, fieldPostcode, fieldHouseNumber, fieldAddition)
			return
		}
		fuzzIdentifier(t, n, got, KindPostalAddress)
		if q, err := n.Query(got.Value); err != nil || q.Identifier != got {
			t.Fatalf("Query(%q) = %+v, %v", got.Value, q, err)
		}
	})
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{"06-12345678", "+31 6 12345678", "0031612345678", "Jan@Example.NL", "x:@jan",
		"https://instagram.com/jan", "1234 ab 10", "anonymous", "@jan", "crm:K-100234", "@jan@mastodon.social",
		"1234 AB, 10-2", "tel:+31612345678;ext=1", "mailto:jan@example.nl", "https://example.com/jan",
		"4915123456789", "1 212 555 0100", "31612345678", "sip:32470123456@pbx.example.nl"} {
		f.Add(s)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := n.Query(s)
		if err != nil {
			fuzzErr(t, err, fieldQuery)
			return
		}
		if got.Withheld {
			if !got.Identifier.IsZero() {
				t.Fatalf("withheld result %+v carries a value", got)
			}
			return
		}
		if !got.Identifier.Kind.Valid() {
			t.Fatalf("Query(%q) = %+v: no kind", s, got)
		}
		fuzzIdentifier(t, n, got.Identifier, got.Identifier.Kind)
	})
}
