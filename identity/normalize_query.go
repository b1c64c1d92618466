package identity

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Query detects the kind of a free-form string an agent typed or a system
// passed, and normalises it. Detection order (the first rule that matches
// decides; errors then concern field "query" and carry the reason of the
// detected kind, so "06-123" is PHONE_NUMBER_INVALID, not unrecognised):
//
//  1. longer than 1024 bytes: FIELD_TOO_LONG; empty: IDENTIFIER_MISSING
//     (an empty query is a client mistake, not a withheld caller);
//  2. a withheld placeholder word ("anonymous", "privé", "<unknown>",
//     "sip:anonymous@anonymous.invalid"...): Withheld;
//  3. "tel:", "sip:", "sips:": phone;
//  4. "mailto:": email;
//  5. "crm:" or "ext:": external id (the rest of the string, as the CRM
//     spells it); without a prefix an id cannot be told from a phone
//     number or a handle;
//  6. "platform:handle" with a ParsePlatform name ("x:@jan",
//     "mastodon:jan@mastodon.social"): social;
//  7. '@' not first, a '.' after it and no '/': email;
//  8. "@user@host.tld": a fediverse handle, social Mastodon;
//  9. a URL with http(s) scheme or a known social host
//     ("instagram.com/jan"): social; a host that is no known platform is
//     unrecognised;
//  10. postcode and house number ("1234 ab 10", "1234AB10", "1234 AB, 10-2",
//     "1234ab 10a"): postal address;
//  11. starts with a digit (any script), '+' or '(' and holds only digits,
//     separators and an extension: phone, by the rules of Phone (all zeros
//     is Withheld, as on a phone line; international digits without '+'
//     are read as "+digits" when not a valid national number);
//  12. anything else, including a bare "@handle" (which platform?):
//     QUERY_UNRECOGNIZED.

const maxQueryInput = 1024

// Query normalises a free-form string whose kind must be detected.
func (n *Normalizer) Query(raw string) (Normalized, error) {
	if len(raw) > maxQueryInput {
		e := invalid(ReasonFieldTooLong, fieldQuery, "query must be at most 1024 bytes")
		e.Metadata = map[string]string{"limit": strconv.Itoa(maxQueryInput)}
		return Normalized{}, e
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return Normalized{}, invalid(ReasonIdentifierMissing, fieldQuery, "query is required")
	}
	if isWithheldText(s, false) {
		return Normalized{Withheld: true}, nil
	}
	switch {
	case hasPrefixFold(s, "tel:"), hasPrefixFold(s, "sip:"), hasPrefixFold(s, "sips:"):
		return n.queryPhone(s, true)
	case hasPrefixFold(s, "mailto:"):
		return inQuery(wrap(n.Email(s)))
	case hasPrefixFold(s, "crm:"), hasPrefixFold(s, "ext:"):
		return inQuery(wrap(n.ExternalID(s[4:])))
	}
	if i := strings.IndexByte(s, ':'); i > 0 {
		if _, ok := ParsePlatform(s[:i]); ok {
			return inQuery(wrap(n.Social(PlatformUnspecified, s)))
		}
	}
	if s[0] != '@' && looksLikeEmail(s) {
		return inQuery(wrap(n.Email(s)))
	}
	if s[0] == '@' && looksLikeEmail(s[1:]) {
		return inQuery(wrap(n.Social(PlatformMastodon, s)))
	}
	if _, ok := parseProfileURL(s); ok {
		id, err := n.social(PlatformUnspecified, s)
		if err != nil {
			if err.Reason == ReasonSocialPlatformInvalid {
				return Normalized{}, unrecognized("URL is not a profile URL of a known social platform")
			}
			return Normalized{}, refield(err)
		}
		return Normalized{Identifier: id}, nil
	}
	if a, ok := parsePostalText(s); ok {
		return inQuery(wrap(n.Postal(a)))
	}
	if startsLikePhone(s) {
		return n.queryPhone(s, false)
	}
	if s[0] == '@' {
		return Normalized{}, unrecognized("a bare @handle does not say which platform; use platform:handle, e.g. x:@handle")
	}
	return Normalized{}, unrecognized("query is not a phone number, email address, platform:handle, profile URL, postcode with house number or crm:id")
}

func (n *Normalizer) queryPhone(s string, uri bool) (Normalized, error) {
	r, msg := n.phone(s)
	switch {
	case msg == "":
		return r.normalized(), nil
	case !uri && phoneSyntaxProblem(msg):
		return Normalized{}, unrecognized("query is not a phone number, email address, platform:handle, profile URL, postcode with house number or crm:id")
	}
	return Normalized{}, invalid(ReasonPhoneInvalid, fieldQuery, "%s", msg)
}

// inQuery reports an error of a typed normaliser against field "query": the
// client sent one string, not the typed field.
func inQuery(nz Normalized, err error) (Normalized, error) {
	if err == nil {
		return nz, nil
	}
	e, _ := AsError(err)
	return Normalized{}, refield(e)
}

func refield(e *Error) *Error {
	c := *e
	c.Field = fieldQuery
	return &c
}

func unrecognized(msg string) *Error {
	return invalid(ReasonQueryUnrecognized, fieldQuery, "%s", msg)
}

// looksLikeEmail: an '@' after at least one byte, a '.' after it, no '/'.
func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.IndexByte(s[at+1:], '.') >= 0 && strings.IndexByte(s, '/') < 0
}

// startsLikePhone: a digit of any script digitValue knows, '+' or '(' first.
func startsLikePhone(s string) bool {
	switch c := s[0]; {
	case isASCIIDigit(c), c == '+', c == '(':
		return true
	case c < utf8.RuneSelf:
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return digitValue(r) >= 0 || r == '＋' || r == '（'
}
