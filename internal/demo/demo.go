// Package demo seeds a realistic Dutch demo dataset: a few fixed customers
// that the README's walk-through relies on, plus any number of generated
// customers with contact histories. Everything goes through herken.Service,
// so the data is normalised and validated exactly like API input.
//
// The generated data is fictitious but shaped like the real thing: Dutch
// mobile numbers and landlines with real area codes, household landlines
// shared by two or three people, e-mail addresses at Dutch providers, valid
// postcodes and handover summaries as agents write them.
//
// It imports the domain (herken) and identity, never a store or gRPC.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Stats counts what Seed stored.
type Stats struct {
	Customers    int // customers created
	Identifiers  int // identifiers linked, summed over customers: a shared landline counts once per holder
	Interactions int // interactions recorded
	Promises     int // promises made
}

// UnknownPhone is a valid Dutch mobile number that Seed never links to any
// customer: looking it up is NOT_FOUND.
//
// "06-99999999" is not usable for that: 069 is not an allocated Dutch mobile
// range, so it is rejected as PHONE_NUMBER_INVALID before any lookup. Seed
// never links it either.
const UnknownPhone = "06-11111111"

// ErrNotEmpty is returned by Seed when the store already holds the fixtures.
var ErrNotEmpty = errors.New("demo: the store already holds the demo fixtures")

// Fixture is one fixed demo customer.
type Fixture struct {
	DisplayName       string
	PreferredLanguage string
	Tags              []string
	HandoverNote      string
	Identifiers       []identity.Input     // as an agent or CTI would send them
	Interactions      []FixtureInteraction // oldest first
	Promises          []FixturePromise
}

// FixturePromise is a promise to a fixture customer, due relative to the
// time Seed is given (negative: already past due).
type FixturePromise struct {
	Kind        herken.PromiseKind
	Description string
	Owner       string
	DueIn       time.Duration
	Window      time.Duration // length of the delivery/visit window before the due time; 0 for none
	MadeIn      int           // 1-based index into Interactions of the contact it was made in; 0 for none
}

// FixtureInteraction is one contact of a fixture customer, placed relative to
// the time Seed is given.
type FixtureInteraction struct {
	Ago        time.Duration // how long before Seed's now the contact happened
	Channel    herken.Channel
	Direction  herken.Direction
	Outcome    herken.Outcome
	Agent      string
	Summary    string
	CaseNumber int // 0 for none; see CaseReference (the year is that of the contact)
	Duration   time.Duration
}

const day = 24 * time.Hour

func phone(raw string) identity.Input { return identity.Input{Kind: identity.KindPhone, Value: raw} }
func email(raw string) identity.Input { return identity.Input{Kind: identity.KindEmail, Value: raw} }
func social(p identity.Platform, raw string) identity.Input {
	return identity.Input{Kind: identity.KindSocial, Platform: p, Value: raw}
}

// Fixtures returns the fixed customers the README's walk-through uses, in the
// order Seed creates them. Each call returns a fresh copy.
//
//   - Jan de Vries: 06-12345678, jan@example.nl, X @jandevries, Instagram
//     jan.devries, K-100001, 1234 AB 10; five contacts, the newest a phone
//     call two days ago that needs a call back.
//   - Anna and Pieter Bakker: share the landline 020-1234567 (a lookup is
//     AMBIGUOUS, Anna first: she called more recently); each has a mobile.
//   - Sophie Jansen: e-mail, Telegram and WhatsApp, prefers English.
//   - Mehmet Yılmaz: a Belgian mobile, prefers Turkish.
func Fixtures() []Fixture {
	return []Fixture{
		{
			DisplayName:       "Jan de Vries",
			PreferredLanguage: "nl",
			Tags:              []string{"vip"},
			HandoverNote:      "Belt liever na 17:00; spreekt ook Engels.",
			Identifiers: []identity.Input{
				phone("06-12345678"),
				email("jan@example.nl"),
				social(identity.PlatformX, "@jandevries"),
				social(identity.PlatformInstagram, "jan.devries"),
				{Kind: identity.KindExternalID, Value: "K-100001"},
				{Kind: identity.KindPostalAddress, Postal: identity.PostalAddress{Postcode: "1234 AB", HouseNumber: 10}},
			},
			Interactions: []FixtureInteraction{
				{Ago: 150*day + 3*time.Hour, Channel: herken.ChannelStore, Direction: inbound, Outcome: resolved,
					Agent: "winkel-utrecht-centrum", Duration: 25 * time.Minute,
					Summary: "Overstap naar Internet + TV afgerond in de winkel; modem meegegeven en installatie uitgelegd."},
				{Ago: 80*day + 5*time.Hour, Channel: herken.ChannelEmail, Direction: inbound, Outcome: resolved,
					Agent: "team-facturatie", CaseNumber: 3871,
					Summary: "Vraag over hoger bedrag op de eerste factuur: eenmalige aansluitkosten van € 49,95 toegelicht. Klant akkoord."},
				{Ago: 35*day + 2*time.Hour, Channel: herken.ChannelWhatsApp, Direction: inbound, Outcome: resolved,
					Agent:   "agent-042",
					Summary: "Stuurde foto van de modemlampjes; modem op afstand herstart, verbinding weer stabiel."},
				{Ago: 9*day + 6*time.Hour, Channel: herken.ChannelChat, Direction: inbound, Outcome: resolved,
					Agent: "agent-023", Duration: 11 * time.Minute,
					Summary: "Vraagt of de verhuisservice ook naar Amersfoort kan; informatie gestuurd, klant laat weten wanneer."},
				{Ago: 2 * day, Channel: herken.ChannelPhone, Direction: inbound, Outcome: followUp,
					Agent: "agent-017", CaseNumber: 4512, Duration: 12*time.Minute + 40*time.Second,
					Summary: "Storing internet sinds maandag; monteur ingepland, klant wordt vandaag nog teruggebeld."},
			},
			// The callback promised two days ago was never made: the
			// sweeper marks it BROKEN on the first start, and the next
			// agent sees it. The engineer's visit is still to come.
			Promises: []FixturePromise{
				{Kind: herken.PromiseCallback, Description: "Terugbellen over de storing.", Owner: "agent-017", DueIn: -2*day + 6*time.Hour, MadeIn: 5},
				{Kind: herken.PromiseVisit, Description: "Monteur komt de storing verhelpen.", Owner: "team-techniek", DueIn: 2*day + 4*time.Hour, Window: 4 * time.Hour, MadeIn: 5},
			},
		},
		{
			DisplayName: "Anna Bakker",
			Identifiers: []identity.Input{phone("020-1234567"), phone("06-23456789"), email("anna.bakker@example.nl")},
			Interactions: []FixtureInteraction{
				{Ago: 120 * day, Channel: herken.ChannelPhone, Direction: inbound, Outcome: resolved,
					Agent: "agent-031", Duration: 6 * time.Minute,
					Summary: "Vraagt naar de opzegtermijn van het tv-pakket; uitgelegd, klant denkt erover na."},
				{Ago: 40*day + 4*time.Hour, Channel: herken.ChannelEmail, Direction: inbound, Outcome: resolved,
					Agent:   "team-facturatie",
					Summary: "Kopie van het jaaroverzicht als pdf verstuurd."},
				{Ago: 4*day + 1*time.Hour, Channel: herken.ChannelPhone, Direction: inbound, Outcome: followUp,
					Agent: "agent-017", CaseNumber: 4530, Duration: 9 * time.Minute,
					Summary: "Belt namens het huishouden over het hogere maandbedrag; prijswijziging uitgelegd, offerte voor goedkoper pakket volgt per e-mail."},
			},
			Promises: []FixturePromise{
				{Kind: herken.PromiseInformation, Description: "Offerte goedkoper pakket per e-mail sturen.", Owner: "team-klantbehoud", DueIn: -30 * time.Minute, MadeIn: 3},
			},
		},
		{
			DisplayName:  "Pieter Bakker",
			Tags:         []string{"slechthorend"},
			HandoverNote: "Slechthorend: rustig en duidelijk spreken.",
			Identifiers:  []identity.Input{phone("020-1234567"), phone("06-34567890")},
			Interactions: []FixtureInteraction{
				{Ago: 95 * day, Channel: herken.ChannelSMS, Direction: outbound, Outcome: resolved,
					Agent:   "team-planning",
					Summary: "Herinnering monteursbezoek dinsdag 8-12 uur verstuurd; klant bevestigde met JA."},
				{Ago: 21*day + 2*time.Hour, Channel: herken.ChannelPhone, Direction: inbound, Outcome: resolved,
					Agent: "agent-058", Duration: 7 * time.Minute,
					Summary: "Wil weten wanneer de nieuwe decoder wordt bezorgd; bezorging donderdag bevestigd."},
			},
		},
		{
			DisplayName:       "Sophie Jansen",
			PreferredLanguage: "en",
			Identifiers: []identity.Input{
				email("sophie.jansen@example.com"),
				social(identity.PlatformTelegram, "sophiej_nl"),
				social(identity.PlatformWhatsApp, "+31 6 45678901"),
			},
			Interactions: []FixtureInteraction{
				{Ago: 6*day + 3*time.Hour, Channel: herken.ChannelChat, Direction: inbound, Outcome: resolved,
					Agent: "agent-064", Duration: 14 * time.Minute,
					Summary: "Vroeg in het Engels hoe ze de incassodatum kan wijzigen; uitgelegd, wijziging gaat volgende maand in."},
			},
		},
		{
			DisplayName:       "Mehmet Yılmaz",
			PreferredLanguage: "tr",
			Identifiers:       []identity.Input{phone("+32 470 12 34 56"), email("mehmet@example.be")},
			Interactions: []FixtureInteraction{
				{Ago: 60*day + 5*time.Hour, Channel: herken.ChannelPhone, Direction: inbound, Outcome: resolved,
					Agent: "agent-009", Duration: 11 * time.Minute,
					Summary: "Belt vanuit België over roamingkosten op de factuur; uitgelegd dat de EU-bundel dit dekt, factuur klopt."},
				{Ago: 10*day + 1*time.Hour, Channel: herken.ChannelWhatsApp, Direction: inbound, Outcome: resolved,
					Agent:   "agent-017",
					Summary: "Vraagt om een kopie van de laatste factuur; pdf verstuurd naar het bekende e-mailadres."},
			},
		},
	}
}

// reservedPhones are never linked to a generated customer, besides every
// fixture identifier: the README's numbers for "unknown caller".
var reservedPhones = []string{UnknownPhone, "06-99999999", "+31699999999"}

// Seed fills an empty store with the demo dataset: the fixed fixtures (see
// Fixtures) plus n generated customers, deterministic for a given seed except
// for the random customer and interaction ids. Interactions lie in the 18
// months before now, which should be the service's clock (an interaction
// after the service's now is rejected). It returns what was stored, also on
// error; an error names the step that failed but no personal data.
func Seed(ctx context.Context, svc *herken.Service, n int, seed int64, now time.Time) (Stats, error) {
	if svc == nil {
		return Stats{}, errors.New("demo: nil service")
	}
	if n < 0 {
		return Stats{}, errors.New("demo: the number of generated customers must not be negative")
	}
	if now.IsZero() {
		now = time.Now()
	}
	s := &seeder{
		ctx:     ctx,
		svc:     svc,
		r:       newRand(seed),
		now:     now.UTC(),
		used:    make(map[identity.Identifier]struct{}, 8*n+64),
		caseSeq: 5000,
	}
	fixtures := Fixtures()
	if err := s.reserve(fixtures); err != nil {
		return s.stats, err
	}
	if err := s.checkEmpty(fixtures[0]); err != nil {
		return s.stats, err
	}
	for i, f := range fixtures {
		if err := s.createFixture(i+1, f); err != nil {
			return s.stats, err
		}
	}
	if err := s.generate(n); err != nil {
		return s.stats, err
	}
	return s.stats, s.generatePromises()
}

var demoOwners = []string{"agent-017", "agent-023", "agent-042", "team-facturatie", "team-techniek", "team-retouren"}

// generatePromises gives every 15th generated customer a promise, some
// still to come and some overdue, so the team lead's lists have content.
func (s *seeder) generatePromises() error {
	for i := 0; i < len(s.generated); i += 15 {
		kind := herken.PromiseKind(1 + s.r.IntN(int(herken.PromiseOther)))
		due := s.now.Add(time.Duration(s.r.IntN(8*24)-3*24) * time.Hour)
		if _, err := s.svc.CreatePromise(s.ctx, herken.InteractionTarget{CustomerID: s.generated[i]}, herken.NewPromise{
			Kind: kind, DueTime: due, Owner: demoOwners[s.r.IntN(len(demoOwners))],
			Description: "Afspraak uit een eerder contact.",
		}, herken.Write{}); err != nil {
			return fmt.Errorf("demo: generated customer %d: create promise: %w", i+1, err)
		}
		s.stats.Promises++
	}
	return nil
}

// newRand is the dataset's only source of randomness.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x6865726b656e)) // "herken"
}

type seeder struct {
	ctx     context.Context
	svc     *herken.Service
	r       *rand.Rand
	now     time.Time
	used    map[identity.Identifier]struct{} // identifiers linked or reserved
	caseSeq int
	stats   Stats

	generated []string // ids of generated customers, in creation order
}

// reserve marks every fixture identifier and reserved number as used, so
// that no generated customer gets one.
func (s *seeder) reserve(fixtures []Fixture) error {
	for i, f := range fixtures {
		for j, in := range f.Identifiers {
			nz, err := s.svc.Normalize(in)
			if err != nil {
				return fmt.Errorf("demo: fixture %d: identifier %d: %w", i+1, j, err)
			}
			s.used[nz.Identifier] = struct{}{}
		}
	}
	for _, raw := range reservedPhones {
		if nz, err := s.svc.Normalize(phone(raw)); err == nil && !nz.Withheld {
			s.used[nz.Identifier] = struct{}{}
		}
	}
	// Invalid numbers cannot be linked anyway; keep the literal identifier
	// too in case the phone metadata ever allocates the range.
	s.used[identity.Identifier{Kind: identity.KindPhone, Value: "+31699999999"}] = struct{}{}
	return nil
}

// checkEmpty refuses to seed twice: the first fixture's CRM id is exclusive.
func (s *seeder) checkEmpty(f Fixture) error {
	for _, in := range f.Identifiers {
		if in.Kind != identity.KindExternalID {
			continue
		}
		nz, err := s.svc.Normalize(in)
		if err != nil {
			return fmt.Errorf("demo: fixture 1: external id: %w", err)
		}
		res, err := s.svc.Lookup(s.ctx, nz, 1)
		if err != nil {
			return fmt.Errorf("demo: check store is empty: %w", err)
		}
		if res.Outcome != herken.MatchNotFound {
			return ErrNotEmpty
		}
	}
	return nil
}

func (s *seeder) createFixture(no int, f Fixture) error {
	ids := make([]identity.Normalized, 0, len(f.Identifiers))
	for j, in := range f.Identifiers {
		nz, err := s.svc.Normalize(in)
		if err != nil {
			return fmt.Errorf("demo: fixture %d: identifier %d: %w", no, j, err)
		}
		ids = append(ids, nz)
	}
	who := fmt.Sprintf("fixture %d", no)
	id, err := s.create(who, herken.NewCustomer{
		DisplayName:       f.DisplayName,
		PreferredLanguage: f.PreferredLanguage,
		Tags:              f.Tags,
		HandoverNote:      f.HandoverNote,
		Identifiers:       ids,
		IdentifierSource:  "crm", // the demo plays a CRM's initial load
	})
	if err != nil {
		return err
	}
	var made []string
	for _, fi := range f.Interactions {
		occur := s.now.Add(-fi.Ago)
		in := herken.Interaction{
			Channel:   fi.Channel,
			Direction: fi.Direction,
			OccurTime: occur,
			Agent:     fi.Agent,
			Summary:   fi.Summary,
			Outcome:   fi.Outcome,
			Duration:  fi.Duration,
		}
		if fi.CaseNumber != 0 {
			in.CaseReference = CaseReference(occur.Year(), fi.CaseNumber)
		}
		rec, err := s.record(who, id, in)
		if err != nil {
			return err
		}
		made = append(made, rec.ID)
	}
	for _, fp := range f.Promises {
		np := herken.NewPromise{Kind: fp.Kind, Description: fp.Description, Owner: fp.Owner, DueTime: s.now.Add(fp.DueIn)}
		if fp.Window > 0 {
			np.WindowStart = np.DueTime.Add(-fp.Window)
		}
		if fp.MadeIn > 0 {
			np.InteractionCustomerID, np.InteractionID = id, made[fp.MadeIn-1]
		}
		if _, err := s.svc.CreatePromise(s.ctx, herken.InteractionTarget{CustomerID: id}, np, herken.Write{}); err != nil {
			return fmt.Errorf("demo: %s: create promise: %w", who, err)
		}
		s.stats.Promises++
	}
	return nil
}

func (s *seeder) create(who string, nc herken.NewCustomer) (string, error) {
	c, err := s.svc.CreateCustomer(s.ctx, nc, herken.Write{})
	if err != nil {
		return "", fmt.Errorf("demo: %s: create customer: %w", who, err)
	}
	s.stats.Customers++
	s.stats.Identifiers += len(c.Identifiers)
	if strings.HasPrefix(who, "generated") {
		s.generated = append(s.generated, c.ID)
	}
	return c.ID, nil
}

func (s *seeder) record(who, customerID string, in herken.Interaction) (herken.Interaction, error) {
	rec, err := s.svc.RecordInteraction(s.ctx, herken.InteractionTarget{CustomerID: customerID}, in, herken.Write{})
	if err != nil {
		return rec, fmt.Errorf("demo: %s: record interaction: %w", who, err)
	}
	s.stats.Interactions++
	return rec, nil
}
