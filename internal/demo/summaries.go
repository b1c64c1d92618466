package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/herken/herken"
)

// template is a handover summary with small variable parts in braces (see
// expand). Channels, when set, limits it to those channels; Dir, when set,
// fixes the direction; Team is the agent for asynchronous channels. Then,
// for a follow-up or escalation, is the contact that often closes it a few
// days later under the same case reference.
type template struct {
	text     string
	outcome  herken.Outcome
	channels []herken.Channel
	dir      herken.Direction
	team     string
	then     *template
}

const (
	resolved    = herken.OutcomeResolved
	followUp    = herken.OutcomeFollowUp
	escalated   = herken.OutcomeEscalated
	transferred = herken.OutcomeTransferred
	inbound     = herken.DirectionInbound
	outbound    = herken.DirectionOutbound
)

var (
	chPhone    = []herken.Channel{herken.ChannelPhone}
	chLive     = []herken.Channel{herken.ChannelPhone, herken.ChannelChat}
	chWritten  = []herken.Channel{herken.ChannelEmail, herken.ChannelChat, herken.ChannelWeb, herken.ChannelWhatsApp}
	chPhotos   = []herken.Channel{herken.ChannelWhatsApp, herken.ChannelEmail, herken.ChannelChat, herken.ChannelSocial}
	chSMS      = []herken.Channel{herken.ChannelSMS}
	chStore    = []herken.Channel{herken.ChannelStore}
	chSocial   = []herken.Channel{herken.ChannelSocial}
	chLetter   = []herken.Channel{herken.ChannelLetter}
	chWeb      = []herken.Channel{herken.ChannelWeb}
	chNotStore = []herken.Channel{herken.ChannelPhone, herken.ChannelEmail, herken.ChannelChat, herken.ChannelWhatsApp, herken.ChannelWeb, herken.ChannelLetter}
)

// templates are the summaries agents leave for the next agent.
var templates = []template{
	// Resolved.
	{text: "Monteur-afspraak verzet naar {dag} {tijdvak}.", outcome: resolved},
	{text: "Vraagt naar status retour; pakket is ontvangen, terugbetaling volgt binnen {dagen}.", outcome: resolved, team: "team-retouren"},
	{text: "Factuur {factuur} toegelicht: hoger bedrag door eenmalige aansluitkosten van {bedrag}. Klant akkoord.", outcome: resolved, team: "team-facturatie"},
	{text: "IBAN gewijzigd voor automatische incasso; bevestiging per e-mail verstuurd.", outcome: resolved, channels: chNotStore, team: "team-facturatie"},
	{text: "Wachtwoord van Mijn Omgeving gereset; klant kan weer inloggen.", outcome: resolved, channels: chNotStore},
	{text: "Adreswijziging doorgevoerd per {datum}; verhuisservice ingepland.", outcome: resolved, team: "team-verhuizingen"},
	{text: "Vraagt naar levertijd {order}; verwacht op {dag}, track & trace {pakket} gedeeld.", outcome: resolved},
	{text: "Modem op afstand herstart; verbinding stabiel, klant tevreden.", outcome: resolved, channels: chLive},
	{text: "Contract verlengd met 1 jaar; korting van {bedrag} per maand toegepast.", outcome: resolved, team: "team-klantbehoud"},
	{text: "Betalingsherinnering besproken; klant betaalt {bedrag} vandaag via iDEAL.", outcome: resolved, team: "team-facturatie"},
	{text: "Vraag over opzegtermijn beantwoord: maandelijks opzegbaar na het eerste jaar.", outcome: resolved},
	{text: "Kopie van factuur {factuur} als pdf verstuurd.", outcome: resolved, channels: chWritten, team: "team-facturatie"},
	{text: "Verkeerd artikel geleverd bij {order}; juiste artikel verzonden, retourlabel gemaild.", outcome: resolved, team: "team-retouren"},
	{text: "Storing in regio {regio} was de oorzaak; inmiddels opgelost, klant geïnformeerd.", outcome: resolved},
	{text: "Wifi-bereik besproken; advies versterker, {order} geplaatst.", outcome: resolved, channels: chLive},
	{text: "Inloggegevens voor de app opnieuw verstuurd naar het bekende e-mailadres.", outcome: resolved},
	{text: "Afspraak van {dag} op verzoek van klant geannuleerd.", outcome: resolved},
	{text: "Opzegging bevestigd per {datum}; eindafrekening volgt binnen {dagen}.", outcome: resolved, team: "team-klantbehoud"},
	{text: "Klacht over lange wachttijd genoteerd; excuses aangeboden.", outcome: resolved},
	{text: "Tegoed van {bedrag} verrekend met de volgende factuur.", outcome: resolved, team: "team-facturatie"},
	{text: "Artikel uit {order} beschadigd ontvangen; foto's bekeken, vervanging verzonden.", outcome: resolved, channels: chPhotos, team: "team-retouren"},
	{text: "Nieuwe simkaart meegegeven; nummer overgezet, oude kaart geblokkeerd.", outcome: resolved, channels: chStore},
	{text: "Toestel ingeleverd voor reparatie; bon meegegeven, klaar binnen {dagen}.", outcome: resolved, channels: chStore},
	{text: "Reageerde op ons storingsbericht; doorverwezen naar de storingspagina, klant tevreden.", outcome: resolved, channels: chSocial},
	{text: "Klaagt publiek over storing; via DM opgepakt, storing verholpen en klant bedankt voor het geduld.", outcome: resolved, channels: chSocial},
	{text: "Vraag via DM over de levertijd van {order}; track & trace {pakket} gedeeld.", outcome: resolved, channels: chSocial},
	{text: "Bezwaar tegen incassokosten ontvangen; kosten van {bedrag} kwijtgescholden, brief verstuurd.", outcome: resolved, channels: chLetter, team: "team-facturatie"},
	{text: "Herinnering monteursbezoek {dag} {tijdvak} verstuurd; klant bevestigde met JA.", outcome: resolved, channels: chSMS, dir: outbound},
	{text: "Verificatiecode voor nummerbehoud verstuurd; overstap afgerond.", outcome: resolved, channels: chSMS, dir: outbound},
	{text: "Webformulier: vraag over privacy-instellingen; uitleg per e-mail gestuurd.", outcome: resolved, channels: chWeb},
	{text: "Welkomstgesprek: installatie doorgenomen, alles werkt.", outcome: resolved, channels: chPhone, dir: outbound},

	// Follow-up.
	{text: "Klant belde over dubbele afschrijving in {maand}; creditnota aangevraagd, terugbellen binnen 3 werkdagen.", outcome: followUp, channels: chPhone, dir: inbound,
		then: &template{text: "Teruggebeld zoals afgesproken; creditnota van {bedrag} is verwerkt, klant akkoord.", outcome: resolved, dir: outbound}},
	{text: "Wil overstappen naar een goedkoper abonnement; offerte volgt per e-mail.", outcome: followUp, team: "team-klantbehoud",
		then: &template{text: "Offerte besproken; klant stapt per {datum} over naar het goedkopere abonnement.", outcome: resolved, dir: outbound}},
	{text: "Vraagt naar status retour {order}; pakket nog niet gescand bij PostNL, navraag gedaan, terugkoppeling binnen {dagen}.", outcome: followUp, team: "team-retouren",
		then: &template{text: "Retour alsnog ontvangen; terugbetaling van {bedrag} vandaag uitgevoerd.", outcome: resolved, dir: outbound}},
	{text: "Internet valt 's avonds weg; storingsticket aangemaakt, meting loopt 48 uur.", outcome: followUp, team: "team-techniek",
		then: &template{text: "Terugkoppeling meting: storing in de wijkkast verholpen. Klant tevreden.", outcome: resolved, dir: outbound}},
	{text: "Betalingsregeling aangevraagd voor {bedrag}; voorstel ligt ter goedkeuring bij team-facturatie.", outcome: followUp, team: "team-facturatie",
		then: &template{text: "Betalingsregeling goedgekeurd; termijnen en data per e-mail bevestigd.", outcome: resolved, dir: outbound}},
	{text: "Wacht op creditnota voor factuur {factuur}; nagevraagd, klant krijgt bericht zodra verwerkt.", outcome: followUp, team: "team-facturatie",
		then: &template{text: "Creditnota verwerkt en per e-mail verstuurd; klant akkoord.", outcome: resolved, dir: outbound}},
	{text: "Monteur kon niet binnenkomen; klant belt terug voor een nieuwe afspraak.", outcome: followUp,
		then: &template{text: "Klant belt terug over de gemiste afspraak; nieuwe afspraak {dag} {tijdvak} bevestigd.", outcome: resolved, dir: inbound}},
	{text: "Meldt per SMS dat de monteur niet is gekomen; terugbelverzoek aangemaakt.", outcome: followUp, channels: chSMS, dir: inbound,
		then: &template{text: "Teruggebeld: excuses aangeboden, nieuwe afspraak {dag} {tijdvak} ingepland.", outcome: resolved, dir: outbound}},

	// Escalated.
	{text: "Derde melding over dezelfde storing; doorgezet naar tweede lijn techniek met voorrang.", outcome: escalated, team: "team-techniek",
		then: &template{text: "Tweede lijn: defecte kabel in de meterkast vervangen, verbinding stabiel. Klant tevreden.", outcome: resolved, dir: outbound}},
	{text: "Oneens met incasso van {bedrag}, overweegt Geschillencommissie; klacht doorgezet naar team-klachten.", outcome: escalated, team: "team-klachten",
		then: &template{text: "Klacht afgehandeld door team-klachten; compensatie van {bedrag} toegekend, klant akkoord.", outcome: resolved, dir: outbound}},
	{text: "Schade aan voordeur na installatie gemeld; doorgezet naar schadeafhandeling.", outcome: escalated, team: "team-klachten",
		then: &template{text: "Schade vergoed: {bedrag} overgemaakt; klant akkoord.", outcome: resolved, dir: outbound}},
	{text: "Ontvangt al {n} maanden geen factuur; escalatie naar IT, handmatige factuur volgt.", outcome: escalated, team: "team-facturatie",
		then: &template{text: "Handmatige factuur verstuurd; facturatie loopt weer automatisch.", outcome: resolved, dir: outbound}},
	{text: "Negatieve review over monteur; via DM contact gelegd, klacht doorgezet naar team-klachten.", outcome: escalated, channels: chSocial,
		then: &template{text: "Klacht over monteur besproken en excuses aangeboden; klant past review aan.", outcome: resolved, dir: outbound}},
	{text: "Verzoek om inzage persoonsgegevens (AVG); doorgezet naar privacy-officer, termijn 1 maand.", outcome: escalated, team: "team-privacy",
		then: &template{text: "Inzageverzoek afgehandeld; overzicht van persoonsgegevens via beveiligde mail verstuurd.", outcome: resolved, dir: outbound}},

	// Transferred.
	{text: "Vraag over meerdere zakelijke aansluitingen; doorverbonden met team-zakelijk.", outcome: transferred, channels: chLive},
	{text: "Wil opzeggen; doorverbonden met team-klantbehoud.", outcome: transferred, channels: chLive},
	{text: "Technische vraag over de glasvezelaansluiting; doorverbonden met techniek.", outcome: transferred, channels: chLive},
	{text: "Verhuist naar België; doorverbonden met team-verhuizingen.", outcome: transferred, channels: chLive},
}

func (t *template) fits(c herken.Channel) bool {
	if t.channels == nil {
		// SMS has its own short texts; on social media we answer in public
		// or by DM, see chSocial.
		return c != herken.ChannelSMS && c != herken.ChannelSocial
	}
	for _, x := range t.channels {
		if x == c {
			return true
		}
	}
	return false
}

var (
	months   = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	weekdays = [...]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
	slots    = []string{"8-12 uur", "12-17 uur", "13-18 uur", "8-13 uur", "7:30-12 uur"}
	terms    = []string{"3 werkdagen", "5 werkdagen", "5 dagen", "10 werkdagen", "14 dagen"}
)

// expand fills the braces of text for a contact at occur.
func expand(r *rand.Rand, text string, occur time.Time) string {
	if !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], '}')
		b.WriteString(text[:i])
		b.WriteString(fill(r, text[i+1:i+j], occur))
		text = text[i+j+1:]
	}
}

func fill(r *rand.Rand, key string, occur time.Time) string {
	switch key {
	case "bedrag":
		cents := 500 + r.IntN(25000)
		if r.IntN(3) == 0 {
			cents = cents / 100 * 100 // round euros, as in "€ 50,00"
		}
		return fmt.Sprintf("€ %d,%02d", cents/100, cents%100)
	case "maand":
		return months[occur.AddDate(0, -r.IntN(2), 0).Month()-1]
	case "dag": // a working day in the coming week
		return weekdays[1+(int(occur.Weekday())+r.IntN(5))%5]
	case "datum":
		d := occur.AddDate(0, 0, 3+r.IntN(40))
		return fmt.Sprintf("%d %s", d.Day(), months[d.Month()-1])
	case "tijdvak":
		return slots[r.IntN(len(slots))]
	case "dagen":
		return terms[r.IntN(len(terms))]
	case "order":
		return fmt.Sprintf("bestelling %d", 40_000_000+r.IntN(60_000_000))
	case "factuur":
		return fmt.Sprintf("F%d-%06d", occur.Year(), r.IntN(1_000_000))
	case "pakket":
		return fmt.Sprintf("3S%c%c%c%c%09d", 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(1_000_000_000))
	case "regio":
		return regions[r.IntN(len(regions))]
	case "n":
		return fmt.Sprint(2 + r.IntN(4))
	}
	panic("demo: unknown template field {" + key + "}")
}

// CaseReference formats a case reference as the ticketing system does:
// "ZAAK-2026-004512".
func CaseReference(year, number int) string {
	return fmt.Sprintf("ZAAK-%d-%06d", year, number)
}
