// Package synth generates a large synthetic customer base for load tests:
// deterministic, fast, and shaped like a Dutch contact centre's data —
// mobile and landline numbers, some foreign numbers, emails, social
// handles, 1% shared household lines, ten interactions per customer over
// mixed channels, some open and overdue promises. Unlike internal/demo it
// favours speed over realism of the text; identifiers are canonical by
// construction (and checked against the normaliser in tests). It imports
// the domain (herken) and identity, never a store.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
)

// Config shapes the base.
type Config struct {
	Customers    int       // how many
	Seed         uint64    // same seed, same base (but for random record ids)
	Now          time.Time // interactions lie in the year before, promises around it
	Interactions int       // per customer; default 10
}

// Customer is one generated customer with everything to load.
type Customer struct {
	Customer     herken.Customer
	Interactions []herken.Interaction
	Promises     []herken.Promise
	// Numbers: how agents and PBXs would type this customer's mobile:
	// national ("06 12345678"), E.164 and 00-international.
	Typed [3]string
	Email string // "" if none
}

var channels = []herken.Channel{
	herken.ChannelPhone, herken.ChannelPhone, herken.ChannelPhone, herken.ChannelPhone,
	herken.ChannelEmail, herken.ChannelEmail, herken.ChannelChat, herken.ChannelWhatsApp,
	herken.ChannelSMS, herken.ChannelWeb, herken.ChannelStore, herken.ChannelSocial, herken.ChannelLetter,
}

var summaries = []string{
	"Vraag over de factuur van deze maand; bedrag toegelicht, klant akkoord.",
	"Storing internet gemeld; modem op afstand herstart, verbinding stabiel.",
	"Verhuizing doorgegeven per de eerste van volgende maand; bevestiging per e-mail.",
	"Retour aangemeld; label verstuurd, terugbetaling binnen 5 werkdagen.",
	"Klacht over wachttijd; excuses aangeboden, compensatie van 10 euro toegekend.",
	"Monteursafspraak ingepland voor donderdag tussen 8 en 12 uur.",
	"Wachtwoord gereset en tweestapsverificatie uitgelegd.",
	"Wil opzeggen; aanbod goedkoper pakket gedaan, klant denkt erover na.",
}

var areaCodes = []string{"10", "20", "30", "40", "50", "70", "182", "229", "591", "71", "73", "76"}

var domains = []string{"gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl", "example.nl"}

// Mobile returns the E.164 mobile number of customer i: +316 followed by 8
// digits, unique per i (i < 80,000,000), in allocated ranges (061..065).
func Mobile(i int) string {
	return fmt.Sprintf("+316%d%07d", 1+(i/10_000_000)%5, i%10_000_000)
}

// UnknownMobile returns a valid mobile number no generated customer has
// (the 068 range, which Mobile never uses).
func UnknownMobile(i int) string { return fmt.Sprintf("+3168%07d", i%10_000_000) }

// Generate calls fn for each customer in order. It stops at fn's first error.
func Generate(cfg Config, fn func(i int, c Customer) error) error {
	if cfg.Interactions == 0 {
		cfg.Interactions = 10
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x73796e7468))
	now := cfg.Now.UTC()
	var sharedLine string
	for i := 0; i < cfg.Customers; i++ {
		created := now.Add(-time.Duration(400+r.IntN(2000)) * 24 * time.Hour)
		c := herken.Customer{
			ID:          herken.NewID(),
			DisplayName: "Klant " + strconv.Itoa(i),
			CreateTime:  created, UpdateTime: created, Revision: 1,
			PreferredLanguage: "nl",
		}
		link := func(id identity.Identifier) {
			c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: id, LinkTime: created})
		}
		mobile := Mobile(i)
		link(identity.Identifier{Kind: identity.KindPhone, Value: mobile})
		out := Customer{Typed: [3]string{"0" + mobile[3:5] + " " + mobile[5:], mobile, "00" + mobile[1:]}}
		switch p := r.IntN(100); {
		case p < 1: // 1%: a household landline shared with the previous such customer
			if sharedLine == "" || r.IntN(2) == 0 {
				sharedLine = fmt.Sprintf("+31%s%07d", areaCodes[r.IntN(len(areaCodes))], 2_000_000+i%7_000_000)[:12]
			}
			link(identity.Identifier{Kind: identity.KindPhone, Value: sharedLine})
		case p < 30: // own landline
			// Subscriber numbers start with 2; at most a handful of customers
			// share one (i modulo both the area codes and the number space).
			ac := areaCodes[i%len(areaCodes)]
			width := 8 - len(ac)
			link(identity.Identifier{Kind: identity.KindPhone, Value: "+31" + ac + "2" + fmt.Sprintf("%0*d", width, i%pow10(width))})
		case p < 33: // foreign mobile (Belgium)
			link(identity.Identifier{Kind: identity.KindPhone, Value: fmt.Sprintf("+3247%07d", i%10_000_000)})
		}
		if r.IntN(100) < 80 {
			out.Email = fmt.Sprintf("klant%d@%s", i, domains[i%len(domains)])
			link(identity.Identifier{Kind: identity.KindEmail, Value: out.Email})
		}
		if r.IntN(100) < 20 {
			link(identity.Identifier{Kind: identity.KindSocial, Platform: identity.PlatformInstagram, Value: "instagram:klant." + strconv.Itoa(i)})
		}
		if r.IntN(100) < 60 {
			link(identity.Identifier{Kind: identity.KindExternalID, Value: "K-" + strconv.Itoa(1_000_000+i)})
		}
		for j := 0; j < cfg.Interactions; j++ {
			at := now.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
			outcome := herken.OutcomeResolved
			if r.IntN(5) == 0 {
				outcome = herken.Outcome(2 + r.IntN(3))
			}
			out.Interactions = append(out.Interactions, herken.Interaction{
				Channel: channels[r.IntN(len(channels))], Direction: herken.Direction(1 + r.IntN(2)),
				OccurTime: at, CreateTime: at, Agent: "agent-" + strconv.Itoa(r.IntN(200)),
				Summary: summaries[r.IntN(len(summaries))], Outcome: outcome, Duration: time.Duration(r.IntN(900)) * time.Second,
			})
		}
		if r.IntN(100) < 5 { // open promises, a third of them overdue
			due := now.Add(time.Duration(r.IntN(96)-32) * time.Hour)
			out.Promises = append(out.Promises, herken.Promise{
				Kind: herken.PromiseCallback, Description: "Terugbellen.", DueTime: due, Owner: "team-" + strconv.Itoa(r.IntN(10)),
				Channel: herken.ChannelPhone, State: herken.PromiseOpen, StateTime: created, CreateTime: created,
			})
		}
		out.Customer = c
		if err := fn(i, out); err != nil {
			return err
		}
	}
	return nil
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}
