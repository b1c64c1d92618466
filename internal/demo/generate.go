package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Shares of generated customers, per mille unless noted.
const (
	pMobile        = 950
	pLandline      = 350
	pEmail         = 800
	pSocial        = 250
	pSecondSocial  = 50  // of those with a social handle
	pWhatsApp      = 100 // of those with a mobile: the mobile as WhatsApp handle
	pExternalID    = 600
	pPostal        = 500
	pHouseholds    = 30  // customers sharing a household landline
	pHouseholdPost = 600 // households with a known address
	pFamilyEmail   = 250 // households with a shared family e-mail address
	pNote          = 60
	meanContacts   = 4.0
	maxContacts    = 12
	historyDays    = 540 // about 18 months
	newCustomerDay = 60  // history window of a "nieuwe-klant"
	maxAttempts    = 64  // tries for a valid, unused identifier
)

type weighted[T any] struct {
	v T
	w int
}

func pick[T any](r *rand.Rand, ws []weighted[T]) T {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.w {
			return w.v
		}
		n -= w.w
	}
	panic("unreachable")
}

func oneOf[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// chance reports true with probability perMille/1000.
func chance(r *rand.Rand, perMille int) bool { return r.IntN(1000) < perMille }

var channels = []weighted[herken.Channel]{
	{herken.ChannelPhone, 38}, {herken.ChannelEmail, 18}, {herken.ChannelChat, 13},
	{herken.ChannelWhatsApp, 11}, {herken.ChannelSMS, 6}, {herken.ChannelWeb, 5},
	{herken.ChannelStore, 4}, {herken.ChannelSocial, 3}, {herken.ChannelLetter, 2},
}

var outcomes = []weighted[herken.Outcome]{
	{resolved, 72}, {followUp, 15}, {escalated, 6}, {transferred, 7},
}

// casePerMille is how often a contact with an outcome gets a case reference.
var casePerMille = map[herken.Outcome]int{resolved: 150, followUp: 700, escalated: 1000, transferred: 200}

// outboundPerMille is how often a contact on a channel was started by us.
var outboundPerMille = map[herken.Channel]int{
	herken.ChannelPhone: 150, herken.ChannelEmail: 200, herken.ChannelWhatsApp: 100,
	herken.ChannelSMS: 700, herken.ChannelSocial: 100, herken.ChannelLetter: 500,
}

// household is a landline shared by two or three generated customers, with
// the surname, address and family e-mail they may share.
type household struct {
	size     int
	created  int
	origin   origin
	surname  string
	landline identity.Normalized
	postal   *identity.Normalized
	family   *identity.Normalized
}

type person struct {
	origin       origin
	first, last  string // last is the full surname, with tussenvoegsels
	female       bool
	slugFirst    string
	slugLast     string // "devries"
	slugLastWord string // "vries"
}

func (s *seeder) generate(n int) error {
	households := s.planHouseholds(n)
	for i := range n {
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("demo: generated customer %d: %w", i+1, err)
		}
		if err := s.generateCustomer(i+1, households[i]); err != nil {
			return err
		}
	}
	return nil
}

// planHouseholds picks which generated customers share a landline: about
// pHouseholds per mille of them, in groups of two or three.
func (s *seeder) planHouseholds(n int) []*household {
	plan := make([]*household, n)
	members := (n*pHouseholds + 500) / 1000
	if members < 2 {
		return plan
	}
	perm := s.r.Perm(n)
	k := 0
	for members-k >= 2 {
		size := 2
		if chance(s.r, 300) {
			size = 3
		}
		size = min(size, members-k)
		if members-k-size == 1 { // never leave one member alone
			if size == 2 {
				size = 3
			} else {
				size = 2
			}
		}
		h := &household{size: size}
		for range size {
			plan[perm[k]] = h
			k++
		}
	}
	return plan
}

func (s *seeder) pickOrigin() origin {
	n := s.r.IntN(1000)
	for o, w := range originWeights {
		if n < w {
			return origin(o)
		}
		n -= w
	}
	return originDutch
}

func (s *seeder) person(o origin, surname string) person {
	pool := &namePools[o]
	p := person{origin: o, female: s.r.IntN(2) == 0, last: surname}
	if p.female {
		p.first = oneOf(s.r, pool.female)
	} else {
		p.first = oneOf(s.r, pool.male)
	}
	if p.last == "" {
		p.last = oneOf(s.r, pool.surnames)
	}
	p.slugFirst = slug(p.first)
	p.slugLast = slug(p.last)
	p.slugLastWord = slug(lastWord(p.last))
	return p
}

func (s *seeder) generateCustomer(no int, h *household) error {
	who := fmt.Sprintf("generated customer %d", no)
	r := s.r

	var p person
	switch {
	case h == nil:
		p = s.person(s.pickOrigin(), "")
	case h.created == 0:
		if err := s.initHousehold(h); err != nil {
			return fmt.Errorf("demo: %s: household: %w", who, err)
		}
		p = s.person(h.origin, h.surname)
	default:
		o, surname := h.origin, h.surname
		if chance(r, 300) { // a partner who kept their own name
			surname = ""
			if chance(r, 300) {
				o = s.pickOrigin()
			}
		}
		p = s.person(o, surname)
	}
	if h != nil {
		h.created++
	}

	tags := s.tags()
	var ids []identity.Normalized
	add := func(nz identity.Normalized, err error, what string) error {
		if err != nil {
			return fmt.Errorf("demo: %s: %s: %w", who, what, err)
		}
		ids = append(ids, nz)
		return nil
	}

	var mobile string // raw mobile number, for a WhatsApp handle
	if chance(r, pMobile) {
		nz, raw, err := s.mobile()
		if err := add(nz, err, "mobile"); err != nil {
			return err
		}
		mobile = raw
	}
	if h != nil {
		ids = append(ids, h.landline)
	} else if chance(r, pLandline) {
		nz, err := s.landline()
		if err := add(nz, err, "landline"); err != nil {
			return err
		}
	}
	foreign := 35
	if p.origin == originExpat {
		foreign = 350
	}
	if chance(r, foreign) {
		nz, err := s.foreignPhone(p.origin)
		if err := add(nz, err, "foreign phone"); err != nil {
			return err
		}
	}
	if chance(r, pEmail) {
		nz, err := s.email(p)
		if err := add(nz, err, "email"); err != nil {
			return err
		}
	}
	if h != nil && h.family != nil {
		ids = append(ids, *h.family)
	}
	if chance(r, pSocial) {
		nz, err := s.social(p, s.platform(tags))
		if err := add(nz, err, "social handle"); err != nil {
			return err
		}
		if chance(r, pSecondSocial) {
			nz, err := s.social(p, s.platform(tags))
			if err := add(nz, err, "social handle"); err != nil {
				return err
			}
		}
	}
	if mobile != "" && chance(r, pWhatsApp) {
		nz, err := s.fresh("whatsapp handle", func(int) identity.Input { return social(identity.PlatformWhatsApp, mobile) })
		if err := add(nz, err, "whatsapp"); err != nil {
			return err
		}
	}
	if chance(r, pExternalID) {
		nz, err := s.fresh("external id", func(int) identity.Input {
			return identity.Input{Kind: identity.KindExternalID, Value: fmt.Sprintf("K-1%05d", r.IntN(100_000))}
		})
		if err := add(nz, err, "external id"); err != nil {
			return err
		}
	}
	if h != nil && h.postal != nil && chance(r, 850) {
		ids = append(ids, *h.postal)
	} else if chance(r, pPostal) {
		nz, err := s.postal()
		if err := add(nz, err, "postal address"); err != nil {
			return err
		}
	}
	if len(ids) == 0 { // everyone can be recognised by something
		nz, _, err := s.mobile()
		if err := add(nz, err, "mobile"); err != nil {
			return err
		}
	}

	id, err := s.create(who, herken.NewCustomer{
		DisplayName:       s.displayName(p, tags),
		PreferredLanguage: s.language(p.origin),
		Tags:              tags,
		HandoverNote:      s.note(tags),
		Identifiers:       ids,
	})
	if err != nil {
		return err
	}
	return s.history(who, id, tags)
}

func (s *seeder) initHousehold(h *household) error {
	h.origin = s.pickOrigin()
	h.surname = oneOf(s.r, namePools[h.origin].surnames)
	var err error
	if h.landline, err = s.landline(); err != nil {
		return fmt.Errorf("landline: %w", err)
	}
	if chance(s.r, pHouseholdPost) {
		nz, err := s.postal()
		if err != nil {
			return fmt.Errorf("postal address: %w", err)
		}
		h.postal = &nz
	}
	if chance(s.r, pFamilyEmail) {
		base := slug(h.surname)
		nz, err := s.fresh("family email", func(attempt int) identity.Input {
			local := oneOf(s.r, []string{"fam.", "familie", "fam"}) + base
			if attempt > 0 {
				local += fmt.Sprint(s.r.IntN(100))
			}
			return email(local + "@" + oneOf(s.r, []string{"ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl", "hetnet.nl"}))
		})
		if err != nil {
			return fmt.Errorf("family email: %w", err)
		}
		h.family = &nz
	}
	return nil
}

// fresh normalises inputs from gen until one is valid and not yet used, and
// marks it used. Invalid candidates (a number outside the allocated ranges,
// say) are simply skipped: the normaliser is the judge.
func (s *seeder) fresh(what string, gen func(attempt int) identity.Input) (identity.Normalized, error) {
	var last error
	for attempt := range maxAttempts {
		nz, err := s.svc.Normalize(gen(attempt))
		if err != nil {
			last = err
			continue
		}
		if nz.Withheld {
			continue
		}
		if _, taken := s.used[nz.Identifier]; taken {
			continue
		}
		s.used[nz.Identifier] = struct{}{}
		return nz, nil
	}
	if last != nil {
		return identity.Normalized{}, fmt.Errorf("no valid, unused %s in %d attempts: %w", what, maxAttempts, last)
	}
	return identity.Normalized{}, fmt.Errorf("no unused %s in %d attempts", what, maxAttempts)
}

// mobile returns a Dutch mobile number (06-1x to 06-5x) and the raw form it
// was written in.
func (s *seeder) mobile() (identity.Normalized, string, error) {
	r := s.r
	var raw string
	nz, err := s.fresh("mobile number", func(int) identity.Input {
		d := fmt.Sprintf("%d%07d", 1+r.IntN(5), r.IntN(10_000_000))
		switch r.IntN(10) {
		case 0, 1, 2:
			raw = "06-" + d
		case 3, 4:
			raw = "06" + d
		case 5:
			raw = "06 " + d[:4] + " " + d[4:]
		case 6, 7:
			raw = "+31 6 " + d
		case 8:
			raw = "+316" + d
		default:
			raw = "0031 6 " + d[:2] + " " + d[2:5] + " " + d[5:]
		}
		return phone(raw)
	})
	return nz, raw, err
}

// landline returns a Dutch fixed-line number with a real area code.
func (s *seeder) landline() (identity.Normalized, error) {
	r := s.r
	return s.fresh("landline", func(int) identity.Input {
		ac := oneOf(r, areaCodes)
		n := 10 - len(ac) // national numbers have 9 digits after the 0
		sub := fmt.Sprintf("%d%0*d", 2+r.IntN(8), n-1, r.IntN(int(math.Pow10(n-1))))
		switch r.IntN(4) {
		case 0, 1:
			return phone(ac + "-" + sub)
		case 2:
			return phone(ac + " " + sub)
		default:
			return phone("+31 " + ac[1:] + " " + sub)
		}
	})
}

var germanMobile = []string{"151", "152", "157", "159", "160", "162", "163", "170", "171", "172", "173", "174", "175", "176", "177", "178", "179"}

// foreignPhone returns a Belgian, German or British mobile (or a Polish one
// for Polish customers), re-drawn until the phone metadata accepts it.
func (s *seeder) foreignPhone(o origin) (identity.Normalized, error) {
	r := s.r
	return s.fresh("foreign phone", func(int) identity.Input {
		country := r.IntN(3)
		if o == originPolish && chance(r, 600) {
			country = 3
		}
		switch country {
		case 0:
			return phone(fmt.Sprintf("+32 4%d%d %02d %02d %02d", 7+r.IntN(3), r.IntN(10), r.IntN(100), r.IntN(100), r.IntN(100)))
		case 1:
			return phone(fmt.Sprintf("+49 %s %08d", oneOf(r, germanMobile), r.IntN(100_000_000)))
		case 2:
			return phone(fmt.Sprintf("+44 7%d%02d %06d", 4+r.IntN(6), r.IntN(100), r.IntN(1_000_000)))
		default:
			return phone(fmt.Sprintf("+48 %d%02d %03d %03d", 5+r.IntN(4), r.IntN(100), r.IntN(1000), r.IntN(1000)))
		}
	})
}

func (s *seeder) email(p person) (identity.Normalized, error) {
	r := s.r
	f, l, lw := p.slugFirst, p.slugLast, p.slugLastWord
	i := f[:1]
	return s.fresh("email", func(attempt int) identity.Input {
		var local string
		switch r.IntN(10) {
		case 0, 1:
			local = f + "." + l
		case 2:
			local = f + l
		case 3:
			local = i + "." + l
		case 4:
			local = f + "." + slugWords(p.last, ".")
		case 5:
			local = f + "_" + l
		case 6:
			local = f + l + fmt.Sprintf("%02d", (60+r.IntN(47))%100) // birth year
		case 7:
			local = l + "." + f
		case 8:
			local = i + lw + fmt.Sprint(1+r.IntN(99))
		default:
			local = f + "." + lw
		}
		if attempt > 0 {
			local += fmt.Sprint(1 + r.IntN(999))
		}
		addr := local + "@" + pick(r, emailDomains)
		if chance(r, 80) { // as typed into a web form
			addr = strings.ToUpper(addr[:1]) + addr[1:]
		}
		return email(addr)
	})
}

var socialPlatforms = []weighted[identity.Platform]{
	{identity.PlatformInstagram, 35}, {identity.PlatformFacebook, 25}, {identity.PlatformX, 15},
	{identity.PlatformTikTok, 12}, {identity.PlatformLinkedIn, 13},
}

func (s *seeder) platform(tags []string) identity.Platform {
	if slices.Contains(tags, "zakelijk") && chance(s.r, 500) {
		return identity.PlatformLinkedIn
	}
	return pick(s.r, socialPlatforms)
}

// social returns a handle on platform p, written as people give them: with
// an '@', bare, or as a profile URL.
func (s *seeder) social(p person, platform identity.Platform) (identity.Normalized, error) {
	r := s.r
	f, l := p.slugFirst, p.slugLast
	return s.fresh(platform.String()+" handle", func(attempt int) identity.Input {
		suffix := ""
		if attempt > 0 || chance(r, 250) {
			suffix = fmt.Sprint(1 + r.IntN(9999))
		}
		var handle, raw string
		switch platform {
		case identity.PlatformX:
			handle = oneOf(r, []string{f + l, f + "_" + l, f[:1] + l, l + f[:1]})
			handle = truncate(handle, 15-len(suffix)) + suffix
			raw = "@" + handle
		case identity.PlatformInstagram:
			handle = oneOf(r, []string{f + "." + l, f + "_" + l, f + l, l + "." + f})
			handle = truncate(handle, 30-len(suffix)) + suffix
			raw = oneOf(r, []string{"@" + handle, handle, "https://www.instagram.com/" + handle + "/"})
		case identity.PlatformFacebook:
			handle = oneOf(r, []string{f + "." + l, f + l, f + "." + l + "." + fmt.Sprint(1+r.IntN(99))})
			handle += suffix
			raw = oneOf(r, []string{handle, "https://www.facebook.com/" + handle, "facebook.com/" + handle})
		case identity.PlatformTikTok:
			handle = oneOf(r, []string{f + l, f + "." + l, f + "_" + l, "its" + f})
			handle = truncate(handle, 24-len(suffix)) + suffix
			raw = "@" + handle
		default: // LinkedIn
			handle = f + "-" + slugWords(p.last, "-")
			if suffix != "" || chance(r, 600) {
				handle += fmt.Sprintf("-%x", 0x100000+r.IntN(0xf00000))
			}
			raw = oneOf(r, []string{handle, "https://www.linkedin.com/in/" + handle + "/", "linkedin.com/in/" + handle})
		}
		return social(platform, raw)
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "._")
}

// postal returns a Dutch address: a postcode (first digit 1-9, never SA, SD
// or SS) and a house number, sometimes with an addition.
func (s *seeder) postal() (identity.Normalized, error) {
	r := s.r
	return s.fresh("postal address", func(int) identity.Input {
		a, b := byte('A'+r.IntN(26)), byte('A'+r.IntN(26))
		for a == 'S' && (b == 'A' || b == 'D' || b == 'S') {
			b = byte('A' + r.IntN(26))
		}
		digits := 1000 + r.IntN(9000)
		var pc string
		switch r.IntN(3) {
		case 0:
			pc = fmt.Sprintf("%d %c%c", digits, a, b)
		case 1:
			pc = fmt.Sprintf("%d%c%c", digits, a, b)
		default:
			pc = fmt.Sprintf("%d %c%c", digits, a|0x20, b|0x20)
		}
		var num int
		switch n := r.IntN(100); {
		case n < 70:
			num = 1 + r.IntN(60)
		case n < 95:
			num = 61 + r.IntN(190)
		default:
			num = 251 + r.IntN(750)
		}
		var addition string
		if chance(r, 120) {
			addition = oneOf(r, []string{"A", "B", "C", "1", "2", "3", "hs", "bis", "-2", "-3"})
		}
		return identity.Input{Kind: identity.KindPostalAddress, Postal: identity.PostalAddress{Postcode: pc, HouseNumber: num, Addition: addition}}
	})
}

func (s *seeder) tags() []string {
	var tags []string
	for _, t := range allTags {
		if chance(s.r, t.w) {
			tags = append(tags, t.v)
		}
	}
	return tags
}

func (s *seeder) displayName(p person, tags []string) string {
	r := s.r
	switch {
	case slices.Contains(tags, "zakelijk") && chance(r, 500):
		name := oneOf(r, trades) + " " + capitalizeSurname(p.last)
		if chance(r, 400) {
			name += " B.V."
		}
		return name
	case chance(r, 70): // as an older CRM import wrote it
		return string([]rune(p.first)[:1]) + ". " + p.last
	}
	return p.first + " " + p.last
}

func (s *seeder) language(o origin) string {
	n := s.r.IntN(1000)
	switch o {
	case originTurkish:
		return lang(n, 800, "nl", 950, "tr", "en")
	case originMoroccan:
		return lang(n, 900, "nl", 950, "ar", "")
	case originSurinamese:
		return lang(n, 980, "nl", 1000, "en", "")
	case originPolish:
		return lang(n, 450, "pl", 800, "nl", "en")
	case originExpat:
		return lang(n, 850, "en", 1000, "nl", "")
	}
	return lang(n, 970, "nl", 985, "en", "")
}

func lang(n, a int, la string, b int, lb, rest string) string {
	switch {
	case n < a:
		return la
	case n < b:
		return lb
	}
	return rest
}

func (s *seeder) note(tags []string) string {
	r := s.r
	var notes []string
	if slices.Contains(tags, "slechthorend") {
		notes = append(notes, "Slechthorend: rustig en duidelijk spreken, liefst geen keuzemenu.")
	}
	if slices.Contains(tags, "betalingsregeling") {
		end := s.now.AddDate(0, 3+r.IntN(9), 0)
		notes = append(notes, fmt.Sprintf("Betalingsregeling van € %d per maand t/m %s %d; geen aanmaningen sturen.",
			25+5*r.IntN(20), months[end.Month()-1], end.Year()))
	}
	if slices.Contains(tags, "zakelijk") && chance(r, 500) {
		notes = append(notes, "Zakelijke klant; facturen graag naar de administratie.")
	}
	if slices.Contains(tags, "vip") && chance(r, 300) {
		notes = append(notes, "Vaste contactpersoon bij team-klantbehoud.")
	}
	if len(notes) == 0 && chance(r, pNote) {
		notes = append(notes, oneOf(r, generalNotes))
	}
	return strings.Join(notes, " ")
}

// poisson draws from a Poisson distribution with mean lambda (Knuth).
func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// history records 0 to maxContacts interactions in the last 18 months, oldest
// first. A follow-up or escalation with a case reference is often closed a
// few days later under the same reference.
func (s *seeder) history(who, customerID string, tags []string) error {
	r := s.r
	k := min(poisson(r, meanContacts), maxContacts)
	if k == 0 {
		return nil
	}
	window := historyDays
	if slices.Contains(tags, "nieuwe-klant") {
		window = newCustomerDay
	}
	complaint := slices.Contains(tags, "klacht-open")
	times := make([]time.Time, k)
	for i := range times {
		d := s.now.AddDate(0, 0, -1-r.IntN(window))
		times[i] = time.Date(d.Year(), d.Month(), d.Day(), 7+r.IntN(13), r.IntN(60), r.IntN(60), 0, time.UTC)
	}
	slices.SortFunc(times, time.Time.Compare)

	var prev time.Time
	var open *template // the last contact, if it left a case open
	openCase := ""
	for i, t := range times {
		last := i == k-1
		var tm *template
		var ch herken.Channel
		caseRef := ""
		if open != nil && open.then != nil && !(complaint && last) && chance(r, 600) {
			bound := s.now.Add(-time.Hour)
			if !last {
				bound = times[i+1]
			}
			d := prev.AddDate(0, 0, 1+r.IntN(5))
			next := time.Date(d.Year(), d.Month(), d.Day(), 8+r.IntN(10), r.IntN(60), r.IntN(60), 0, time.UTC)
			if next.After(prev) && next.Before(bound) {
				t, tm, caseRef = next, open.then, openCase
				ch = herken.ChannelPhone
				if chance(r, 200) {
					ch = herken.ChannelEmail
				}
			}
		}
		open, openCase = nil, ""
		if tm == nil {
			ch = pick(r, channels)
			out := pick(r, outcomes)
			if complaint && last {
				out = escalated
				if chance(r, 400) {
					out = followUp
				}
			}
			tm = s.template(ch, out)
			if chance(r, casePerMille[tm.outcome]) {
				s.caseSeq += 1 + r.IntN(40)
				caseRef = CaseReference(t.Year(), s.caseSeq)
			}
		}
		in := herken.Interaction{
			Channel:       ch,
			Direction:     s.direction(ch, tm),
			OccurTime:     t,
			Agent:         s.agent(ch, tm),
			Summary:       expand(r, tm.text, t),
			Outcome:       tm.outcome,
			CaseReference: caseRef,
			Duration:      s.duration(ch),
		}
		if _, err := s.record(who, customerID, in); err != nil {
			return err
		}
		if caseRef != "" && tm.then != nil {
			open, openCase = tm, caseRef
		}
		prev = t
	}
	return nil
}

// template picks a summary that fits the channel and outcome, falling back
// to a resolved one (a web form is never "transferred").
func (s *seeder) template(ch herken.Channel, out herken.Outcome) *template {
	var fit []int
	for {
		for i := range templates {
			if templates[i].outcome == out && templates[i].fits(ch) {
				fit = append(fit, i)
			}
		}
		if len(fit) > 0 || out == resolved {
			break
		}
		out = resolved
	}
	return &templates[fit[s.r.IntN(len(fit))]]
}

func (s *seeder) direction(ch herken.Channel, tm *template) herken.Direction {
	if tm.dir != herken.DirectionUnspecified {
		return tm.dir
	}
	if chance(s.r, outboundPerMille[ch]) {
		return outbound
	}
	return inbound
}

func (s *seeder) agent(ch herken.Channel, tm *template) string {
	r := s.r
	switch ch {
	case herken.ChannelStore:
		return oneOf(r, stores)
	case herken.ChannelSocial:
		return "team-social"
	case herken.ChannelEmail, herken.ChannelLetter, herken.ChannelWeb:
		if tm.team != "" {
			return tm.team
		}
		return "team-klantenservice"
	case herken.ChannelSMS:
		if tm.dir == outbound {
			return "team-planning"
		}
	}
	if tm.team != "" && chance(r, 150) {
		return tm.team
	}
	return fmt.Sprintf("agent-%03d", 1+r.IntN(140))
}

func (s *seeder) duration(ch herken.Channel) time.Duration {
	r := s.r
	var secs float64
	switch ch {
	case herken.ChannelPhone:
		secs = 60 + r.ExpFloat64()*330
	case herken.ChannelChat:
		secs = min(180+r.ExpFloat64()*600, 2700)
	case herken.ChannelStore:
		secs = float64(300 + r.IntN(1500))
	default:
		return 0
	}
	return time.Duration(min(secs, 3600)) * time.Second
}
