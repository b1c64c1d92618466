package identity

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Email addresses become "local@domain" in lower case with the domain in
// punycode ("jan@xn--bcher-kva.nl"). Decorations people paste are removed:
// surrounding spaces, "mailto:" (and its "?subject=..." query), and angle
// brackets, also with a display name ("Jan <jan@example.nl>"). The whole
// address is lower-cased: in practice no provider has case-sensitive local
// parts, and two spellings must not be two customers. No provider-specific
// rewriting: gmail dots and "+tags" are kept, they may be deliberate.
//
// Accepted: an RFC 5322 dot-atom local part (ASCII) and a host name domain.
// Rejected: quoted local parts, IP literals, non-ASCII local parts (SMTPUTF8),
// single-label domains and all-digit top-level domains.

const (
	maxEmailInput  = 1024 // bytes before clean-up; bounds the IDNA work
	maxEmailLen    = 254
	maxLocalLen    = 64
	maxHostnameLen = 253
)

const (
	msgEmailTooLong   = "address must be at most 254 bytes"
	msgEmailAt        = "address must contain exactly one '@' with a local part before it"
	msgEmailLocalLen  = "local part must be 1 to 64 bytes"
	msgEmailLocal     = "local part may contain only letters, digits and !#$%&'*+/=?^_`{|}~- with single dots between them"
	msgEmailQuoted    = "quoted local parts are not accepted"
	msgEmailIPLiteral = "domain must be a host name; IP literals are not accepted"
	msgEmailIDN       = "domain is not a valid internationalised domain name"
	msgHostname       = "domain must be at most 253 bytes with at least two labels of 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen"
	msgHostnameTLD    = "top-level domain must not be all digits"
)

// emailIDNA is the UTS #46 lookup mapping (lower-cases, maps full-width forms
// and ideographic full stops) with STD3 host name rules and the bidi rule.
// A *idna.Profile is immutable and safe for concurrent use.
var emailIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

// Email normalises an email address.
func (n *Normalizer) Email(raw string) (Identifier, error) {
	s := cleanEmail(raw)
	if s == "" {
		return Identifier{}, invalid(ReasonIdentifierMissing, fieldEmail, "email address is required")
	}
	v, msg := normalizeEmail(s)
	if msg != "" {
		return Identifier{}, invalid(ReasonEmailInvalid, fieldEmail, "%s", msg)
	}
	return Identifier{Kind: KindEmail, Value: v}, nil
}

// cleanEmail strips the decorations around an address.
func cleanEmail(raw string) string {
	s := strings.TrimSpace(raw)
	if hasPrefixFold(s, "mailto:") {
		s = s[len("mailto:"):]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
	}
	if strings.HasSuffix(s, ">") {
		if i := strings.LastIndexByte(s, '<'); i >= 0 {
			s = strings.TrimSpace(s[i+1 : len(s)-1])
		}
	}
	return s
}

// normalizeEmail validates a cleaned address and returns its canonical form.
func normalizeEmail(s string) (string, string) {
	if len(s) > maxEmailInput {
		return "", msgEmailTooLong
	}
	if s[0] == '"' {
		return "", msgEmailQuoted
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return "", msgEmailAt
	}
	local, domain := s[:at], s[at+1:]
	if msg := checkLocalPart(local); msg != "" {
		return "", msg
	}
	if strings.HasPrefix(domain, "[") {
		return "", msgEmailIPLiteral
	}
	canonDomain, msg := normalizeHostname(domain)
	if msg != "" {
		return "", msg
	}
	if len(local)+1+len(canonDomain) > maxEmailLen {
		return "", msgEmailTooLong
	}
	lowLocal := lowerASCII(local)
	if lowLocal == local && canonDomain == domain {
		return s, "" // already canonical: no allocation
	}
	return lowLocal + "@" + canonDomain, ""
}

// checkLocalPart checks an RFC 5322 dot-atom.
func checkLocalPart(l string) string {
	if len(l) == 0 || len(l) > maxLocalLen {
		return msgEmailLocalLen
	}
	if l[0] == '.' || l[len(l)-1] == '.' {
		return msgEmailLocal
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '.':
			if l[i-1] == '.' {
				return msgEmailLocal
			}
		case !isAtext(c):
			return msgEmailLocal
		}
	}
	return ""
}

// isAtext reports RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~.
func isAtext(c byte) bool {
	if isASCIILetter(c) || isASCIIDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// normalizeHostname lower-cases a host name, converts an internationalised
// one to punycode and checks the LDH rules. ASCII names skip IDNA unless they
// carry an "xn--" label, which IDNA must validate.
func normalizeHostname(d string) (string, string) {
	if len(d) > maxEmailInput {
		return "", msgHostname
	}
	needIDNA := false
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			needIDNA = true
			break
		}
	}
	for i := 0; !needIDNA && i < len(d); i++ {
		if i == 0 || d[i-1] == '.' {
			needIDNA = hasPrefixFold(d[i:], "xn--")
		}
	}
	if needIDNA {
		if !utf8.ValidString(d) {
			return "", msgEmailIDN // IDNA would turn bad bytes into U+FFFD
		}
		a, err := emailIDNA.ToASCII(d)
		if err != nil {
			return "", msgEmailIDN
		}
		d = a
	} else {
		d = lowerASCII(d)
	}
	if msg := checkHostname(d); msg != "" {
		return "", msg
	}
	return d, ""
}

// checkHostname checks a lower-case ASCII host name: at most 253 bytes, at
// least two labels of 1..63 letters, digits and hyphens not starting or
// ending with a hyphen, and a top-level label that is not all digits (so IP
// addresses are not host names).
func checkHostname(d string) string {
	if len(d) == 0 || len(d) > maxHostnameLen {
		return msgHostname
	}
	labels, start := 0, 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			if c := d[i]; !isLowerAlnum(c) && c != '-' {
				return msgHostname
			}
			continue
		}
		l := d[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return msgHostname
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return msgHostname
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	for i := 0; i < len(tld); i++ {
		if !isASCIIDigit(tld[i]) {
			return ""
		}
	}
	return msgHostnameTLD
}
