package identity

import "strings"

// External ids are customer numbers from a CRM. They are kept as the CRM
// spells them (case preserved: some CRMs are case-sensitive), only trimmed.
// Allowed: 1 to 128 bytes of ASCII letters, digits and . _ : / # -, which
// covers numeric ids, "K-100234", "SF:0015g00000XyZ12", UUIDs and URNs, and
// keeps ids free of spaces and characters that need escaping in keys and logs.

const maxExternalIDLen = 128

const msgExternalID = "external id must be 1 to 128 ASCII letters, digits or . _ : / # -"

// ExternalID normalises an external CRM id.
func (n *Normalizer) ExternalID(raw string) (Identifier, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Identifier{}, invalid(ReasonIdentifierMissing, fieldExternalID, "external id is required")
	}
	if len(s) > maxExternalIDLen {
		return Identifier{}, invalid(ReasonExternalIDInvalid, fieldExternalID, "%s", msgExternalID)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && strings.IndexByte("._:/#-", c) < 0 {
			return Identifier{}, invalid(ReasonExternalIDInvalid, fieldExternalID, "%s", msgExternalID)
		}
	}
	return Identifier{Kind: KindExternalID, Value: s}, nil
}
