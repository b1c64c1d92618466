package identity

// FastPhone turns the plain ways agents and PBXs write a number —
// "06 12345678", "+31612345678", "0031 6 1234 5678", "(020) 123-4567" —
// into the E.164 string the full parser would give, in well under a
// microsecond, without validating it. The result is a candidate, not a
// canonical identifier: the domain's Service.LookupInput (root package
// herken) looks the candidate up first and trusts it only on an index hit;
// on a miss it runs the full parser (Normalize) and looks up what that
// gives. A hit is safe to trust because the index holds nothing but
// canonical numbers, and a candidate that is itself canonical is exactly
// the parser's result for the same input (the fuzz target FuzzFastPhone
// checks this); a candidate that is not canonical ("+310612345678" from
// "+3106 12345678") never hits. Anything else — letters, extensions, "(0)"
// after a country code, a leading separator, other regions' conventions,
// bare digits without "+", "00" or "0" ("612345678" is national,
// "4915123456789" international without '+'; only the parser can tell) —
// reports false and takes the full path.
func (n *Normalizer) FastPhone(raw string) (Identifier, bool) {
	if n.fastCC == "" || len(raw) == 0 || len(raw) > 32 {
		return Identifier{}, false
	}
	var digits [24]byte
	nd, plus, started := 0, false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		// Like Normalizer.Query, a number starts with a digit, '+' or '(',
		// so a query and a typed lookup agree on what is a phone number.
		first := !started && c != ' '
		if first {
			if c != '+' && c != '(' && (c < '0' || c > '9') {
				return Identifier{}, false
			}
			started = true
		}
		switch {
		case c >= '0' && c <= '9':
			if nd == len(digits) {
				return Identifier{}, false
			}
			// "(0)" after a country code is a trunk prefix the parser drops.
			if c == '0' && i > 0 && raw[i-1] == '(' && (plus || nd > 0) {
				return Identifier{}, false
			}
			digits[nd] = c
			nd++
		case c == '+' && first:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return Identifier{}, false
		}
	}
	var out [24]byte
	out[0] = '+'
	o := 1
	switch {
	case plus:
		o += copy(out[o:], digits[:nd])
	case nd > 2 && digits[0] == '0' && digits[1] == '0':
		o += copy(out[o:], digits[2:nd])
	case nd > 1 && digits[0] == '0':
		if len(n.fastCC)+nd-1 > 15 {
			return Identifier{}, false
		}
		o += copy(out[o:], n.fastCC)
		o += copy(out[o:], digits[1:nd])
	default:
		return Identifier{}, false
	}
	if o-1 < 8 || o-1 > 15 || out[1] == '0' {
		return Identifier{}, false
	}
	return Identifier{Kind: KindPhone, Value: string(out[:o])}, true
}
