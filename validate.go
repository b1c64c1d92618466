package herken

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// cleanLine trims a one-line text field and checks it: valid UTF-8, no
// control characters, at most max runes.
func cleanLine(s, field string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkText(s, field, max, false); err != nil {
		return "", err
	}
	return s, nil
}

// cleanText is cleanLine for multi-line notes: newlines and tabs are allowed.
func cleanText(s, field string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkText(s, field, max, true); err != nil {
		return "", err
	}
	return s, nil
}

func checkText(s, field string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return invalid(ReasonFieldInvalid, field, "must be valid UTF-8")
	}
	n := 0
	for _, r := range s {
		n++
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return invalid(ReasonFieldInvalid, field, "must not contain control characters")
		}
	}
	if n > max {
		e := invalid(ReasonFieldTooLong, field, "at most %d characters", max)
		e.Metadata = map[string]string{"limit": strconv.Itoa(max)}
		return e
	}
	return nil
}

// canonicalLanguage returns the canonical BCP 47 form of tag ("NL" → "nl",
// "nl_be" → "nl-BE") or "" for "".
func canonicalLanguage(tag string) (string, error) {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return "", nil
	}
	if len(tag) > 35 {
		return "", invalid(ReasonFieldInvalid, "preferred_language", "must be a BCP 47 language tag")
	}
	t, err := language.Parse(strings.ReplaceAll(tag, "_", "-"))
	if err != nil {
		return "", invalid(ReasonFieldInvalid, "preferred_language", "must be a BCP 47 language tag")
	}
	return t.String(), nil
}

// cleanTags lowercases, trims and de-duplicates tags, keeping their order.
func cleanTags(tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, tooMany("tags", MaxTags)
	}
	out := make([]string, 0, len(tags))
	for i, t := range tags {
		field := "tags[" + strconv.Itoa(i) + "]"
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			return nil, invalid(ReasonFieldInvalid, field, "must not be empty")
		}
		if utf8.RuneCountInString(t) > MaxTagRunes {
			e := invalid(ReasonFieldTooLong, field, "at most %d characters", MaxTagRunes)
			e.Metadata = map[string]string{"limit": strconv.Itoa(MaxTagRunes)}
			return nil, e
		}
		for _, r := range t {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_:.", r)) {
				return nil, invalid(ReasonFieldInvalid, field, "only letters, digits, '-', '_', ':' and '.' are allowed")
			}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func tooMany(field string, max int) *Error {
	e := invalid(ReasonTooManyValues, field, "at most %d values", max)
	e.Metadata = map[string]string{"limit": strconv.Itoa(max)}
	return e
}

func enumInvalid(field string) *Error {
	return invalid(ReasonEnumInvalid, field, "required; must be one of the documented values")
}
