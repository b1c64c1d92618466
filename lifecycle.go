package herken

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The rules of a customer's life after creation: what an update may touch,
// how two customers merge and split, how names are compared. Stores apply
// what these return; they decide nothing themselves.

// CustomerField is one editable field of a customer.
type CustomerField uint8

const (
	FieldDisplayName CustomerField = 1 << iota
	FieldPreferredLanguage
	FieldTags
	FieldHandoverNote

	AllCustomerFields = FieldDisplayName | FieldPreferredLanguage | FieldTags | FieldHandoverNote
)

// customerFieldPaths are the API paths of the editable fields (update_mask,
// take_from_merged).
var customerFieldPaths = map[string]CustomerField{
	"display_name":       FieldDisplayName,
	"preferred_language": FieldPreferredLanguage,
	"tags":               FieldTags,
	"handover_note":      FieldHandoverNote,
}

// CustomerFieldForPath returns the field an API path names; ok is false for
// an unknown or output-only path.
func CustomerFieldForPath(path string) (CustomerField, bool) {
	f, ok := customerFieldPaths[path]
	return f, ok
}

// copyFields sets the fields of dst named by set to src's values.
func copyFields(dst *Customer, src Customer, set CustomerField) {
	if set&FieldDisplayName != 0 {
		dst.DisplayName = src.DisplayName
	}
	if set&FieldPreferredLanguage != 0 {
		dst.PreferredLanguage = src.PreferredLanguage
	}
	if set&FieldTags != 0 {
		dst.Tags = slices.Clone(src.Tags)
	}
	if set&FieldHandoverNote != 0 {
		dst.HandoverNote = src.HandoverNote
	}
}

// joinTags is a's tags, then b's not in a, at most MaxTags.
func joinTags(a, b []string) []string {
	out := slices.Clone(a)
	for _, t := range b {
		if len(out) < MaxTags && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// PlanMerge returns the survivor's record after merged is merged into it at
// now, and the event for its history (ID set). For fields both have the
// survivor's value wins unless take names the field; a field only merged
// has is taken; tags are joined, the survivor's first, at most MaxTags
// (take's FieldTags replaces them with merged's). take only applies where
// merged has a value. The merged customer's
// identifiers are appended with MergedFrom set, except those the survivor
// holds already; more than MaxIdentifiers together is ErrIdentifierLimit.
func PlanMerge(survivor, merged Customer, take CustomerField, now time.Time) (Customer, Interaction, error) {
	out := survivor
	out.Tags = slices.Clone(survivor.Tags)
	out.Identifiers = slices.Clone(survivor.Identifiers)
	// take applies where the merged customer has a value: taking an empty
	// field would only blank the survivor's.
	if out.DisplayName == "" || take&FieldDisplayName != 0 && merged.DisplayName != "" {
		out.DisplayName = merged.DisplayName
	}
	if out.PreferredLanguage == "" || take&FieldPreferredLanguage != 0 && merged.PreferredLanguage != "" {
		out.PreferredLanguage = merged.PreferredLanguage
	}
	if out.HandoverNote == "" || take&FieldHandoverNote != 0 && merged.HandoverNote != "" {
		out.HandoverNote = merged.HandoverNote
	}
	if take&FieldTags != 0 && len(merged.Tags) > 0 {
		out.Tags = slices.Clone(merged.Tags)
	} else {
		out.Tags = joinTags(survivor.Tags, merged.Tags)
	}
	for _, l := range merged.Identifiers {
		if out.HasIdentifier(l.Identifier) {
			continue
		}
		l.MergedFrom = merged.ID
		out.Identifiers = append(out.Identifiers, l)
	}
	if len(out.Identifiers) > MaxIdentifiers {
		return Customer{}, Interaction{}, ErrIdentifierLimit
	}
	out.RecordContact(Interaction{Channel: merged.LastContactChannel, OccurTime: merged.LastContactTime})
	out.Revision++
	out.UpdateTime = now
	event := Interaction{
		ID: NewID(), CustomerID: survivor.ID, Channel: ChannelSystem, Direction: DirectionInbound,
		Outcome: OutcomeResolved, OccurTime: now, CreateTime: now,
		Summary: "Klant " + merged.ID + " samengevoegd met deze klant (merged into this customer).",
	}
	return out, event, nil
}

// PlanUnmerge returns the survivor's and the merged customer's records after
// the merge rec describes is undone at now, from the survivor as stored now:
//   - the merged customer comes back as rec.Merged (same revision: it was
//     not changed while merged away), with the identifiers the survivor
//     still holds of it: those it brought (current provenance, MergedFrom
//     as it was in rec.Merged) and those both held (the survivor keeps its
//     own; an exclusive one the survivor holds as its own again — it was
//     removed and linked anew after the merge — stays with the survivor).
//     An identifier the survivor lost since the merge stays removed. Its
//     UpdateTime is now, so that a sync by update time sees it return.
//   - the survivor loses the identifiers marked MergedFrom rec.Merged.ID;
//     each editable field the merge changed returns to its value before
//     the merge unless it was changed again since (it still holds what the
//     merge wrote); its last contact returns to before the merge (the
//     store adds contacts recorded since).
func PlanUnmerge(rec MergeRecord, survivor Customer, now time.Time) (Customer, Customer, error) {
	merged := rec.Merged
	merged.Tags = slices.Clone(rec.Merged.Tags)
	merged.Identifiers = nil
	merged.UpdateTime = now
	for _, l := range rec.Merged.Identifiers {
		i := survivor.IdentifierIndex(l.Identifier)
		switch {
		case i < 0:
			continue // removed from the survivor after the merge
		case survivor.Identifiers[i].MergedFrom == rec.Merged.ID:
			// Current provenance; MergedFrom as in the record, so that one
			// brought by a customer merged into rec.Merged earlier can go
			// back to that customer when its merge is undone too.
			from := l.MergedFrom
			l = survivor.Identifiers[i]
			l.MergedFrom = from
		case !l.Shareable():
			continue // the survivor's own now: one holder only
		}
		merged.Identifiers = append(merged.Identifiers, l)
	}
	out := survivor
	out.Identifiers = nil
	for _, l := range survivor.Identifiers {
		if l.MergedFrom != rec.Merged.ID {
			out.Identifiers = append(out.Identifiers, l)
		}
	}
	restoreMergedFields(&out, rec)
	out.LastContactTime, out.LastContactChannel = rec.SurvivorBefore.LastContactTime, rec.SurvivorBefore.LastContactChannel
	out.Revision++
	out.UpdateTime = now
	return out, merged, nil
}

// restoreMergedFields puts back the survivor's values from before the merge
// in every field that still holds what the merge wrote there: the merged
// customer's value, or for tags the joined list or the merged customer's.
// A field edited after the merge keeps its edit.
func restoreMergedFields(c *Customer, rec MergeRecord) {
	before, m := rec.SurvivorBefore, rec.Merged
	if c.DisplayName != before.DisplayName && c.DisplayName == m.DisplayName {
		c.DisplayName = before.DisplayName
	}
	if c.PreferredLanguage != before.PreferredLanguage && c.PreferredLanguage == m.PreferredLanguage {
		c.PreferredLanguage = before.PreferredLanguage
	}
	if c.HandoverNote != before.HandoverNote && c.HandoverNote == m.HandoverNote {
		c.HandoverNote = before.HandoverNote
	}
	if !slices.Equal(c.Tags, before.Tags) && (slices.Equal(c.Tags, joinTags(before.Tags, m.Tags)) || slices.Equal(c.Tags, m.Tags)) {
		c.Tags = slices.Clone(before.Tags)
	}
}

// MaxIndexedPrefixRunes is the longest name prefix a store indexes; a longer
// query is narrowed by its first MaxIndexedPrefixRunes and decided by
// CustomerQuery.Matches.
const MaxIndexedPrefixRunes = 32

// NamePrefixes returns the prefixes a store indexes for display-name
// search: every prefix of 1 to MaxIndexedPrefixRunes runes of each word of
// the folded name ("mehmet yilmaz": "m" … "mehmet", and "y" … "yilmaz"),
// without duplicates. An agent types a surname as often as a first name.
// Prefixes stay within a word: "van den hendriks" indexes 14 prefixes, not
// the 37 that spanning words would (the index is most of what creating a
// customer writes); a query of several words is found through one of them
// (IndexedPrefix) and matched on the rest by reading the records.
func NamePrefixes(displayName string) []string {
	f := FoldName(displayName)
	var out []string
	seen := map[string]bool{}
	for w := range strings.SplitSeq(f, " ") {
		n := 0
		for i := range w {
			if n == MaxIndexedPrefixRunes {
				break
			}
			if i > 0 && !seen[w[:i]] {
				seen[w[:i]] = true
				out = append(out, w[:i])
			}
			n++
		}
		if p := IndexedPrefix(w); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// wordStarts returns the byte offsets where words of a folded name start.
func wordStarts(folded string) []int {
	if folded == "" {
		return nil
	}
	starts := []int{0}
	for i := 1; i < len(folded); i++ {
		if folded[i-1] == ' ' {
			starts = append(starts, i)
		}
	}
	return starts
}

// NameHasPrefix reports whether a folded name, or a word in it, starts
// with the folded prefix: the rule of ListCustomers' display_name_prefix.
func NameHasPrefix(folded, prefix string) bool {
	for _, s := range wordStarts(folded) {
		if strings.HasPrefix(folded[s:], prefix) {
			return true
		}
	}
	return false
}

// IndexedPrefix is what a store looks up in its name index for a folded
// query prefix: its longest word (the most selective; any word of the
// query starts a word of every name it matches), at most
// MaxIndexedPrefixRunes runes. The store then keeps the customers whose
// name NameHasPrefix the whole query.
func IndexedPrefix(folded string) string {
	best := ""
	for w := range strings.SplitSeq(folded, " ") {
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(best) {
			best = w
		}
	}
	n := 0
	for i := range best {
		if n == MaxIndexedPrefixRunes {
			return best[:i]
		}
		n++
	}
	return best
}

// foldSpecial maps letters that Unicode decomposition leaves alone to what
// a Dutch agent types for them.
var foldSpecial = strings.NewReplacer("ı", "i", "ß", "ss", "ø", "o", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ĳ", "ij")

// FoldName is the form display names are compared in: lowercase, without
// accents, with runs of spaces as one space and no leading or trailing
// space. "  Yılmaz " and "yilmaz" fold alike, as do "De  Vries" and "de
// vries".
func FoldName(s string) string {
	if f, ok := foldASCII(s); ok {
		return f
	}
	return foldFull(s)
}

// foldFull is FoldName by the Unicode transforms.
func foldFull(s string) string {
	s = strings.ToLower(s)
	s = foldSpecial.Replace(s)
	// A transform.Chain keeps state: one per call, never shared.
	marks := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	if t, _, err := transform.String(marks, s); err == nil {
		s = t
	}
	return strings.Join(strings.Fields(s), " ")
}

// foldASCII is FoldName for a name of printable ASCII, most of a Dutch
// customer base: lowercase and single spaces, without the Unicode
// transforms (which allocate kilobytes a call). ok is false for anything
// else, which takes the full path.
func foldASCII(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			space = len(b) > 0
			continue
		case c < 0x20 || c >= 0x7f:
			return "", false
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return string(b), true
}
