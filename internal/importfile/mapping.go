package importfile

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// kind is what a CSV column feeds.
type kind uint8

const (
	kNone kind = iota
	kExternalID
	kDisplayName
	kFirstName
	kInfix
	kLastName
	kPhone
	kEmail
	kSocial
	kPostcode
	kHouseNumber
	kAddition
	kLanguage
	kTags
	kNote
	kIgnore
)

var kindNames = [...]string{
	kNone:        "",
	kExternalID:  "external_id",
	kDisplayName: "display_name",
	kFirstName:   "first_name",
	kInfix:       "name_infix",
	kLastName:    "last_name",
	kPhone:       "phone",
	kEmail:       "email",
	kSocial:      "social",
	kPostcode:    "postcode",
	kHouseNumber: "house_number",
	kAddition:    "house_number_addition",
	kLanguage:    "preferred_language",
	kTags:        "tags",
	kNote:        "handover_note",
	kIgnore:      "ignore",
}

// repeatable kinds may be bound to several columns; each column gives its own
// identifier(s).
func (k kind) repeatable() bool { return k == kPhone || k == kEmail || k == kSocial || k == kIgnore }

// group: explicitly mapping one member turns automatic mapping off for the
// whole group (a name is built from display_name or from its parts; an
// address from its three parts).
func (k kind) group() kind {
	switch k {
	case kDisplayName, kFirstName, kInfix, kLastName:
		return kDisplayName
	case kPostcode, kHouseNumber, kAddition:
		return kPostcode
	}
	return k
}

// binding is what one header column feeds.
type binding struct {
	kind     kind
	platform herkenv1.SocialPlatform
	label    string
}

// ColumnMapping says what a header column was mapped to, for the command to
// show.
type ColumnMapping struct {
	Column string // the header cell
	Index  int    // 0-based column index
	Field  string // external_id, display_name, first_name, name_infix, last_name, phone, email, social:<platform>, postcode, house_number, house_number_addition, preferred_language, tags, handover_note
	Label  string // identifier label ("mobiel", "werk"), phone/email/social only
}

func (b binding) field() string {
	if b.kind == kSocial {
		return "social:" + platformName(b.platform)
	}
	return kindNames[b.kind]
}

// Mapping holds explicit column mappings, each "field=Column" or
// "field=Column (label)". Fields: external_id, display_name, first_name,
// name_infix (tussenvoegsel), last_name, phone, email, postcode,
// house_number, house_number_addition, preferred_language, tags,
// handover_note, a social platform (x, twitter, facebook, instagram,
// whatsapp, telegram, linkedin, tiktok, youtube, snapchat, threads, mastodon,
// or "social:<platform>"), and ignore (the column is not read). Dutch field
// names work too (klantnummer, naam, voornaam, tussenvoegsel, achternaam,
// telefoon, huisnummer, toevoeging, taal, notitie).
//
// phone, email, social and ignore may repeat; for the other fields a later
// entry replaces an earlier one (so flags given after a mapping file win).
// Mapping any field of a group turns automatic mapping off for that group:
// the name (display_name and its parts), the address (postcode, house
// number, addition), and each other field. The zero Mapping is empty.
type Mapping struct {
	entries []mapEntry
}

type mapEntry struct {
	b        binding
	column   string // as written, label part included
	hasLabel bool
	source   string // "mapping line 3" or "mapping \"phone=X\"" for errors
}

// ParseMapping parses "field=Column" specs (see Mapping).
func ParseMapping(specs ...string) (Mapping, error) {
	var m Mapping
	for _, s := range specs {
		if err := m.Add(s); err != nil {
			return Mapping{}, err
		}
	}
	return m, nil
}

// Add adds one "field=Column" or "field=Column (label)" spec.
func (m *Mapping) Add(spec string) error {
	return m.add(spec, fmt.Sprintf("mapping %q", spec))
}

// ReadMapping reads a mapping file: one "field=Column" per line; blank lines
// and lines starting with '#' are skipped. A UTF-8 BOM is allowed.
func ReadMapping(r io.Reader) (Mapping, error) {
	var m Mapping
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := m.add(line, fmt.Sprintf("mapping line %d", n)); err != nil {
			return Mapping{}, err
		}
	}
	if err := sc.Err(); err != nil {
		return Mapping{}, fmt.Errorf("importfile: reading mapping: %w", err)
	}
	return m, nil
}

// Len is the number of entries.
func (m Mapping) Len() int { return len(m.entries) }

func (m *Mapping) add(spec, source string) error {
	field, column, ok := strings.Cut(spec, "=")
	if !ok {
		return fmt.Errorf("importfile: %s: want field=Column", source)
	}
	field = strings.TrimSpace(field)
	column = strings.TrimSpace(column)
	b, ok := parseField(field)
	if !ok {
		return fmt.Errorf("importfile: %s: unknown field %q (want external_id, display_name, first_name, name_infix, last_name, phone, email, a social platform, postcode, house_number, house_number_addition, preferred_language, tags, handover_note or ignore)", source, field)
	}
	if column == "" {
		return fmt.Errorf("importfile: %s: no column after '='", source)
	}
	e := mapEntry{b: b, column: column, source: source}
	if _, _, ok := splitLabel(column); ok && (b.kind == kPhone || b.kind == kEmail || b.kind == kSocial) {
		// "Mobiel (mobiel)": a label, unless the header has a column
		// named exactly so (decided at Open).
		e.hasLabel = true
	}
	m.entries = append(m.entries, e)
	return nil
}

// splitLabel splits "Mobiel (mobiel)" into "Mobiel", "mobiel".
func splitLabel(s string) (column, label string, ok bool) {
	if !strings.HasSuffix(s, ")") {
		return s, "", false
	}
	i := strings.LastIndex(s, "(")
	if i < 0 {
		return s, "", false
	}
	column = strings.TrimSpace(s[:i])
	label = strings.TrimSpace(s[i+1 : len(s)-1])
	if column == "" {
		return s, "", false
	}
	return column, label, true
}

var fieldAliases = map[string]kind{
	"externalid": kExternalID, "id": kExternalID, "klantnummer": kExternalID, "key": kExternalID,
	"displayname": kDisplayName, "name": kDisplayName, "naam": kDisplayName,
	"firstname": kFirstName, "voornaam": kFirstName,
	"nameinfix": kInfix, "infix": kInfix, "tussenvoegsel": kInfix, "middlename": kInfix,
	"lastname": kLastName, "achternaam": kLastName, "surname": kLastName,
	"phone": kPhone, "phonenumber": kPhone, "telefoon": kPhone,
	"email":    kEmail,
	"postcode": kPostcode, "postalcode": kPostcode, "zip": kPostcode,
	"housenumber": kHouseNumber, "huisnummer": kHouseNumber,
	"housenumberaddition": kAddition, "addition": kAddition, "toevoeging": kAddition, "huisnummertoevoeging": kAddition,
	"preferredlanguage": kLanguage, "language": kLanguage, "taal": kLanguage,
	"tags": kTags, "labels": kTags,
	"handovernote": kNote, "note": kNote, "notitie": kNote, "notes": kNote,
	"ignore": kIgnore, "skip": kIgnore, "negeer": kIgnore,
}

var platforms = map[string]herkenv1.SocialPlatform{
	"x":         herkenv1.SocialPlatform_SOCIAL_PLATFORM_X,
	"twitter":   herkenv1.SocialPlatform_SOCIAL_PLATFORM_X,
	"facebook":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_FACEBOOK,
	"fb":        herkenv1.SocialPlatform_SOCIAL_PLATFORM_FACEBOOK,
	"instagram": herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM,
	"insta":     herkenv1.SocialPlatform_SOCIAL_PLATFORM_INSTAGRAM,
	"whatsapp":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_WHATSAPP,
	"telegram":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_TELEGRAM,
	"linkedin":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_LINKEDIN,
	"tiktok":    herkenv1.SocialPlatform_SOCIAL_PLATFORM_TIKTOK,
	"youtube":   herkenv1.SocialPlatform_SOCIAL_PLATFORM_YOUTUBE,
	"snapchat":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_SNAPCHAT,
	"threads":   herkenv1.SocialPlatform_SOCIAL_PLATFORM_THREADS,
	"mastodon":  herkenv1.SocialPlatform_SOCIAL_PLATFORM_MASTODON,
}

func platformName(p herkenv1.SocialPlatform) string {
	return strings.ToLower(strings.TrimPrefix(p.String(), "SOCIAL_PLATFORM_"))
}

func parseField(field string) (binding, bool) {
	f := strings.ToLower(strings.TrimSpace(field))
	if rest, ok := strings.CutPrefix(f, "social:"); ok {
		p, ok := platforms[normKey(rest)]
		return binding{kind: kSocial, platform: p}, ok
	}
	n := normKey(f)
	if k, ok := fieldAliases[n]; ok {
		return binding{kind: k}, true
	}
	if p, ok := platforms[n]; ok {
		return binding{kind: kSocial, platform: p}, true
	}
	return binding{}, false
}

var foldAccents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// normKey folds a header or field name for matching: accents removed,
// lowercased, only letters and digits kept ("E-mail adres" → "emailadres",
// "Téléphone" → "telephone").
func normKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		if t, _, err := transform.String(foldAccents, s); err == nil {
			s = t
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Automatic mapping: normalised header → kind. For singular kinds the rank
// (position in its list) decides between several candidate columns: the
// lower rank wins ("klantnummer" beats a generic "id").
var autoSingular = []struct {
	k       kind
	aliases []string
}{
	{kExternalID, []string{"externalid", "klantnummer", "klantnr", "klantid", "klantcode", "relatienummer", "relatienr", "relatiecode", "debiteurnummer", "debiteurnr", "crmid", "customerid", "customernumber", "customerno", "customernr", "clientid", "clientnumber", "accountnumber", "contactid", "recordid", "externeid", "id"}},
	{kDisplayName, []string{"displayname", "naam", "volledigenaam", "klantnaam", "weergavenaam", "contactnaam", "relatienaam", "name", "fullname", "customername", "contactname"}},
	{kFirstName, []string{"voornaam", "roepnaam", "firstname", "givenname", "voornamen"}},
	{kInfix, []string{"tussenvoegsel", "tussenvoegsels", "tussenv", "voorvoegsel", "middlename", "nameinfix", "infix"}},
	{kLastName, []string{"achternaam", "familienaam", "geslachtsnaam", "lastname", "surname", "familyname"}},
	{kPostcode, []string{"postcode", "postalcode", "zipcode", "zip", "pc"}},
	{kHouseNumber, []string{"huisnummer", "huisnr", "housenumber", "houseno", "housenr", "huisnummerincltoevoeging", "huisnummermettoevoeging"}},
	{kAddition, []string{"huisnummertoevoeging", "toevoeging", "huisnrtoevoeging", "toev", "housenumberaddition", "housenumbersuffix", "addition"}},
	{kLanguage, []string{"preferredlanguage", "voorkeurstaal", "taal", "language", "lang", "taalvoorkeur"}},
	{kTags, []string{"tags", "labels", "tag", "label", "segment", "segmenten", "segments"}},
	{kNote, []string{"handovernote", "notitie", "notities", "opmerking", "opmerkingen", "note", "notes", "memo", "comment", "comments", "overdrachtsnotitie"}},
}

var autoSingularIndex = func() map[string]struct {
	k    kind
	rank int
} {
	m := map[string]struct {
		k    kind
		rank int
	}{}
	for _, g := range autoSingular {
		for i, a := range g.aliases {
			m[a] = struct {
				k    kind
				rank int
			}{g.k, i}
		}
	}
	return m
}()

var phoneWords = map[string]bool{
	"telefoon": true, "telefoonnummer": true, "telefoonnr": true, "tel": true, "telnr": true, "telnummer": true,
	"phone": true, "phonenumber": true, "phoneno": true, "telephone": true, "telephonenumber": true,
	"mobiel": true, "mobielnummer": true, "mobielnr": true, "mobieltelefoon": true, "mobieletelefoon": true, "mobieltelefoonnummer": true,
	"mobile": true, "mobilenumber": true, "mobilephone": true, "mobilephonenumber": true, "mobileno": true,
	"gsm": true, "gsmnummer": true, "gsmnr": true, "cell": true, "cellphone": true, "cellular": true, "cellnumber": true,
}

var emailWords = map[string]bool{
	"email": true, "emailadres": true, "emailaddress": true, "mail": true, "mailadres": true, "mailaddress": true,
}

// labelWords may precede or follow a phone or email word ("Telefoon werk",
// "Work phone", "Email privé").
var labelWords = []struct{ word, label string }{
	{"werk", "werk"}, {"work", "werk"}, {"zakelijk", "werk"}, {"business", "werk"}, {"kantoor", "werk"}, {"office", "werk"},
	{"prive", ""}, {"thuis", ""}, {"home", ""}, {"personal", ""}, {"vast", ""}, {"vaste", ""},
	{"mobiel", "mobiel"}, {"mobile", "mobiel"}, {"gsm", "mobiel"}, {"cell", "mobiel"},
	{"alternatief", ""}, {"alternative", ""}, {"extra", ""}, {"tweede", ""}, {"second", ""}, {"other", ""}, {"overig", ""}, {"ander", ""},
}

var socialSuffixes = []string{"", "handle", "account", "url", "profiel", "profile", "profielurl", "profileurl", "naam", "name", "nummer", "number", "id", "link"}

// matchRepeatable reports whether a normalised header names a phone, email
// or social column, and the identifier label it implies.
func matchRepeatable(n string) (binding, bool) {
	base := strings.TrimRight(n, "0123456789")
	if base == "" {
		return binding{}, false
	}
	for _, words := range []struct {
		k kind
		m map[string]bool
	}{{kPhone, phoneWords}, {kEmail, emailWords}} {
		if words.m[base] {
			return binding{kind: words.k, label: impliedLabel(words.k, base)}, true
		}
		for _, l := range labelWords {
			lw, lab := l.word, l.label
			if rest, ok := strings.CutPrefix(base, lw); ok && words.m[rest] {
				return binding{kind: words.k, label: pick(words.k, lab, rest)}, true
			}
			if rest, ok := strings.CutSuffix(base, lw); ok && words.m[rest] {
				return binding{kind: words.k, label: pick(words.k, lab, rest)}, true
			}
		}
	}
	for name, p := range platforms {
		if name == "x" || name == "fb" || name == "insta" {
			continue
		}
		for _, suf := range socialSuffixes {
			if base == name+suf {
				return binding{kind: kSocial, platform: p}, true
			}
		}
	}
	switch n {
	case "x", "xhandle", "xaccount", "twitterx", "xtwitter":
		return binding{kind: kSocial, platform: herkenv1.SocialPlatform_SOCIAL_PLATFORM_X}, true
	}
	return binding{}, false
}

func pick(k kind, fromLabelWord, base string) string {
	if fromLabelWord != "" {
		if k == kEmail && fromLabelWord == "mobiel" {
			return ""
		}
		return fromLabelWord
	}
	return impliedLabel(k, base)
}

func impliedLabel(k kind, base string) string {
	if k != kPhone {
		return ""
	}
	for _, w := range []string{"mobiel", "mobile", "gsm", "cell"} {
		if strings.HasPrefix(base, w) {
			return "mobiel"
		}
	}
	return ""
}

// resolve maps header columns to bindings.
func resolve(header []string, m Mapping, auto bool) ([]binding, []string, error) {
	binds := make([]binding, len(header))
	explicit := make([]bool, len(header))
	var notes []string
	norms := make([]string, len(header))
	for i, h := range header {
		norms[i] = normKey(h)
	}

	// Explicit entries first.
	explicitGroups := map[kind]bool{}
	singular := map[kind]int{} // kind → column index of the (last) explicit entry
	for _, e := range m.entries {
		col, label, hasLabel, err := findColumn(header, norms, e)
		if err != nil {
			return nil, nil, err
		}
		b := e.b
		if hasLabel {
			b.label = label
		} else if b.kind == kPhone || b.kind == kEmail {
			if ab, ok := matchRepeatable(norms[col]); ok && ab.kind == b.kind {
				b.label = ab.label
			}
		}
		if b.kind != kIgnore {
			explicitGroups[b.kind.group()] = true
		}
		if !b.kind.repeatable() {
			if prev, ok := singular[b.kind]; ok && prev != col {
				binds[prev] = binding{}
				explicit[prev] = false
			}
			singular[b.kind] = col
		}
		binds[col] = b
		explicit[col] = true
	}

	if auto {
		type cand struct{ col, rank int }
		best := map[kind]cand{}
		var tieErr error
		var losers []string
		for i, n := range norms {
			if explicit[i] || n == "" {
				continue
			}
			if s, ok := autoSingularIndex[n]; ok {
				if explicitGroups[s.k.group()] {
					continue
				}
				c, seen := best[s.k]
				switch {
				case !seen || s.rank < c.rank:
					if seen {
						losers = append(losers, fmt.Sprintf("column %s not used: column %s is the %s", quoteCol(header[c.col]), quoteCol(header[i]), kindNames[s.k]))
					}
					best[s.k] = cand{i, s.rank}
				case s.rank == c.rank:
					if tieErr == nil {
						tieErr = fmt.Errorf("importfile: columns %d (%s) and %d (%s) both look like %s; map one explicitly (%s=COLUMN) or ignore one (ignore=COLUMN)",
							c.col+1, quoteCol(header[c.col]), i+1, quoteCol(header[i]), kindNames[s.k], kindNames[s.k])
					}
				default:
					losers = append(losers, fmt.Sprintf("column %s not used: column %s is the %s", quoteCol(header[i]), quoteCol(header[c.col]), kindNames[s.k]))
				}
				continue
			}
			if b, ok := matchRepeatable(n); ok && !explicitGroups[b.kind] {
				binds[i] = b
			}
		}
		if tieErr != nil {
			return nil, nil, tieErr
		}
		for k, c := range best {
			binds[c.col] = binding{kind: k}
		}
		sort.Strings(losers)
		notes = append(notes, losers...)
	}

	hasID := false
	for _, b := range binds {
		if b.kind == kExternalID {
			hasID = true
		}
	}
	if !hasID {
		return nil, nil, fmt.Errorf("importfile: no column for external_id, the key of the import (looked for klantnummer, relatienummer, customer_id, id, ...; the header has %d columns); map one with external_id=COLUMN", len(header))
	}
	var ignored []string
	for i, b := range binds {
		if b.kind == kNone && strings.TrimSpace(header[i]) != "" {
			ignored = append(ignored, quoteCol(header[i]))
		}
	}
	if len(ignored) > 0 {
		notes = append(notes, "columns not imported: "+strings.Join(ignored, ", "))
	}
	return binds, notes, nil
}

func findColumn(header, norms []string, e mapEntry) (col int, label string, hasLabel bool, err error) {
	try := func(name string) int {
		for i, h := range header {
			if strings.TrimSpace(h) == name {
				return i
			}
		}
		n := normKey(name)
		found := -1
		for i, hn := range norms {
			if hn == n && n != "" {
				if found >= 0 {
					return -2
				}
				found = i
			}
		}
		return found
	}
	col = try(e.column)
	if col == -1 && e.hasLabel {
		c, l, _ := splitLabel(e.column)
		col, label, hasLabel = try(c), l, true
	}
	switch col {
	case -1:
		return 0, "", false, fmt.Errorf("importfile: %s: the header has no column %q", e.source, e.column)
	case -2:
		return 0, "", false, fmt.Errorf("importfile: %s: several header columns match %q; use the exact header text", e.source, e.column)
	}
	return col, label, hasLabel, nil
}

// quoteCol quotes a header cell for a note, shortened: header cells are
// column names, not personal data, but keep notes readable.
func quoteCol(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
