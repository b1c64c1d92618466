package identity

import (
	"strings"
	"testing"
)

func TestPhone(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		in, want, ext string
	}{
		// Dutch national formats.
		{"06-12345678", "+31612345678", ""},
		{"0612345678", "+31612345678", ""},
		{"06 1234 5678", "+31612345678", ""},
		{"06 12 34 56 78", "+31612345678", ""},
		{"06.12.34.56.78", "+31612345678", ""},
		{"06/12345678", "+31612345678", ""},
		{"(06) 12345678", "+31612345678", ""},
		{"(020) 123 45 67", "+31201234567", ""},
		{"020-1234567", "+31201234567", ""},
		{"020 - 123 45 67", "+31201234567", ""},
		{"010-1234567", "+31101234567", ""},
		{"0800-0123", "+318000123", ""},
		{"088 123 4567", "+31881234567", ""},
		{"  06-12345678\t", "+31612345678", ""},
		// International.
		{"+31 6 12345678", "+31612345678", ""},
		{"+31612345678", "+31612345678", ""},
		{"+31-6-1234-5678", "+31612345678", ""},
		{"+31 (0)6 12345678", "+31612345678", ""},
		{"+31(0)612345678", "+31612345678", ""},
		{"+31 (0) 20 123 45 67", "+31201234567", ""},
		{"+3106 12345678", "+31612345678", ""},
		{"0031 6 12345678", "+31612345678", ""},
		{"0031612345678", "+31612345678", ""},
		{"0031 (0)6 12345678", "+31612345678", ""},
		{"00 31 20 1234567", "+31201234567", ""},
		// Foreign numbers.
		{"+32 470 12 34 56", "+32470123456", ""},
		{"0032 470 12 34 56", "+32470123456", ""},
		{"+32 (0)470 12 34 56", "+32470123456", ""},
		{"+49 30 1234567", "+49301234567", ""},
		{"+49 (0)30 1234567", "+49301234567", ""},
		{"+44 20 7946 0958", "+442079460958", ""},
		{"+44 (0)20 7946 0958", "+442079460958", ""},
		{"+1 415 555 2671", "+14155552671", ""},
		{"+1 (415) 555-2671", "+14155552671", ""},
		{"+33 6 12 34 56 78", "+33612345678", ""},
		{"+7 912 345-67-89", "+79123456789", ""},
		// URIs.
		{"tel:+31-6-1234-5678", "+31612345678", ""},
		{"TEL:+31612345678", "+31612345678", ""},
		{"Tel: 020-1234567", "+31201234567", ""},
		{"tel:+31-6-1234-5678;ext=12", "+31612345678", "12"},
		{"tel:+31612345678;isub=1234;ext=99", "+31612345678", "99"},
		{"tel:0612345678;phone-context=+31", "+31612345678", ""},
		{"tel:0470123456;phone-context=+32", "+32470123456", ""},
		{"tel:0612345678;phone-context=example.nl", "+31612345678", ""},
		{"sip:+31612345678@pbx.example.nl;user=phone", "+31612345678", ""},
		{"sips:0612345678@pbx.example.nl", "+31612345678", ""},
		// Unicode digits and separators.
		{"０６１２３４５６７８", "+31612345678", ""},
		{"＋３１６１２３４５６７８", "+31612345678", ""},
		{"٠٦١٢٣٤٥٦٧٨", "+31612345678", ""},
		{"۰۶۱۲۳۴۵۶۷۸", "+31612345678", ""},
		{"०६१२३४५६७८", "+31612345678", ""},
		{"06\u00a012345678", "+31612345678", ""},
		{"06\u200912\u200934\u200956\u200978", "+31612345678", ""},
		{"06\u202f1234\u202f5678", "+31612345678", ""},
		{"06\u20131234\u20145678", "+31612345678", ""},
		{"\u200e+31 6 12345678\u200f", "+31612345678", ""},
		{"（020）1234567", "+31201234567", ""},
		// Extensions.
		{"+31 20 123 4567 ext. 12", "+31201234567", "12"},
		{"+31 20 123 4567 ext 12", "+31201234567", "12"},
		{"+31 20 123 4567 EXT:12", "+31201234567", "12"},
		{"+31 20 123 4567 extension 1234", "+31201234567", "1234"},
		{"+31 20 123 4567 x12", "+31201234567", "12"},
		{"+31 20 123 4567 X 12", "+31201234567", "12"},
		{"020-1234567 toestel 12", "+31201234567", "12"},
		{"020-1234567 tst. 12", "+31201234567", "12"},
		{"020-1234567 (toestel 214)", "+31201234567", "214"},
		{"020-1234567#12", "+31201234567", "12"},
		{"020-1234567,,12", "+31201234567", "12"},
		{"+31201234567;ext=12", "+31201234567", "12"},
		{"020-1234567 x１２", "+31201234567", "12"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := n.Phone(tc.in)
			if err != nil {
				t.Fatalf("Phone(%q): %v", tc.in, err)
			}
			checkIdentifier(t, got.Identifier, KindPhone)
			if got.Identifier.Value != tc.want || got.Extension != tc.ext || got.Withheld {
				t.Fatalf("Phone(%q) = %+v, want %s ext %q", tc.in, got, tc.want, tc.ext)
			}
		})
	}
}

func TestPhoneOtherRegion(t *testing.T) {
	n, err := NewNormalizer(NormalizerConfig{DefaultRegion: "BE"})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"0470 12 34 56":                    "+32470123456",
		"+31 6 12345678":                   "+31612345678",
		"0031 6 12345678":                  "+31612345678",
		"tel:0612345678;phone-context=+31": "+31612345678",
	} {
		got, err := n.Phone(in)
		if err != nil || got.Identifier.Value != want {
			t.Errorf("BE Phone(%q) = %+v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := n.Phone("06-12345678"); err == nil {
		t.Errorf("BE Phone(06-12345678) is not a Belgian number, want an error")
	}
}

// Exchanges and CTI systems send these when the caller suppresses the number.
func TestPhoneWithheld(t *testing.T) {
	n := newTestNormalizer(t)
	for _, in := range []string{
		"", " ", "\t\n", "\u00a0",
		"anonymous", "Anonymous", "ANONYMOUS", "anoniem", "Anoniem", "unknown", "Unknown", "onbekend",
		"private", "Private", "privé", "PRIVÉ", "Privé", "prive", "restricted", "RESTRICTED",
		"unavailable", "withheld", "Withheld", "blocked", "geheim", "Geheim nummer",
		"nummer onderdrukt", "Nummer Onderdrukt", "nummer  onderdrukt", "unknown caller",
		"Unknown_Caller", "no-caller-id", "No Caller ID", "private number", "out of area", "OutOfArea",
		"<anonymous>", "(private)", "[unknown]", `"Anonymous"`,
		"sip:anonymous@anonymous.invalid", "SIP:Anonymous@anonymous.invalid", "sips:anonymous@example.nl",
		"anonymous@anonymous.invalid", "anonymous@pbx.example.nl", "tel:anonymous", "sip:unknown@10.0.0.1;user=phone",
		"0", "00", "0000000000", "000-000-0000", "0 0 0", "+0", "+000000", "+00 000 000", "tel:+000",
		"-1", "+", "-", "--", "()", "tel:", "sip:@pbx.example.nl",
	} {
		got, err := n.Phone(in)
		if err != nil || !got.Withheld || !got.Identifier.IsZero() || got.Extension != "" {
			t.Errorf("Phone(%q) = %+v, %v; want withheld", in, got, err)
		}
	}
}

func TestPhoneInvalid(t *testing.T) {
	n := newTestNormalizer(t)
	for _, in := range []string{
		"1", "12", "112", "06", "0612", "06-1234567", "06-123456789", "+31 6 1234567", "+31 6 123456789",
		"+31 6 1234 5678 9", "+999 1234567", "+882 1234", "00999 1234567", // too short/long, unknown cc, invalid
		"0800-FLOWERS", "+1-800-FLOWERS", "06-1234567a", "06-12345678 jan", "abc", "hello world", // letters (vanity rejected)
		"06-1234 x", "06-12345678 ext", "06-12345678 ext. 12345678901", "06-12345678 x12 y", "06-12345678#", // bad extension
		"++31612345678", "06+12345678", "+31+612345678", // plus placement
		"06_12345678", "06*12345678", "06:12345678", "06~12345678", "06\u263a12345678", "06\x0012345678", // characters
		"x12", "#12", "ext 12", ";ext=12",
		"tel:+31612345678;ext=", "tel:+31612345678;ext=1a", "tel:0612345678;phone-context=+999", "tel:0612345678;phone-context=+3x",
		strings.Repeat("0", 65), "+31 6 1234 5678 " + strings.Repeat(" ", 60), strings.Repeat("06-12345678 ", 6),
		"\xff\xfe", "06\xff12345678",
	} {
		got, err := n.Phone(in)
		if err == nil {
			t.Errorf("Phone(%q) = %+v, want PHONE_NUMBER_INVALID", in, got)
			continue
		}
		wantInvalid(t, err, ReasonPhoneInvalid, "phone_number")
	}
}

func TestPhoneTooLongMessage(t *testing.T) {
	n := newTestNormalizer(t)
	_, err := n.Phone(strings.Repeat("1", 65))
	if e, _ := AsError(err); e == nil || !strings.Contains(e.Message, "at most 64 bytes") {
		t.Fatalf("Phone(65 digits) = %v, want a too-long message", err)
	}
}

// TestPhoneInternationalWithoutPlus: SIP trunks and PBXs often send E.164
// without the '+'. Digits that are not a valid number of the default region
// (NL) are read as "+digits" when that is valid; a valid national number
// keeps its national meaning. Phone and Query agree, and FastPhone never
// offers a different candidate for an input the parser accepts.
func TestPhoneInternationalWithoutPlus(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		in, want, ext string // want "" means PHONE_NUMBER_INVALID
	}{
		// Not valid in NL, valid as "+digits": the new path.
		{"4915123456789", "+4915123456789", ""},
		{"32470123456", "+32470123456", ""},
		{"12125550100", "+12125550100", ""},
		{"442079460958", "+442079460958", ""},
		{"33612345678", "+33612345678", ""},
		{"4930123456", "+4930123456", ""},
		{"29022158", "+29022158", ""}, // 8 digits, Saint Helena
		{"1 212 555 0100", "+12125550100", ""},
		{"1-800-356-9377", "+18003569377", ""},
		{"49 151 2345 6789", "+4915123456789", ""},
		{"４９１５１２３４５６７８９", "+4915123456789", ""},
		{"12125550100 x12", "+12125550100", "12"},
		{"sip:4915123456789@pbx.example.nl;user=phone", "+4915123456789", ""},
		{"tel:32470123456", "+32470123456", ""},
		// The Dutch country code without '+': the same number either way.
		{"31612345678", "+31612345678", ""},
		{"31201234567", "+31201234567", ""},
		{"310612345678", "+31612345678", ""},
		// Valid national numbers keep their national meaning, also when
		// "+digits" would be valid too (+43 5632522 Austria, +299 330412
		// Greenland).
		{"0612345678", "+31612345678", ""},
		{"06-12345678", "+31612345678", ""},
		{"0201234567", "+31201234567", ""},
		{"(020) 123 45 67", "+31201234567", ""},
		{"612345678", "+31612345678", ""},
		{"201234567", "+31201234567", ""},
		{"435632522", "+31435632522", ""},
		{"299330412", "+31299330412", ""},
		{"0049 151 23456789", "+4915123456789", ""},
		// Short and special NL numbers are untouched.
		{"14020", "+3114020", ""},
		{"0800-0123", "+318000123", ""},
		{"8000123", "+318000123", ""},
		{"0900 123 4567", "+319001234567", ""},
		// Valid neither way, or not eligible: still invalid.
		{"12345", "", ""},
		{"112", "", ""},
		{"6837012", "", ""},                             // 7 digits (+683 7012, Niue): too short to be read as "+digits"
		{"88123456", "", ""},                            // 8 digits, valid neither way
		{"4415123456", "", ""},                          // valid neither way
		{"316123456789", "", ""},                        // NL country code, one digit too many
		{"999999999999999", "", ""},                     // 15 digits, no such country code
		{"4970200000000000", "", ""},                    // 16 digits (valid with '+'): more than E.164 allows
		{"04915123456789", "", ""},                      // a trunk 0: national, and invalid
		{"(49) 15123456789", "", ""},                    // brackets: a national format
		{"+4915123456789 0", "", ""},                    // with '+' the number is taken as written
		{"tel:4915123456789;phone-context=+32", "", ""}, // local to BE by its context
		{"tel:4915123456789;phone-context=+31", "", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := n.Phone(tc.in)
			q, qerr := n.Query(tc.in)
			if tc.want == "" {
				wantInvalid(t, err, ReasonPhoneInvalid, fieldPhone)
				wantInvalid(t, qerr, ReasonPhoneInvalid, fieldQuery)
			} else {
				if err != nil || got.Identifier.Value != tc.want || got.Extension != tc.ext {
					t.Fatalf("Phone(%q) = %+v, %v; want %s ext %q", tc.in, got, err, tc.want, tc.ext)
				}
				checkIdentifier(t, got.Identifier, KindPhone)
				if qerr != nil || q != got {
					t.Fatalf("Query(%q) = %+v, %v; want %+v", tc.in, q, qerr, got)
				}
			}
			// A candidate for an input the parser rejects is harmless: it is
			// not canonical, so never in the index.
			if c, ok := n.FastPhone(tc.in); ok && err == nil && c != got.Identifier {
				t.Fatalf("FastPhone(%q) = %q, the parser says %+v, %v", tc.in, c.Value, got, err)
			}
		})
	}
	// WhatsApp handles are phone numbers and follow the same rule.
	if id, err := n.Social(PlatformWhatsApp, "4915123456789"); err != nil || id.Value != "whatsapp:+4915123456789" {
		t.Errorf("Social(WhatsApp, 4915123456789) = %+v, %v", id, err)
	}
}
