package identity

import (
	"strings"
	"testing"
)

func TestPostal(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		in   PostalAddress
		want string
	}{
		{PostalAddress{"1234AB", 10, ""}, "1234AB 10"},
		{PostalAddress{"1234 AB", 10, ""}, "1234AB 10"},
		{PostalAddress{"1234ab", 10, ""}, "1234AB 10"},
		{PostalAddress{" 1234  ab ", 10, ""}, "1234AB 10"},
		{PostalAddress{"9999ZZ", 99999, ""}, "9999ZZ 99999"},
		{PostalAddress{"1000AA", 1, ""}, "1000AA 1"},
		{PostalAddress{"1234AB", 10, "A"}, "1234AB 10 A"},
		{PostalAddress{"1234AB", 10, "a"}, "1234AB 10 A"},
		{PostalAddress{"1234AB", 10, "-2"}, "1234AB 10 2"},
		{PostalAddress{"1234AB", 10, " - 2 "}, "1234AB 10 2"},
		{PostalAddress{"1234AB", 10, "/3"}, "1234AB 10 3"},
		{PostalAddress{"1234AB", 10, "bis"}, "1234AB 10 BIS"},
		{PostalAddress{"1234AB", 10, "hs"}, "1234AB 10 HS"},
		{PostalAddress{"1234AB", 10, "2hg"}, "1234AB 10 2HG"},
		{PostalAddress{"1234AB", 10, "abcdef"}, "1234AB 10 ABCDEF"},
		{PostalAddress{"1234AB", 10, "  "}, "1234AB 10"},
		{PostalAddress{"1234SB", 10, ""}, "1234SB 10"},
		{PostalAddress{"1234AS", 10, ""}, "1234AS 10"},
	} {
		got, err := n.Postal(tc.in)
		if err != nil {
			t.Errorf("Postal(%+v): %v", tc.in, err)
			continue
		}
		checkIdentifier(t, got, KindPostalAddress)
		if got.Value != tc.want {
			t.Errorf("Postal(%+v) = %q, want %q", tc.in, got.Value, tc.want)
		}
		a, ok := parsePostalText(got.Value)
		if again, err := n.Postal(a); !ok || err != nil || again != got {
			t.Errorf("Postal(parse(%q)) = %+v, %v; not idempotent", got.Value, again, err)
		}
	}
}

func TestPostalInvalid(t *testing.T) {
	n := newTestNormalizer(t)
	const pc, hn, add = "postal_address.postcode", "postal_address.house_number", "postal_address.house_number_addition"
	for _, tc := range []struct {
		in            PostalAddress
		reason, field string
	}{
		{PostalAddress{"", 10, ""}, ReasonIdentifierMissing, pc},
		{PostalAddress{"  ", 10, ""}, ReasonIdentifierMissing, pc},
		{PostalAddress{"0123AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"123AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"12345AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234A", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234ABC", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234-AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"AB1234", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234 A1", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"１２３４AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234SA", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234 sd", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234SS", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234" + strings.Repeat(" ", 20) + "AB", 10, ""}, ReasonPostalAddressInvalid, pc},
		{PostalAddress{"1234AB", 0, ""}, ReasonPostalAddressInvalid, hn},
		{PostalAddress{"1234AB", -1, ""}, ReasonPostalAddressInvalid, hn},
		{PostalAddress{"1234AB", 100000, ""}, ReasonPostalAddressInvalid, hn},
		{PostalAddress{"1234AB", 10, "abcdefg"}, ReasonPostalAddressInvalid, add},
		{PostalAddress{"1234AB", 10, "1 hoog"}, ReasonPostalAddressInvalid, add},
		{PostalAddress{"1234AB", 10, "--2"}, ReasonPostalAddressInvalid, add},
		{PostalAddress{"1234AB", 10, "A-1"}, ReasonPostalAddressInvalid, add},
		{PostalAddress{"1234AB", 10, "ä"}, ReasonPostalAddressInvalid, add},
		{PostalAddress{"1234AB", 10, strings.Repeat(" ", 40) + "A"}, ReasonPostalAddressInvalid, add},
	} {
		_, err := n.Postal(tc.in)
		wantInvalid(t, err, tc.reason, tc.field)
	}
}

func TestExternalID(t *testing.T) {
	n := newTestNormalizer(t)
	for in, want := range map[string]string{
		"100234":                               "100234",
		" K-100234 ":                           "K-100234",
		"k-100234":                             "k-100234", // case is kept
		"SF:0015g00000XyZ12AAA":                "SF:0015g00000XyZ12AAA",
		"urn:crm:customer/42#main":             "urn:crm:customer/42#main",
		"3f2b6c1e-8a4d-4e2f-9b7a-1c2d3e4f5a6b": "3f2b6c1e-8a4d-4e2f-9b7a-1c2d3e4f5a6b",
		"a.b_c":                                "a.b_c",
		strings.Repeat("9", 128):               strings.Repeat("9", 128),
	} {
		got, err := n.ExternalID(in)
		if err != nil {
			t.Errorf("ExternalID(%q): %v", in, err)
			continue
		}
		checkIdentifier(t, got, KindExternalID)
		if got.Value != want {
			t.Errorf("ExternalID(%q) = %q, want %q", in, got.Value, want)
		}
	}
	for _, in := range []string{"", "  ", "\t"} {
		_, err := n.ExternalID(in)
		wantInvalid(t, err, ReasonIdentifierMissing, "external_id")
	}
	for _, in := range []string{"K 100234", "K-100234!", "jan@example.nl", "klant+1", "K–100234", "ä", "a\x00b",
		"a\tb", strings.Repeat("9", 129)} {
		_, err := n.ExternalID(in)
		wantInvalid(t, err, ReasonExternalIDInvalid, "external_id")
	}
}
