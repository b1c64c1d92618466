package identity

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers become E.164 ("+31612345678"). The input is first cleaned by
// hand in one pass (digits of any common script mapped to ASCII, separators
// dropped, an extension cut off) so that phonenumbers only ever sees "+digits"
// or "digits"; then phonenumbers parses it against the default region and
// checks it against its metadata.
//
// Decisions:
//   - Vanity numbers ("0800-FLOWERS") are rejected. Caller ids never carry
//     letters, and mapping letters to digits would turn a typo into a valid,
//     wrong number.
//   - An extension ("x12", "ext. 12", "toestel 12", "#12", ",12", ";ext=12",
//     tel URI ";ext=12") is cut off and returned in Normalized.Extension: the
//     line identifies the customer, not the desk.
//   - "+31 (0)6 12345678" works: brackets are separators and phonenumbers
//     drops a national prefix written after the country code ("+3106...").
//   - "tel:" (RFC 3966) and "sip:"/"sips:" URIs are accepted; for SIP the user
//     part before '@' is the number. A tel URI "phone-context=+32" sets the
//     region of a local number; other parameters are ignored.
//   - A caller id that carries no number is withheld (Normalized.Withheld),
//     not an error: empty or blank, a placeholder word (see withheldWords and
//     isWithheldText), "-1", or a number of only zeros and separators with or
//     without '+' ("0", "0000000000", "+000000", "+", "--").
//   - Validity is phonenumbers' IsValidNumber for the number's own region, so
//     foreign numbers are accepted. Its metadata has some German numbers of
//     16 digits, one more than E.164 allows; they are kept.
//   - International numbers without '+' or "00" ("4915123456789",
//     "12125550100": many SIP trunks send E.164 without the plus) are read
//     as "+digits", but only as a fallback: when the number is not valid in
//     the default region, has 8 to 15 digits, no leading 0, no brackets, no
//     tel URI "phone-context=+CC", and "+digits" is valid (intlWithoutPlus).
//     A valid national number keeps its national meaning ("612345678" and
//     "435632522" are +31..., although +43 5632522 exists), short numbers
//     ("14020", "8000123") are untouched, and "31612345678" is
//     +31612345678 either way.

const (
	maxPhoneInput = 64 // bytes, checked before any parsing: bounds the work per call
	maxExtDigits  = 10
)

// Rule messages. They never contain the input.
const (
	msgPhoneTooLong = "phone number is too long: at most 64 bytes"
	msgPhoneLetters = "letters are not allowed in a phone number except an extension marker; vanity numbers are not accepted"
	msgPhoneChars   = "phone number may contain only digits, a leading '+', separators and an extension"
	msgPhonePlus    = "'+' is only allowed at the start of a phone number"
	msgPhoneExt     = "extension must be 1 to 10 digits at the end of the number"
	msgPhoneCountry = "unknown country calling code"
	msgPhoneInvalid = "not a valid number for any region"
)

// phoneSyntaxProblem reports whether msg says the input is not shaped like a
// phone number at all, as opposed to a phone number that is not valid.
// Query detection uses it to fall through to "unrecognised".
func phoneSyntaxProblem(msg string) bool {
	return msg == msgPhoneLetters || msg == msgPhoneChars || msg == msgPhonePlus
}

type phoneResult struct {
	e164     string
	ext      string
	withheld bool
}

// Phone normalises a caller id or typed phone number to E.164. An empty or
// withheld caller id yields Normalized{Withheld: true} and no error.
func (n *Normalizer) Phone(raw string) (Normalized, error) {
	r, msg := n.phone(raw)
	if msg != "" {
		return Normalized{}, invalid(ReasonPhoneInvalid, fieldPhone, "%s", msg)
	}
	return r.normalized(), nil
}

func (r phoneResult) normalized() Normalized {
	if r.withheld {
		return Normalized{Withheld: true}
	}
	return Normalized{Identifier: Identifier{Kind: KindPhone, Value: r.e164}, Extension: r.ext}
}

// phone returns the result or a rule message. The plain forms of the
// default region's numbers ("06 12345678", "+31 6 1234 5678") skip the
// parser: FastPhone's candidate, when it is a valid number of that region
// that formats back to itself, is what the parser gives (FuzzFastPhone and
// FuzzPhoneFastPath check this), at a third of the cost — what makes a bulk
// import of a customer base fast.
func (n *Normalizer) phone(raw string) (phoneResult, string) {
	if len(raw) > maxPhoneInput {
		return phoneResult{}, msgPhoneTooLong
	}
	if cand, ok := n.FastPhone(raw); ok && n.validHome(cand.Value) {
		return phoneResult{e164: cand.Value}, ""
	}
	return n.phoneSlow(raw)
}

// validHome reports whether e164 is a valid number of the default region's
// country code, without a national number starting with 0, that formats
// back to e164.
func (n *Normalizer) validHome(e164 string) bool {
	rest, ok := strings.CutPrefix(e164, "+"+n.fastCC)
	if !ok || rest == "" || rest[0] == '0' || len(rest) > maxE164Digits {
		return false
	}
	nn, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return false
	}
	cc := int32(phonenumbers.GetCountryCodeForRegion(n.region))
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
	return phonenumbers.IsValidNumber(num) && phonenumbers.Format(num, phonenumbers.E164) == e164
}

// phoneSlow is phone by the parser alone.
func (n *Normalizer) phoneSlow(raw string) (phoneResult, string) {
	if len(raw) > maxPhoneInput {
		return phoneResult{}, msgPhoneTooLong
	}
	s := strings.TrimSpace(raw)
	if s == "" || s == "-1" || isWithheldText(s, true) {
		return phoneResult{withheld: true}, ""
	}
	region, local := n.region, false
	var uriExt string
	if rest, ok := cutPhoneScheme(s); ok {
		var params, ctx, msg string
		s, params, _ = strings.Cut(rest, ";")
		if uriExt, ctx, msg = phoneURIParams(params); msg != "" {
			return phoneResult{}, msg
		}
		if ctx != "" {
			region, local = ctx, true
		}
	}

	var sc phoneScan
	if msg := sc.scan(s); msg != "" {
		return phoneResult{}, msg
	}
	if !sc.nonZero {
		// No digits ("+", "--") or only zeros ("0", "+000000"): exchanges send
		// these when the number is suppressed.
		return phoneResult{withheld: true}, ""
	}
	if sc.plus {
		region = n.region // an international number ignores phone-context
	}
	num, msg := parseValidPhone(string(sc.buf[:sc.n]), region)
	if msg != "" && !local && sc.intlWithoutPlus() {
		var b [1 + maxE164Digits]byte
		b[0] = '+'
		m := copy(b[1:], sc.buf[:sc.n])
		if alt, altMsg := parseValidPhone(string(b[:1+m]), n.region); altMsg == "" {
			num, msg = alt, ""
		}
	}
	if msg != "" {
		return phoneResult{}, msg
	}
	r := phoneResult{e164: phonenumbers.Format(num, phonenumbers.E164), ext: uriExt}
	if sc.extN > 0 {
		r.ext = string(sc.ext[:sc.extN])
	}
	return r, ""
}

// parseValidPhone parses s ("+digits" or "digits") against region and
// accepts only a valid number.
func parseValidPhone(s, region string) (*phonenumbers.PhoneNumber, string) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		if err == phonenumbers.ErrInvalidCountryCode {
			return nil, msgPhoneCountry
		}
		return nil, msgPhoneInvalid
	}
	if !phonenumbers.IsValidNumber(num) {
		return nil, msgPhoneInvalid
	}
	return num, ""
}

// maxE164Digits is the most digits E.164 allows after the '+'.
const maxE164Digits = 15

// intlWithoutPlus reports whether the scanned number may be retried as
// "+digits" after it failed as a number of the default region:
//   - no '+';
//   - no leading 0 ("00" and a trunk "0" are the parser's; no country code
//     starts with 0, so this only saves a parse);
//   - no brackets: a bracketed group is an area code, a national format;
//   - 8 to 15 digits: E.164 allows 15; fewer are short codes and local
//     numbers without an area code, which must not become foreign numbers.
//
// The caller also requires that no tel URI "phone-context=+CC" made the
// number local, and that "+digits" is itself a valid number.
func (p *phoneScan) intlWithoutPlus() bool {
	return !p.plus && !p.bracket && p.digits >= 8 && p.digits <= maxE164Digits && p.buf[0] != '0'
}

// cutPhoneScheme strips a "tel:", "sip:" or "sips:" scheme. For SIP the user
// part is kept and the host dropped.
func cutPhoneScheme(s string) (string, bool) {
	switch {
	case hasPrefixFold(s, "tel:"):
		return strings.TrimSpace(s[4:]), true
	case hasPrefixFold(s, "sip:"):
		s = s[4:]
	case hasPrefixFold(s, "sips:"):
		s = s[5:]
	default:
		return s, false
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s), true
}

// phoneURIParams reads the ";"-separated RFC 3966 parameters: "ext=" gives the
// extension and a global "phone-context=+CC" the region of a local number
// (reg, "" without one).
func phoneURIParams(params string) (ext, reg, msg string) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		switch {
		case hasPrefixFold(p, "ext="):
			v := p[4:]
			if v == "" || len(v) > maxExtDigits {
				return "", "", msgPhoneExt
			}
			for i := 0; i < len(v); i++ {
				if !isASCIIDigit(v[i]) {
					return "", "", msgPhoneExt
				}
			}
			ext = v
		case hasPrefixFold(p, "phone-context=+"):
			cc := 0
			for _, c := range []byte(p[len("phone-context=+"):]) {
				switch {
				case isASCIIDigit(c) && cc < 1000:
					cc = cc*10 + int(c-'0')
				case c == '-' || c == '.':
				default:
					return "", "", msgPhoneCountry
				}
			}
			r := phonenumbers.GetRegionCodeForCountryCode(cc)
			if r == "" || r == "ZZ" || r == "001" {
				return "", "", msgPhoneCountry
			}
			reg = r
		}
		// Other parameters (isub, a domain phone-context, SIP user=phone...)
		// do not change which line is calling.
	}
	return ext, reg, ""
}

// phoneScan is the one-pass cleaner. buf receives an optional '+' and ASCII
// digits; it cannot overflow because every input byte yields at most one
// output byte and the input is at most maxPhoneInput bytes.
type phoneScan struct {
	buf     [maxPhoneInput]byte
	n       int
	plus    bool
	digits  int
	nonZero bool
	bracket bool // '(', ')', '[', ']' or a full-width bracket seen
	ext     [maxExtDigits]byte
	extN    int
}

func (p *phoneScan) digit(d byte) {
	p.buf[p.n] = d
	p.n++
	p.digits++
	if d != '0' {
		p.nonZero = true
	}
}

func (p *phoneScan) scan(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case isASCIIDigit(c):
				p.digit(c)
			case c == '+':
				if p.n > 0 {
					return msgPhonePlus
				}
				p.buf[0], p.n, p.plus = '+', 1, true
			case c == '(' || c == ')' || c == '[' || c == ']':
				p.bracket = true
			case c == ' ' || c == '-' || c == '.' || c == '/' || c == '\t':
			case c == '#' || c == ',' || c == ';' || isASCIILetter(c):
				return p.extension(s[i:])
			default:
				return msgPhoneChars
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case digitValue(r) >= 0:
			p.digit(byte('0' + digitValue(r)))
		case r == '＋':
			if p.n > 0 {
				return msgPhonePlus
			}
			p.buf[0], p.n, p.plus = '+', 1, true
		case r == '\uFF08' || r == '\uFF09':
			p.bracket = true
		case isPhoneSeparator(r):
		case unicode.IsLetter(r):
			return msgPhoneLetters
		default:
			return msgPhoneChars
		}
	}
	return ""
}

// extension parses the tail of a number that starts at a marker: "#12",
// ",12", ";ext=12", or a word ("x", "ext", "extension", "toestel", "tst")
// followed by optional punctuation and the digits. Only spaces and closing
// brackets ("(ext. 12)") may follow the digits.
func (p *phoneScan) extension(s string) string {
	i := 0
	switch c := s[0]; {
	case c == '#':
		i = 1
	case c == ',':
		for i < len(s) && s[i] == ',' {
			i++
		}
	case c == ';':
		if !hasPrefixFold(s[1:], "ext=") {
			return msgPhoneChars
		}
		i = 5
	default:
		for i < len(s) && isASCIILetter(s[i]) {
			i++
		}
		if !isExtensionWord(s[:i]) {
			return msgPhoneLetters
		}
	}
	if p.digits == 0 {
		return msgPhoneChars // a marker before any number
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '.' || s[i] == ':' || s[i] == '=' || s[i] == '-' || s[i] == '#') {
		i++
	}
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		d := digitValue(r)
		if d < 0 {
			break
		}
		if p.extN == maxExtDigits {
			return msgPhoneExt
		}
		p.ext[p.extN] = byte('0' + d)
		p.extN++
		i += size
	}
	if p.extN == 0 {
		return msgPhoneExt
	}
	for ; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != ')' && c != ']' {
			return msgPhoneExt
		}
	}
	return ""
}

var extensionWords = [...]string{"x", "ext", "extn", "extension", "toestel", "tst", "toest"}

func isExtensionWord(w string) bool {
	for _, e := range extensionWords {
		if len(w) == len(e) && hasPrefixFold(w, e) {
			return true
		}
	}
	return false
}

// digitValue maps the decimal digits people paste into a phone field to their
// value: ASCII, full-width (East Asian input methods), Arabic-Indic, Extended
// Arabic-Indic (Persian, Urdu) and Devanagari. -1 for anything else.
func digitValue(r rune) int {
	switch {
	case '0' <= r && r <= '9':
		return int(r - '0')
	case '\uFF10' <= r && r <= '\uFF19':
		return int(r - '\uFF10')
	case '\u0660' <= r && r <= '\u0669':
		return int(r - '\u0660')
	case '\u06F0' <= r && r <= '\u06F9':
		return int(r - '\u06F0')
	case '\u0966' <= r && r <= '\u096F':
		return int(r - '\u0966')
	}
	return -1
}

// isPhoneSeparator reports non-ASCII runes that only format a number: Unicode
// spaces (no-break, thin, ideographic...), dashes, the minus sign, invisible
// direction marks and full-width brackets, dot and slash.
func isPhoneSeparator(r rune) bool {
	switch {
	case '\u2000' <= r && r <= '\u200F', // spaces, zero-width space, LRM/RLM
		'\u2010' <= r && r <= '\u2015', // hyphens and dashes
		'\u2028' <= r && r <= '\u202F': // separators, bidi embeddings, narrow no-break space
		return true
	}
	switch r {
	case '\u00A0', '\u00AD', '\u205F', '\u2060', '\u2212', '\u3000', '\uFEFF',
		'\uFF08', '\uFF09', '\uFF0D', '\uFF0E', '\uFF0F':
		return true
	}
	return false
}

// withheldWords are the texts exchanges, CTI systems and agents use for a
// caller id without a number, lower-case with runs of spaces, '-' and '_'
// folded to one space. Compared after isWithheldText's clean-up.
var withheldWords = map[string]struct{}{
	"anonymous": {}, "anonymous caller": {}, "anoniem": {}, "anonym": {}, "anonyme": {}, "anonimo": {}, "anónimo": {},
	"unknown": {}, "unknown caller": {}, "unknown number": {}, "caller unknown": {}, "onbekend": {}, "onbekend nummer": {},
	"unbekannt": {}, "inconnu": {},
	"private": {}, "private number": {}, "private caller": {}, "privé": {}, "prive": {}, "privat": {}, "privado": {},
	"privé nummer": {}, "prive nummer": {}, "privénummer": {}, "privenummer": {},
	"restricted": {}, "presentation restricted": {}, "unavailable": {}, "not available": {}, "niet beschikbaar": {},
	"withheld": {}, "number withheld": {}, "caller id withheld": {}, "blocked": {}, "caller id blocked": {},
	"geheim": {}, "geheim nummer": {}, "geheimnummer": {}, "nummer onderdrukt": {}, "onderdrukt": {},
	"nummerweergave onderdrukt": {}, "no caller id": {}, "no callerid": {}, "nocallerid": {}, "no number": {},
	"out of area": {}, "outofarea": {}, "clir": {}, "none": {}, "null": {}, "n/a": {},
}

// isWithheldText reports whether s (trimmed, non-empty) is a withheld-caller
// placeholder: one of withheldWords in any case, optionally in brackets or
// quotes ("<Anonymous>"), or as the user part of a URI or address
// ("sip:anonymous@anonymous.invalid", "tel:anonymous",
// "anonymous@anonymous.invalid"). A scheme-less "word@host" counts only with
// anyHost or the RFC 3261 host "anonymous.invalid": in a free-form query
// "unknown@example.nl" is an email address. Number-shaped placeholders
// ("-1", "0", "+000") are handled in phone.
func isWithheldText(s string, anyHost bool) bool {
	if c := s[0]; isASCIIDigit(c) || c == '+' || len(s) > 64 {
		return false // the hot path: a number
	}
	if len(s) >= 2 {
		switch s[0:1] + s[len(s)-1:] {
		case "<>", "()", "[]", `""`, "''":
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	switch {
	case hasPrefixFold(s, "sip:"), hasPrefixFold(s, "tel:"):
		s, anyHost = s[4:], true
	case hasPrefixFold(s, "sips:"):
		s, anyHost = s[5:], true
	}
	if i := strings.IndexAny(s, "@;"); i >= 0 {
		if s[i] == '@' && !anyHost && !strings.EqualFold(s[i+1:], "anonymous.invalid") {
			return false
		}
		s = s[:i]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			s = strings.ToLower(s) // rare: "PRIVÉ"
			break
		}
	}
	var buf [64]byte
	n, gap := 0, false
	for i := 0; i < len(s); i++ {
		if n >= len(buf)-1 {
			return false // longer than any placeholder
		}
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
			gap = n > 0
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if gap {
			buf[n] = ' '
			n++
			gap = false
		}
		buf[n] = c
		n++
	}
	_, ok := withheldWords[string(buf[:n])]
	return ok
}
