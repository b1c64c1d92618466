package identity

// Kind is the kind of an identifier.
type Kind uint8

const (
	KindUnspecified Kind = iota
	KindPhone
	KindEmail
	KindSocial
	KindExternalID
	KindPostalAddress
)

var kindNames = [...]string{"unspecified", "phone", "email", "social", "external_id", "postal_address"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= KindPhone && k <= KindPostalAddress }

// Platform is a social platform. WhatsApp handles are phone numbers.
type Platform uint8

const (
	PlatformUnspecified Platform = iota
	PlatformX                    // formerly Twitter; twitter.com is an alias
	PlatformFacebook
	PlatformInstagram
	PlatformWhatsApp
	PlatformTelegram
	PlatformLinkedIn
	PlatformTikTok
	PlatformYouTube
	PlatformSnapchat
	PlatformThreads
	PlatformMastodon
	platformEnd
)

// platformNames are the canonical prefixes in "platform:handle" and the
// names accepted in free-form queries. Never change a value: they are part
// of canonical social identifiers, which stores keep.
var platformNames = [...]string{"", "x", "facebook", "instagram", "whatsapp", "telegram", "linkedin", "tiktok", "youtube", "snapchat", "threads", "mastodon"}

func (p Platform) String() string {
	if p < platformEnd {
		return platformNames[p]
	}
	return "unknown"
}

// Valid reports whether p is one of the defined platforms.
func (p Platform) Valid() bool { return p > PlatformUnspecified && p < platformEnd }

// Identifier is an identifier in canonical form: the only form that is stored,
// indexed and compared. Build one with a Normalizer; the zero value is invalid.
//
// Value holds, per kind:
//   - phone: E.164, "+31612345678"
//   - email: lowercase local part and lowercase punycode domain, "jan@xn--bcher-kva.nl"
//   - social: "platform:handle", "x:jandevries", "whatsapp:+31612345678"
//   - external id: the trimmed id as the CRM spells it, "K-100234"
//   - postal address: "1234AB 10" or "1234AB 10 A" (postcode, house number, addition)
type Identifier struct {
	Kind     Kind
	Platform Platform // social only
	Value    string
}

// Shareable reports whether several customers may hold this identifier: a
// household landline, a family email address or a shared postal address. An
// external CRM id and a personal social handle belong to one customer only.
func (id Identifier) Shareable() bool {
	switch id.Kind {
	case KindPhone, KindEmail, KindPostalAddress:
		return true
	case KindSocial:
		return id.Platform == PlatformWhatsApp // WhatsApp is a phone number, often a family phone
	default:
		return false
	}
}

// IsZero reports whether id is the zero Identifier.
func (id Identifier) IsZero() bool { return id.Kind == KindUnspecified }

// PostalAddress is the structured input for a Dutch postal address.
type PostalAddress struct {
	Postcode    string // "1234 AB", "1234ab"
	HouseNumber int    // 1..99999
	Addition    string // "A", "-2", "bis", "hs"; optional
}

// Input is an identifier as a client sent it, before normalisation. Exactly one
// of the fields is set; Kind says which. KindUnspecified with Query set means a
// free-form string whose kind must be detected.
type Input struct {
	Kind     Kind
	Platform Platform      // with KindSocial; PlatformUnspecified means "detect from a URL or prefix"
	Value    string        // phone, email, social handle or URL, external id
	Postal   PostalAddress // with KindPostalAddress
	Query    string        // free-form, with KindUnspecified
}

// Normalized is the result of normalising one Input.
type Normalized struct {
	Identifier Identifier
	// Withheld is true for a caller id that carries no number ("anonymous",
	// "private", empty, all zeros...). Identifier is zero then: a withheld
	// caller can never be matched or linked.
	Withheld bool
	// Extension is a phone extension found in the input ("x123", ";ext=123").
	// It is dropped from the identifier (the line identifies the customer, not
	// the desk) but returned so a client can show it.
	Extension string
}
