package identity

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	n := newTestNormalizer(t)
	for _, tc := range []struct{ in, want string }{
		{"jan@example.nl", "jan@example.nl"},
		{"Jan@Example.NL", "jan@example.nl"},
		{"  jan@example.nl  ", "jan@example.nl"},
		{"JAN.DE.VRIES@EXAMPLE.NL", "jan.de.vries@example.nl"},
		{"jan.devries+crm@gmail.com", "jan.devries+crm@gmail.com"}, // no provider rewriting
		{"j.a.n@gmail.com", "j.a.n@gmail.com"},
		{"mailto:jan@example.nl", "jan@example.nl"},
		{"MAILTO:Jan@Example.nl?subject=Hallo", "jan@example.nl"},
		{"<jan@example.nl>", "jan@example.nl"},
		{"Jan de Vries <Jan@Example.nl>", "jan@example.nl"},
		{"\"de Vries, Jan\" <jan@example.nl>", "jan@example.nl"},
		{"mailto:<jan@example.nl>", "jan@example.nl"},
		{"jan@bücher.nl", "jan@xn--bcher-kva.nl"},
		{"jan@BÜCHER.NL", "jan@xn--bcher-kva.nl"},
		{"jan@xn--bcher-kva.nl", "jan@xn--bcher-kva.nl"},
		{"jan@XN--BCHER-KVA.NL", "jan@xn--bcher-kva.nl"},
		{"jan@bücher。nl", "jan@xn--bcher-kva.nl"},
		{"jan@mail.xn--bcher-kva.nl", "jan@mail.xn--bcher-kva.nl"},
		{"jan@例え.jp", "jan@xn--r8jz45g.jp"},
		{"jan@sub.domain.example.co.uk", "jan@sub.domain.example.co.uk"},
		{"jan@my-company.nl", "jan@my-company.nl"},
		{"jan@123.example", "jan@123.example"},
		{"a@b.co", "a@b.co"},
		{"jan@exa\u200bmple.nl", "jan@example.nl"}, // UTS #46 drops invisible code points
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"!#$%&'*+-/=?^_`{|}~@example.nl", "!#$%&'*+-/=?^_`{|}~@example.nl"},
		{strings.Repeat("a", 64) + "@example.nl", strings.Repeat("a", 64) + "@example.nl"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := n.Email(tc.in)
			if err != nil {
				t.Fatalf("Email(%q): %v", tc.in, err)
			}
			checkIdentifier(t, got, KindEmail)
			if got.Value != tc.want {
				t.Fatalf("Email(%q) = %q, want %q", tc.in, got.Value, tc.want)
			}
		})
	}
}

func TestEmailInvalid(t *testing.T) {
	n := newTestNormalizer(t)
	long := strings.Repeat("a", 63)
	for _, in := range []string{
		"jan", "jan.example.nl", "@example.nl", "jan@", "jan@@example.nl", "jan@de@example.nl",
		"jan@example", "jan@localhost", "jan@example.123", "jan@1.2.3.4", "jan@[192.168.0.1]", "jan@[IPv6:::1]",
		"\"jan\"@example.nl", "\"jan@de vries\"@example.nl",
		".jan@example.nl", "jan.@example.nl", "jan..devries@example.nl", "jan devries@example.nl",
		"jan(comment)@example.nl", "jan,de@example.nl", "jan\\@example.nl", "jän@example.nl", // SMTPUTF8 local part
		"jan@-example.nl", "jan@example-.nl", "jan@exa_mple.nl", "jan@example..nl", "jan@.example.nl", "jan@example.nl.",
		"jan@exam ple.nl", "jan@example.nl/path", "jan@xn--zz.nl", "jan@xn--.nl",
		strings.Repeat("a", 65) + "@example.nl",
		"jan@" + strings.Repeat("a", 64) + ".nl",
		"jan@" + long + "." + long + "." + long + "." + long + ".nl",           // domain > 253
		strings.Repeat("a", 64) + "@" + long + "." + long + "." + long + ".nl", // address > 254
		strings.Repeat("x", 2000) + "@example.nl",
		"mailto:", "<>", "jan@example.nl>", "Jan <jan@example>",
		"jan@\xff.nl", "jan@\ufffd.nl",
	} {
		_, err := n.Email(in)
		if cleanEmail(in) == "" {
			wantInvalid(t, err, ReasonIdentifierMissing, "email")
			continue
		}
		if err == nil {
			t.Errorf("Email(%q) = nil error, want EMAIL_INVALID", in)
			continue
		}
		wantInvalid(t, err, ReasonEmailInvalid, "email")
	}
	for _, in := range []string{"", "  ", "mailto:", "< >"} {
		_, err := n.Email(in)
		wantInvalid(t, err, ReasonIdentifierMissing, "email")
	}
}
