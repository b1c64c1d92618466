package identity

import (
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	n := newTestNormalizer(t)
	phone := func(v string) Identifier { return Identifier{Kind: KindPhone, Value: v} }
	social := func(p Platform, v string) Identifier { return Identifier{Kind: KindSocial, Platform: p, Value: v} }
	for _, tc := range []struct {
		in   string
		want Identifier
		ext  string
	}{
		{"06-12345678", phone("+31612345678"), ""},
		{"+31 6 12345678", phone("+31612345678"), ""},
		{"0031612345678", phone("+31612345678"), ""},
		{"(020) 123 45 67", phone("+31201234567"), ""},
		{"+31 (0)6 12345678", phone("+31612345678"), ""},
		{"０６１２３４５６７８", phone("+31612345678"), ""},
		{"020-1234567 toestel 12", phone("+31201234567"), "12"},
		{"+31 20 123 4567 x12", phone("+31201234567"), "12"},
		{"tel:+31-6-1234-5678;ext=7", phone("+31612345678"), "7"},
		{"sip:+31612345678@pbx.example.nl", phone("+31612345678"), ""},
		{"Jan@Example.NL", Identifier{Kind: KindEmail, Value: "jan@example.nl"}, ""},
		{"mailto:jan@example.nl", Identifier{Kind: KindEmail, Value: "jan@example.nl"}, ""},
		{"<jan@bücher.nl>", Identifier{Kind: KindEmail, Value: "jan@xn--bcher-kva.nl"}, ""},
		{"unknown@example.nl", Identifier{Kind: KindEmail, Value: "unknown@example.nl"}, ""},
		{"x:@jan", social(PlatformX, "x:jan"), ""},
		{"twitter:Jan", social(PlatformX, "x:jan"), ""},
		{"ig:jan.devries", social(PlatformInstagram, "instagram:jan.devries"), ""},
		{"whatsapp:+31612345678", social(PlatformWhatsApp, "whatsapp:+31612345678"), ""},
		{"mastodon:jan@mastodon.social", social(PlatformMastodon, "mastodon:jan@mastodon.social"), ""},
		{"@jan@mastodon.social", social(PlatformMastodon, "mastodon:jan@mastodon.social"), ""},
		{"https://instagram.com/jan", social(PlatformInstagram, "instagram:jan"), ""},
		{"instagram.com/jan", social(PlatformInstagram, "instagram:jan"), ""},
		{"https://www.facebook.com/profile.php?id=100012345678", social(PlatformFacebook, "facebook:100012345678"), ""},
		{"https://wa.me/31612345678", social(PlatformWhatsApp, "whatsapp:+31612345678"), ""},
		{"https://mastodon.social/@jan", social(PlatformMastodon, "mastodon:jan@mastodon.social"), ""},
		{"1234 ab 10", Identifier{Kind: KindPostalAddress, Value: "1234AB 10"}, ""},
		{"1234AB10", Identifier{Kind: KindPostalAddress, Value: "1234AB 10"}, ""},
		{"1234AB 10", Identifier{Kind: KindPostalAddress, Value: "1234AB 10"}, ""},
		{"1234 AB, 10-2", Identifier{Kind: KindPostalAddress, Value: "1234AB 10 2"}, ""},
		{"1234ab 10a", Identifier{Kind: KindPostalAddress, Value: "1234AB 10 A"}, ""},
		{"1234AB 10 bis", Identifier{Kind: KindPostalAddress, Value: "1234AB 10 BIS"}, ""},
		{"1234 AB 10 / 3", Identifier{Kind: KindPostalAddress, Value: "1234AB 10 3"}, ""},
		{"crm:K-100234", Identifier{Kind: KindExternalID, Value: "K-100234"}, ""},
		{"CRM: 100234", Identifier{Kind: KindExternalID, Value: "100234"}, ""},
		{"ext:SF:0015g00000XyZ12", Identifier{Kind: KindExternalID, Value: "SF:0015g00000XyZ12"}, ""},
		{"  06-12345678  ", phone("+31612345678"), ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := n.Query(tc.in)
			if err != nil {
				t.Fatalf("Query(%q): %v", tc.in, err)
			}
			checkIdentifier(t, got.Identifier, tc.want.Kind)
			if got.Identifier != tc.want || got.Extension != tc.ext || got.Withheld {
				t.Fatalf("Query(%q) = %+v, want %+v ext %q", tc.in, got, tc.want, tc.ext)
			}
		})
	}
}

func TestQueryWithheld(t *testing.T) {
	n := newTestNormalizer(t)
	for _, in := range []string{"anonymous", "Anoniem", "privé", "Nummer onderdrukt", "<unknown>",
		"sip:anonymous@anonymous.invalid", "anonymous@anonymous.invalid", "tel:anonymous", "0000000000", "+000"} {
		got, err := n.Query(in)
		if err != nil || !got.Withheld || !got.Identifier.IsZero() {
			t.Errorf("Query(%q) = %+v, %v; want withheld", in, got, err)
		}
	}
}

func TestQueryInvalid(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct {
		in, reason string
	}{
		{"", ReasonIdentifierMissing},
		{"   ", ReasonIdentifierMissing},
		{strings.Repeat("a", 1025), ReasonFieldTooLong},
		{"@jan", ReasonQueryUnrecognized},
		{"jan de vries", ReasonQueryUnrecognized},
		{"K-100234", ReasonQueryUnrecognized},
		{"-1", ReasonQueryUnrecognized},
		{"https://example.com/jan", ReasonQueryUnrecognized},
		{"https://medium.com/@jan", ReasonQueryUnrecognized},
		{"jan@example", ReasonQueryUnrecognized},
		{"12345 abc", ReasonQueryUnrecognized},
		{"0800-FLOWERS", ReasonQueryUnrecognized},
		{"06-123", ReasonPhoneInvalid},
		{"+999 1234567", ReasonPhoneInvalid},
		{"06-12345678 ext", ReasonPhoneInvalid},
		{"tel:12", ReasonPhoneInvalid},
		{"tel:jan", ReasonPhoneInvalid},
		{"Jan@@example.nl", ReasonEmailInvalid},
		{"jan..devries@example.nl", ReasonEmailInvalid},
		{"mailto:jan", ReasonEmailInvalid},
		{"mailto:", ReasonIdentifierMissing},
		{"x:@jan.devries", ReasonSocialHandleInvalid},
		{"x:", ReasonSocialHandleInvalid},
		{"https://x.com/home", ReasonSocialHandleInvalid},
		{"https://www.youtube.com/watch?v=abc", ReasonSocialHandleInvalid},
		{"@jan@localhost.", ReasonSocialHandleInvalid},
		{"1234 SA 10", ReasonPostalAddressInvalid},
		{"1234 AB", ReasonPostalAddressInvalid},
		{"1234AB 0", ReasonPostalAddressInvalid},
		{"1234AB 123456", ReasonPostalAddressInvalid},
		{"1234AB 10 abcdefgh", ReasonPostalAddressInvalid},
		{"0123 AB 10", ReasonPostalAddressInvalid},
		{"crm:", ReasonIdentifierMissing},
		{"crm:K 100234", ReasonExternalIDInvalid},
	} {
		_, err := n.Query(tc.in)
		wantInvalid(t, err, tc.reason, "query")
	}
}
