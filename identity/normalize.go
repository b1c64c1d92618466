package identity

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Normalisation turns what a client sent into the one canonical Identifier
// that is stored and compared (the table "Identifier kinds and their
// canonical forms" in README.md). It is pure: no I/O, no clock, no mutable
// package state. Error messages name the rule that failed and never echo
// the input (it is personal data).
//
// The code is split by kind: normalize_phone.go, normalize_email.go,
// normalize_social.go, normalize_external.go, normalize_postal.go and
// normalize_query.go (kind detection for free-form strings); fastphone.go
// is the lookup fast path for plainly written phone numbers.

// Proto field names used in errors, relative to the identifier input message.
const (
	fieldPhone          = "phone_number"
	fieldEmail          = "email"
	fieldSocialHandle   = "social_handle.handle"
	fieldSocialPlatform = "social_handle.platform"
	fieldExternalID     = "external_id"
	fieldPostcode       = "postal_address.postcode"
	fieldHouseNumber    = "postal_address.house_number"
	fieldAddition       = "postal_address.house_number_addition"
	fieldQuery          = "query"
)

// NormalizerConfig configures normalisation.
type NormalizerConfig struct {
	DefaultRegion string // ISO 3166-1 alpha-2 region for national phone numbers; "" means "NL"
}

// Normalizer normalises identifiers. It is immutable and safe for concurrent
// use; build one at start-up and share it.
type Normalizer struct {
	region string // upper-case ISO 3166-1 alpha-2, known to phonenumbers
	// fastCC is the region's country code as digits when the region dials
	// "0" nationally and "00" internationally (most of Europe), enabling
	// the lookup fast path (FastPhone); "" otherwise.
	fastCC string
}

// NewNormalizer returns a Normalizer for cfg. The region must be one that the
// phone number metadata knows ("NL", "BE", "DE", ...); case is ignored.
func NewNormalizer(cfg NormalizerConfig) (*Normalizer, error) {
	region := strings.ToUpper(strings.TrimSpace(cfg.DefaultRegion))
	if region == "" {
		region = "NL"
	}
	if len(region) != 2 || phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return nil, invalid(ReasonRegionInvalid, "default_region",
			"region must be an ISO 3166-1 alpha-2 code with phone numbering metadata")
	}
	// Warm up: phonenumbers compiles its regular expressions on first use,
	// which would otherwise land on the first call of the day.
	if ex := phonenumbers.GetExampleNumber(region); ex != nil {
		phonenumbers.IsValidNumber(ex)
		_, _ = phonenumbers.Parse(phonenumbers.Format(ex, phonenumbers.NATIONAL), region)
	}
	n := &Normalizer{region: region}
	if phonenumbers.GetNddPrefixForRegion(region, true) == "0" && dialsDoubleZero(region) {
		n.fastCC = strconv.Itoa(phonenumbers.GetCountryCodeForRegion(region))
	}
	return n, nil
}

// Region is the default region for national phone numbers, e.g. "NL".
func (n *Normalizer) Region() string { return n.region }

// Normalize normalises one client input. Errors are *Error with
// CodeInvalidArgument, a Reason constant and Field set to the proto field of
// the input that is wrong. Empty input of a typed kind is IDENTIFIER_MISSING,
// except a phone number, where empty means the caller id is withheld.
func (n *Normalizer) Normalize(in Input) (Normalized, error) {
	switch in.Kind {
	case KindUnspecified:
		return n.Query(in.Query)
	case KindPhone:
		return n.Phone(in.Value)
	case KindEmail:
		return wrap(n.Email(in.Value))
	case KindSocial:
		return wrap(n.Social(in.Platform, in.Value))
	case KindExternalID:
		return wrap(n.ExternalID(in.Value))
	case KindPostalAddress:
		return wrap(n.Postal(in.Postal))
	default:
		return Normalized{}, invalid(ReasonEnumInvalid, "kind", "identifier kind is not one of the defined kinds")
	}
}

func wrap(id Identifier, err error) (Normalized, error) {
	if err != nil {
		return Normalized{}, err
	}
	return Normalized{Identifier: id}, nil
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
// prefix must be lower-case ASCII.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases the ASCII letters of s, returning s itself (no
// allocation) when it has none.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isLowerAlnum(c byte) bool  { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// dialsDoubleZero reports whether "00" is the international prefix in
// region, by parsing the region's example number written that way.
func dialsDoubleZero(region string) bool {
	ex := phonenumbers.GetExampleNumber(region)
	if ex == nil {
		return false
	}
	nsn := phonenumbers.GetNationalSignificantNumber(ex)
	cc := strconv.Itoa(int(ex.GetCountryCode()))
	got, err := phonenumbers.Parse("00"+cc+nsn, region)
	return err == nil && got.GetCountryCode() == ex.GetCountryCode() && phonenumbers.GetNationalSignificantNumber(got) == nsn
}
