package identity

import (
	"strconv"
	"strings"
)

// Dutch postal addresses become "1234AB 10" or "1234AB 10 A": postcode without
// space in upper case, house number, and the upper-cased addition if any.
// Street and town follow from postcode and number, so they are not part of
// the identifier.

const (
	maxPostcodeInput = 16
	maxAdditionLen   = 6
	maxAdditionInput = 32
	maxHouseNumber   = 99999
)

const (
	msgPostcode       = "postcode must be 4 digits, the first not 0, and 2 letters"
	msgPostcodeLetter = "postcode letters SA, SD and SS are not used"
	msgHouseNumber    = "house number must be 1 to 99999"
	msgAddition       = "house number addition must be at most 6 letters or digits"
)

// Postal normalises a Dutch postal address.
func (n *Normalizer) Postal(a PostalAddress) (Identifier, error) {
	pc := strings.TrimSpace(a.Postcode)
	if pc == "" {
		return Identifier{}, invalid(ReasonIdentifierMissing, fieldPostcode, "postcode is required")
	}
	code, msg := normalizePostcode(pc)
	if msg != "" {
		return Identifier{}, invalid(ReasonPostalAddressInvalid, fieldPostcode, "%s", msg)
	}
	if a.HouseNumber < 1 || a.HouseNumber > maxHouseNumber {
		return Identifier{}, invalid(ReasonPostalAddressInvalid, fieldHouseNumber, "%s", msgHouseNumber)
	}
	add, ok := normalizeAddition(a.Addition)
	if !ok {
		return Identifier{}, invalid(ReasonPostalAddressInvalid, fieldAddition, "%s", msgAddition)
	}
	var buf [6 + 1 + 5 + 1 + maxAdditionLen]byte
	b := append(buf[:0], code[:]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(a.HouseNumber), 10)
	if add.n > 0 {
		b = append(b, ' ')
		b = append(b, add.b[:add.n]...)
	}
	return Identifier{Kind: KindPostalAddress, Value: string(b)}, nil
}

// normalizePostcode accepts "1234AB", "1234 ab" (any number of spaces between
// digits and letters).
func normalizePostcode(s string) ([6]byte, string) {
	var code [6]byte
	if len(s) > maxPostcodeInput || len(s) < 6 {
		return code, msgPostcode
	}
	for i := 0; i < 4; i++ {
		if !isASCIIDigit(s[i]) {
			return code, msgPostcode
		}
		code[i] = s[i]
	}
	if s[0] == '0' {
		return code, msgPostcode
	}
	rest := strings.TrimLeft(s[4:], " ")
	if len(rest) != 2 || !isASCIILetter(rest[0]) || !isASCIILetter(rest[1]) {
		return code, msgPostcode
	}
	code[4], code[5] = rest[0]&^0x20, rest[1]&^0x20 // ASCII upper case
	if code[4] == 'S' && (code[5] == 'A' || code[5] == 'D' || code[5] == 'S') {
		return code, msgPostcodeLetter
	}
	return code, ""
}

type addition struct {
	b [maxAdditionLen]byte
	n int
}

// normalizeAddition trims, drops one leading '-' or '/' ("10-2", "10/2") and
// upper-cases; "" is no addition.
func normalizeAddition(s string) (addition, bool) {
	var a addition
	if len(s) > maxAdditionInput {
		return a, false
	}
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == '-' || s[0] == '/') {
		s = strings.TrimSpace(s[1:])
	}
	if len(s) > maxAdditionLen {
		return a, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isASCIIDigit(c):
		case isASCIILetter(c):
			c &^= 0x20
		default:
			return a, false
		}
		a.b[a.n] = c
		a.n++
	}
	return a, true
}

// parsePostalText reads a postal address written on one line, as in a
// query or a canonical value: "1234AB 10", "1234 ab 10", "1234 AB, 10-2",
// "1234ab 10a", "1234AB 10 bis". ok is false when s does not start with a
// postcode followed by a house number or nothing; the parts are not
// validated here (Postal does that), so "1234 SA 0" is ok and then invalid.
func parsePostalText(s string) (PostalAddress, bool) {
	if len(s) < 6 {
		return PostalAddress{}, false
	}
	for i := 0; i < 4; i++ {
		if !isASCIIDigit(s[i]) {
			return PostalAddress{}, false
		}
	}
	i := 4
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i+2 > len(s) || !isASCIILetter(s[i]) || !isASCIILetter(s[i+1]) {
		return PostalAddress{}, false
	}
	a := PostalAddress{Postcode: s[:i+2]}
	i += 2
	for i < len(s) && (s[i] == ' ' || s[i] == ',') {
		i++
	}
	if i == len(s) {
		return a, true // no house number: Postal reports it
	}
	if !isASCIIDigit(s[i]) {
		return PostalAddress{}, false
	}
	for ; i < len(s) && isASCIIDigit(s[i]); i++ {
		if a.HouseNumber <= maxHouseNumber {
			a.HouseNumber = a.HouseNumber*10 + int(s[i]-'0')
		}
	}
	a.Addition = s[i:]
	return a, true
}
